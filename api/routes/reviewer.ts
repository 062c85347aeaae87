import type { FastifyInstance } from 'fastify';
import { DESK_KINDS, officialQueue, REVIEWED_KINDS } from '../../cases/queue';
import { APPEAL_REMEDIES, APPEAL_STATUSES, type AppealRemedy } from '../../core/appeal';
import { APPLICATION_STATUSES, type RejectionReason } from '../../core/application';
import { decideAppealUpdate } from '../../workflows/appeal';
import { assignUpdate, claimUpdate, decideUpdate, requestInfoUpdate } from '../../workflows/machinery/review-desk';
import { principal } from '../auth';
import { queueEntry } from '../case-view';
import { problems } from '../contract';
import { actOnCase } from '../requests';
import {
  actionResult,
  queueEntry as queueEntrySchema,
  numberParams,
  pageOf,
  paging,
  rejectionReason,
  versionProperty,
} from '../schemas';

const REVIEWER = { roles: ['reviewer'] } as const;
const EXPERT = { roles: ['expert'] } as const;
const OFFICIAL = { roles: ['reviewer', 'expert'] } as const;
const security = [{ bearer: [] }];
const tags = ['reviewer'];

interface NumberParams {
  number: string;
}

/** Reviewers work their agency's queue, experts the appeals: claim, assign, ask, decide. */
export async function reviewerRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;

  app.get<{
    Querystring: { status?: string; service?: string; overdue?: boolean; escalated?: boolean; assignee?: string; limit: number; offset: number };
  }>(
    '/queue',
    {
      config: OFFICIAL,
      schema: {
        tags,
        security,
        summary: "Open cases, soonest deadline first: the agency's applications for reviewers, appeals for experts",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...new Set([...APPLICATION_STATUSES, ...APPEAL_STATUSES])] },
            service: { type: 'string', maxLength: 100 },
            overdue: { type: 'boolean' },
            escalated: { type: 'boolean', description: "Escalated to the desk's supervisor: the processing deadline was breached" },
            assignee: { type: 'string', maxLength: 200, description: '"unassigned", "me", or a reviewer id' },
            ...paging,
          },
        },
        response: { 200: pageOf(queueEntrySchema), ...problems(404, 409) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await officialQueue(db, principal(request), q);
      return { items: page.items.map(queueEntry), total: page.total, totalCapped: page.totalCapped, limit: q.limit, offset: q.offset };
    },
  );

  const versionOnly = { type: 'object', required: ['version'], additionalProperties: false, properties: { version: versionProperty } } as const;

  app.post<{ Params: NumberParams; Body: { version: number } }>(
    '/cases/:number/claim',
    {
      config: OFFICIAL,
      schema: { tags, security, summary: 'Take an unassigned case', params: numberParams, body: versionOnly, response: { 200: actionResult, ...problems(404, 409) } },
    },
    async (request) => {
      return actOnCase(request, DESK_KINDS, claimUpdate, [], request.body.version);
    },
  );

  app.post<{ Params: NumberParams; Body: { version: number; assigneeId: string } }>(
    '/cases/:number/assign',
    {
      config: OFFICIAL,
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
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      return actOnCase(request, DESK_KINDS, assignUpdate, [{ assigneeId: request.body.assigneeId }], request.body.version);
    },
  );

  app.post<{ Params: NumberParams; Body: { version: number; message: string; dueDays?: number } }>(
    '/cases/:number/request-info',
    {
      config: OFFICIAL,
      schema: {
        tags,
        security,
        summary: 'Ask the applicant for documents, corrections or (appeals) material; pauses the deadline',
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
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { version, ...input } = request.body;
      return actOnCase(request, DESK_KINDS, requestInfoUpdate, [input], version);
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
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { version, ...input } = request.body;
      return actOnCase(request, REVIEWED_KINDS, decideUpdate, [input], version);
    },
  );

  app.post<{
    Params: NumberParams;
    Body: { version: number; outcome: 'upheld' | 'dismissed'; reasons: string; remedy?: AppealRemedy; correctedFee?: number };
  }>(
    '/cases/:number/appeal-decision',
    {
      config: EXPERT,
      schema: {
        tags,
        security,
        summary: 'Decide an appeal: upheld (with its remedy) or dismissed, with reasons',
        description:
          'Remedies by ground: rejection → reopen (new review by a different reviewer) or replace (the application is approved); ' +
          'wrong_fee → replace with correctedFee; wrong_service → reopen; deadline_breach → expedite. ' +
          'The expert may not be an official who made the contested decision.',
        params: numberParams,
        body: {
          type: 'object',
          required: ['version', 'outcome', 'reasons'],
          additionalProperties: false,
          properties: {
            version: versionProperty,
            outcome: { type: 'string', enum: ['upheld', 'dismissed'] },
            reasons: { type: 'string', minLength: 1, maxLength: 8000 },
            remedy: { type: 'string', enum: APPEAL_REMEDIES },
            correctedFee: { type: 'integer', minimum: 0, maximum: 10_000_000 },
          },
        },
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { version, ...input } = request.body;
      return actOnCase(request, 'appeal', decideAppealUpdate, [input], version);
    },
  );
}
