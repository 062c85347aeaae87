import type { FastifyInstance } from 'fastify';
import { caseForReader, caseSubjects, caseTimeline } from '../../cases/access';
import { checkedEdit, fileApplication, resendApplication, type FilingRequest } from '../../cases/application-filing';
import { ownedDocuments } from '../../cases/owned-documents';
import type { ProjectionBatch } from '../../core/case-projection';
import { listApplicantCases } from '../../db/queries/cases';
import { cancelUpdate, editUpdate, restoreUpdate } from '../../workflows/application';
import { answerInfoUpdate } from '../../workflows/machinery/review-desk';
import { principal } from '../auth';
import { caseDetail, caseSummary, timelineEntry } from '../case-view';
import { problems } from '../contract';
import { actOnCase, filingContext, journalAccess, projectAhead, sendFiled } from '../requests';
import {
  actionResult,
  caseDetail as caseDetailSchema,
  caseDetailOfKind,
  caseSummary as caseSummarySchema,
  documentIds,
  numberParams,
  pageOf,
  paging,
  timelineEntry as timelineEntrySchema,
  versionProperty,
} from '../schemas';

const CITIZEN = { roles: ['citizen'] } as const;
const ANYONE_ON_CASE = { roles: ['citizen', 'reviewer', 'expert', 'admin'] } as const;
const security = [{ bearer: [] }];
const tags = ['cases'];

interface NumberParams {
  number: string;
}

const formBody = {
  form: { type: 'object', additionalProperties: true, description: 'Validated against the service form schema' },
  documents: documentIds,
} as const;

/** Citizens file, follow and act on their own applications. */
export async function caseRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const filing = (request: Parameters<typeof filingContext>[0]) => ({
    ...filingContext(request),
    paymentPayee: app.deps.config.payments.payeeCode,
    projectAhead: (batch: ProjectionBatch, start: () => Promise<void>) => projectAhead(request, batch, start),
    clock: app.deps.clock,
  });

  app.post<{ Body: FilingRequest }>(
    '/cases',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'File an application for a catalogue service',
        body: {
          type: 'object',
          required: ['serviceCode', 'form', 'documents'],
          additionalProperties: false,
          properties: { serviceCode: { type: 'string', minLength: 1, maxLength: 100 }, ...formBody },
        },
        response: { 201: actionResult, 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      return sendFiled(reply, await fileApplication(filing(request), request.body));
    },
  );

  app.get<{
    Querystring: { service?: string; status?: string; submittedFrom?: string; submittedTo?: string; limit: number; offset: number };
  }>(
    '/cases',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'My applications, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            service: { type: 'string', maxLength: 100 },
            status: { type: 'string', minLength: 1, maxLength: 40 },
            submittedFrom: { type: 'string', format: 'date' },
            submittedTo: { type: 'string', format: 'date' },
            ...paging,
          },
        },
        response: { 200: pageOf(caseSummarySchema), ...problems(404, 409) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listApplicantCases(db, { ...q, applicantId: principal(request).id });
      return { items: page.items.map(caseSummary), total: page.total, totalCapped: page.totalCapped, limit: q.limit, offset: q.offset };
    },
  );

  app.get<{ Params: NumberParams }>(
    '/cases/:number',
    {
      config: ANYONE_ON_CASE,
      schema: {
        tags,
        security,
        summary: 'A case with its deadline, documents, decision and result',
        params: numberParams,
        response: { 200: caseDetailSchema, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const { row, resentAs } = await caseForReader(db, who, request.params.number);
      await journalAccess(request, { action: 'read', kind: 'case', id: row.number, subjects: caseSubjects(row) });
      reply.header('etag', `"${row.version}"`);
      // Compiled once per kind (Fastify caches it by schema).
      reply.serializer(reply.compileSerializationSchema(caseDetailOfKind[row.kind], '200'));
      return caseDetail(row, { resentAs, who, config: app.deps.config });
    },
  );

  app.get<{ Params: NumberParams }>(
    '/cases/:number/timeline',
    {
      config: ANYONE_ON_CASE,
      schema: {
        tags,
        security,
        summary: 'Everything that happened to the case, in order',
        params: numberParams,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: timelineEntrySchema } } }, ...problems(404, 409) },
      },
    },
    async (request) => {
      const who = principal(request);
      const { row, entries } = await caseTimeline(db, who, request.params.number);
      await journalAccess(request, { action: 'read', kind: 'case_timeline', id: row.number, subjects: caseSubjects(row) });
      return { items: entries.map((e) => timelineEntry(e, who)) };
    },
  );

  app.post<{ Params: NumberParams; Body: { form: Record<string, unknown>; documents: string[]; version?: number } }>(
    '/cases/:number/edit',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'Edit the application before review (where the service allows it)',
        params: numberParams,
        body: {
          type: 'object',
          required: ['form', 'documents'],
          additionalProperties: false,
          properties: { ...formBody, version: versionProperty },
        },
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { version, ...edit } = request.body;
      return actOnCase(request, 'application', editUpdate, async (row) => [await checkedEdit(db, principal(request), row, edit)], version);
    },
  );

  for (const [path, update, summary] of [
    ['cancel', cancelUpdate, 'Withdraw the application (until a decision is being issued)'],
    ['restore', restoreUpdate, 'Restore a withdrawn application within 30 days'],
  ] as const) {
    app.post<{ Params: NumberParams; Body: { version?: number } | undefined }>(
      `/cases/:number/${path}`,
      {
        config: CITIZEN,
        schema: {
          tags,
          security,
          summary,
          params: numberParams,
          body: { type: 'object', additionalProperties: false, properties: { version: versionProperty } },
          response: { 200: actionResult, ...problems(404, 409) },
        },
      },
      async (request) => {
        return actOnCase(request, 'application', update, [], request.body?.version);
      },
    );
  }

  app.post<{ Params: NumberParams; Body: { comment: string; documents: string[] } }>(
    '/cases/:number/answer',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: "Answer the reviewer's information request (or the expert's request for material on an appeal)",
        params: numberParams,
        body: {
          type: 'object',
          required: ['comment'],
          additionalProperties: false,
          properties: { comment: { type: 'string', maxLength: 4000 }, documents: { ...documentIds, default: [] } },
        },
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { comment, documents } = request.body;
      return actOnCase(request, ['application', 'appeal', 'epts_change'], answerInfoUpdate, async () => [
        { comment, documents: await ownedDocuments(db, principal(request).id, documents) },
      ]);
    },
  );

  app.post<{ Params: NumberParams; Body: Partial<Omit<FilingRequest, 'serviceCode'>> | undefined }>(
    '/cases/:number/resend',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'Re-send a rejected or expired application as a new linked case, prefilled from it',
        params: numberParams,
        body: { type: 'object', additionalProperties: false, properties: formBody },
        response: { 201: actionResult, 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      return sendFiled(reply, await resendApplication(filing(request), request.params.number, request.body ?? {}));
    },
  );
}
