import type { FastifyInstance } from 'fastify';
import { APPLICATION_STATUSES, type RejectionReason } from '../../core/application';
import { caseVisibleTo } from '../../cases/access';
import { listQueue } from '../../db/queries/cases';
import { assignUpdate, claimUpdate, decideUpdate, requestInfoUpdate } from '../../workflows/application';
import { principal } from '../auth';
import { caseSummary } from '../case-view';
import { badRequest } from '../problem';
import { actionMeta, caseUpdate } from '../requests';
import {
  actionResult,
  caseSummary as caseSummarySchema,
  numberParams,
  pageOf,
  paging,
  problemResponses,
  rejectionReason,
  versionProperty,
} from '../schemas';

const REVIEWER = { roles: ['reviewer'] } as const;
const security = [{ bearer: [] }];
const tags = ['reviewer'];

interface NumberParams {
  number: string;
}

/** Reviewers work their agency's queue: claim, assign, ask, decide. */
export async function reviewerRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;

  app.get<{
    Querystring: { status?: string; service?: string; overdue?: boolean; assignee?: string; limit: number; offset: number };
  }>(
    '/queue',
    {
      config: REVIEWER,
      schema: {
        tags,
        security,
        summary: "The agency's open cases, soonest deadline first",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: APPLICATION_STATUSES },
            service: { type: 'string', maxLength: 100 },
            overdue: { type: 'boolean' },
            assignee: { type: 'string', maxLength: 200, description: '"unassigned", "me", or a reviewer id' },
            ...paging,
          },
        },
        response: { 200: pageOf(caseSummarySchema), ...problemResponses },
      },
    },
    async (request) => {
      const who = principal(request);
      if (!who.agency) throw badRequest('your token names no agency');
      const q = request.query;
      const assignee = q.assignee === 'me' ? who.id : q.assignee;
      const page = await listQueue(db, { ...q, assignee, agency: who.agency });
      return { items: page.items.map(caseSummary), total: page.total, limit: q.limit, offset: q.offset };
    },
  );

  const versionOnly = { type: 'object', required: ['version'], additionalProperties: false, properties: { version: versionProperty } } as const;

  app.post<{ Params: NumberParams; Body: { version: number } }>(
    '/cases/:number/claim',
    {
      config: REVIEWER,
      schema: { tags, security, summary: 'Take an unassigned case', params: numberParams, body: versionOnly, response: { 200: actionResult, ...problemResponses } },
    },
    async (request) => {
      const row = await caseVisibleTo(db, principal(request), request.params.number, 'application');
      return caseUpdate(app, row.number, claimUpdate, actionMeta(request, request.body.version));
    },
  );

  app.post<{ Params: NumberParams; Body: { version: number; assigneeId: string } }>(
    '/cases/:number/assign',
    {
      config: REVIEWER,
      schema: {
        tags,
        security,
        summary: 'Assign or reassign the case (supervisor or current assignee)',
        params: numberParams,
        body: {
          type: 'object',
          required: ['version', 'assigneeId'],
          additionalProperties: false,
          properties: { version: versionProperty, assigneeId: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 200: actionResult, ...problemResponses },
      },
    },
    async (request) => {
      const row = await caseVisibleTo(db, principal(request), request.params.number, 'application');
      return caseUpdate(app, row.number, assignUpdate, { assigneeId: request.body.assigneeId }, actionMeta(request, request.body.version));
    },
  );

  app.post<{ Params: NumberParams; Body: { version: number; message: string; dueDays?: number } }>(
    '/cases/:number/request-info',
    {
      config: REVIEWER,
      schema: {
        tags,
        security,
        summary: 'Ask the applicant for documents or corrections; pauses the processing deadline',
        params: numberParams,
        body: {
          type: 'object',
          required: ['version', 'message'],
          additionalProperties: false,
          properties: {
            version: versionProperty,
            message: { type: 'string', minLength: 1, maxLength: 4000 },
            dueDays: { type: 'integer', minimum: 1, maximum: 60, description: 'Default: the service term for answers (10 days)' },
          },
        },
        response: { 200: actionResult, ...problemResponses },
      },
    },
    async (request) => {
      const { version, ...input } = request.body;
      const row = await caseVisibleTo(db, principal(request), request.params.number, 'application');
      return caseUpdate(app, row.number, requestInfoUpdate, input, actionMeta(request, version));
    },
  );

  app.post<{ Params: NumberParams; Body: { version: number; outcome: 'approve' | 'reject'; reasonCode?: RejectionReason; comment: string } }>(
    '/cases/:number/decide',
    {
      config: REVIEWER,
      schema: {
        tags,
        security,
        summary: 'Approve or reject; a rejection carries a reason code',
        params: numberParams,
        body: {
          type: 'object',
          required: ['version', 'outcome', 'comment'],
          additionalProperties: false,
          properties: {
            version: versionProperty,
            outcome: { type: 'string', enum: ['approve', 'reject'] },
            reasonCode: rejectionReason,
            comment: { type: 'string', maxLength: 4000 },
          },
          if: { properties: { outcome: { const: 'reject' } } },
          then: { required: ['reasonCode'] },
        },
        response: { 200: actionResult, ...problemResponses },
      },
    },
    async (request) => {
      const { version, ...input } = request.body;
      const row = await caseVisibleTo(db, principal(request), request.params.number, 'application');
      return caseUpdate(app, row.number, decideUpdate, input, actionMeta(request, version));
    },
  );
}
