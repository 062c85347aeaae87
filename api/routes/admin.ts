import type { FastifyInstance } from 'fastify';
import { everyCaseFound, findCases, type CaseSearchQuery } from '../../admin/case-search';
import { reassignOpenCases } from '../../admin/reassignment';
import { statisticsOf, type StatisticsQuery } from '../../admin/statistics';
import { queryResource } from '../../audit/access-journal';
import { CASE_KINDS, CASE_NUMBER_PATTERN } from '../../core/case-model';
import { FailureType } from '../../core/failures';
import { DESK_KINDS } from '../../cases/queue';
import { adminCloseUpdate, adminExtendUpdate, MAX_EXTENSION_DAYS } from '../../workflows/machinery/admin-actions';
import { CASE_STATUSES } from '../../core/status-labels';
import { STATISTICS_DIMENSIONS } from '../../db/queries/statistics';
import { searchItem } from '../case-view';
import { formatParameter, formatsResponse, SEARCH_COLUMNS, sendExport, shaped, STATISTICS_FIGURES, statisticsColumns, type Format } from '../exports';
import { problems } from '../contract';
import { actionMeta, actOnCase, journalAccess } from '../requests';
import { actionKey } from '../idempotency';
import { actionResult, caseSummary, nullableString, numberParams, pageOf, paging, versionProperty } from '../schemas';

const ADMIN = { roles: ['admin'] } as const;
const security = [{ bearer: [] }];
const tags = ['admin'];
// Years Postgres and JavaScript both read the same way, a day's Moscow midnight included.
const day = { type: 'string', format: 'date', pattern: '^(19|2[0-9])[0-9]{2}-' } as const;
const text = { type: 'string', minLength: 1, maxLength: 200 } as const;

const searchItemSchema = {
  type: 'object',
  properties: {
    ...caseSummary.properties,
    applicantId: { type: 'string' },
    links: {
      type: 'object',
      properties: {
        case: { type: 'string', description: 'The case in this API' },
        temporalUi: { type: 'string', description: "The case's workflow in the Temporal Web UI" },
      },
    },
  },
} as const;

// Keyset pages: the position to go on from instead of an offset.
const { offset: _offset, ...pageProperties } = pageOf(searchItemSchema).properties;
const searchPage = {
  type: 'object',
  properties: { ...pageProperties, next: { ...nullableString, description: 'Pass as `after` for the next page; null on the last page' } },
} as const;

const rate = { type: ['number', 'null'], minimum: 0, maximum: 1 } as const;
const statistics = {
  type: 'object',
  properties: {
    from: day,
    to: day,
    groupBy: { type: 'array', items: { type: 'string', enum: STATISTICS_DIMENSIONS } },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          service: nullableString,
          serviceName: nullableString,
          agency: nullableString,
          kind: { type: 'string' },
          status: { type: 'string' },
          ...Object.fromEntries(STATISTICS_FIGURES.map((f) => [f, { type: 'integer', minimum: 0 }])),
          approvalRate: rate,
          upheldRate: rate,
          avgProcessingDays: { type: ['number', 'null'] },
          p90ProcessingDays: { type: ['number', 'null'] },
        },
      },
    },
  },
} as const;

// Some non-blank text: every administrator's action says why.
const reason = { type: 'string', minLength: 1, maxLength: 1000, pattern: '\\S', description: 'Why: kept in the case journal with the administrator who acted' } as const;
const official = { type: 'string', minLength: 1, maxLength: 200 } as const;

const reassignment = {
  type: 'object',
  required: ['from', 'to', 'agency', 'items', 'reassigned', 'refused', 'more'],
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    agency: nullableString,
    reassigned: { type: 'integer', minimum: 0 },
    refused: { type: 'integer', minimum: 0 },
    more: { type: 'boolean', description: 'The official holds more open cases than this batch took: send the request again (with a new key)' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['number', 'outcome'],
        properties: {
          number: { type: 'string' },
          outcome: { type: 'string', enum: ['reassigned', 'refused'] },
          status: { type: 'string', description: 'Reassigned: the case status after the move' },
          version: { type: 'integer', description: 'Reassigned: the case version after the move' },
          code: { type: 'string', enum: Object.values(FailureType), description: 'Refused: the kind of refusal (as in problem+json `code`)' },
          reason: { type: 'string', description: 'Refused: why the case did not move (closed meanwhile, changed since it was listed, …)' },
        },
      },
    },
  },
} as const;

interface NumberParams {
  number: string;
}

/** What administrators read: any case, found by what they know of it, and the statistics, as JSON or exports; and what they do to cases (issue 12). */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const { database, config } = app.deps;
  const { db } = database;

  app.get<{ Querystring: CaseSearchQuery & { limit: number; after?: string; format: Format } }>(
    '/admin/cases',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'Search every case of every kind; JSON pages, or every match as CSV or XLSX',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            number: { type: 'string', pattern: CASE_NUMBER_PATTERN, description: 'The exact case number' },
            kind: { type: 'string', enum: CASE_KINDS },
            status: { type: 'string', enum: CASE_STATUSES },
            service: { ...text, description: 'A catalogue service code (an appeal has the service of the case it contests)' },
            agency: text,
            applicant: text,
            assignee: { ...text, description: '"unassigned", or an official\'s id' },
            overdue: { type: 'boolean', description: 'The processing deadline was breached (and not reset by a new review)' },
            dueFrom: { ...day, description: 'Expected due date from (inclusive)' },
            dueTo: { ...day, description: 'Expected due date to (inclusive)' },
            filedFrom: { ...day, description: 'Filed on or after this day (Moscow time)' },
            filedTo: { ...day, description: 'Filed on or before this day (Moscow time)' },
            sort: {
              type: 'string',
              enum: ['-filed', 'filed', 'due', '-due'],
              default: '-filed',
              description: 'By filing time or expected due date (cases without one last); `-` descending; ties broken by the number',
            },
            limit: paging.limit,
            after: { type: 'string', maxLength: 200, description: 'The `next` of the previous page' },
            format: formatParameter,
          },
        },
        response: { 200: formatsResponse('A page of matching cases, or every match as a download', searchPage) },
      },
    },
    async (request, reply) => {
      const { format, limit, after, ...query } = request.query;
      const id = queryResource(query);
      if (format === 'json') {
        const page = await findCases(db, query, { limit, after });
        await journalAccess(request, { action: 'read', kind: 'case_search', id, subjects: page.items.map((row) => row.applicantId) });
        return { ...page, items: page.items.map((row) => searchItem(row, config)), limit };
      }
      // The export's people are known only as it streams; the filter says whose data left.
      await journalAccess(request, { action: 'export', kind: 'case_search', id, subjects: [] });
      const rows = shaped(everyCaseFound(database, query), (row) => searchItem(row, config));
      return sendExport(reply, format, { name: 'cases', sheet: 'Cases' }, SEARCH_COLUMNS, rows);
    },
  );

  app.get<{ Querystring: StatisticsQuery & { format: Format } }>(
    '/admin/statistics',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: "A period's counts, approval and upheld rates, processing times, breaches and overdue cases, by service, agency, kind or status",
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: {
            from: { ...day, description: "The period's first day (Moscow time)" },
            to: { ...day, description: "The period's last day (Moscow time), inclusive" },
            groupBy: {
              type: 'array',
              items: { type: 'string', enum: STATISTICS_DIMENSIONS },
              uniqueItems: true,
              maxItems: STATISTICS_DIMENSIONS.length,
              default: [],
              description: 'Repeat for several (groupBy=service&groupBy=status); none: one row for everything',
            },
            format: formatParameter,
          },
        },
        response: { 200: formatsResponse("The period's figures per group, or the same rows as a download", statistics) },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query;
      const result = await statisticsOf(db, query);
      if (format === 'json') return result;
      const file = { name: `statistics-${result.from}-${result.to}`, sheet: 'Statistics' };
      return sendExport(reply, format, file, statisticsColumns(result.groupBy), [result.rows]);
    },
  );

  app.post<{ Body: { from: string; to: string; agency?: string | null; reason: string; limit: number } }>(
    '/admin/reassignments',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: "Move an official's open cases to another official of the same desk: one batch, each case reported moved or refused with its reason",
        body: {
          type: 'object',
          required: ['from', 'to', 'reason'],
          additionalProperties: false,
          properties: {
            from: { ...official, description: 'The official whose open cases move' },
            to: { ...official, description: 'The official who takes them' },
            agency: {
              type: ['string', 'null'],
              minLength: 1,
              maxLength: 200,
              description: "The desk both work at: an agency's code; null or absent for the appeal experts. Only that desk's cases move",
            },
            reason,
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 100, description: 'Cases moved by this request at most' },
          },
        },
        response: { 200: reassignment },
      },
    },
    async (request) => {
      const { agency = null, ...body } = request.body;
      return reassignOpenCases({ db, temporal: app.deps.temporal }, { ...body, agency }, actionMeta(request), actionKey(request));
    },
  );

  app.post<{ Params: NumberParams; Body: { version: number; days: number; reason: string } }>(
    '/admin/cases/:number/extend-deadline',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: "Give a case's processing deadline more days: its clock stands that many calendar days from today; reminders and escalation move with it",
        params: numberParams,
        body: {
          type: 'object',
          required: ['version', 'days', 'reason'],
          additionalProperties: false,
          properties: { version: versionProperty, days: { type: 'integer', minimum: 1, maximum: MAX_EXTENSION_DAYS }, reason },
        },
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { version, days, reason: why } = request.body;
      return actOnCase(request, DESK_KINDS, adminExtendUpdate, [{ days, reason: why }], version);
    },
  );

  app.post<{ Params: NumberParams; Body: { version: number; reason: string } }>(
    '/admin/cases/:number/close',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'Close a broken case without a decision: journaled, what it holds released (a passport change frees its vehicle), shown closed',
        params: numberParams,
        body: { type: 'object', required: ['version', 'reason'], additionalProperties: false, properties: { version: versionProperty, reason } },
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { version, reason: why } = request.body;
      return actOnCase(request, DESK_KINDS, adminCloseUpdate, [{ reason: why }], version);
    },
  );
}
