import type { FastifyInstance } from 'fastify';
import { ACCESS_ACTIONS, ACCESSED_KINDS, queryResource, readAccessJournal, type JournalQuery } from '../../audit/access-journal';
import { ROLES } from '../../core/case-model';
import { invalid } from '../../core/failures';
import { journalAccess } from '../requests';
import { nullableString } from '../schemas';

const ADMIN = { roles: ['admin'] } as const;
const subjectId = { type: 'string', minLength: 1, maxLength: 200 } as const;
const instant = { type: 'string', format: 'date-time' } as const;

const entry = {
  type: 'object',
  required: ['id', 'at', 'actorId', 'actorRole', 'action', 'resourceKind', 'resourceId', 'subjectId', 'clientAddress', 'requestId'],
  properties: {
    id: { type: 'integer' },
    at: instant,
    actorId: { type: 'string', description: 'Who read: the token subject' },
    actorRole: { type: 'string', enum: ROLES },
    actorAgency: { ...nullableString, description: "Officials: the agency their token names" },
    action: { type: 'string', enum: ACCESS_ACTIONS },
    resourceKind: { type: 'string', enum: ACCESSED_KINDS },
    resourceId: { type: 'string', description: "A case number, a document id, a result document's code, VIN@version; for a query, its filter (`*`: none)" },
    subjectId: { ...nullableString, description: 'Whom the data is about; null when nobody in particular' },
    clientAddress: { type: 'string', description: 'The connection\'s address, or what a configured trusted proxy forwarded' },
    requestId: { type: 'string', description: "The request's x-request-id, as in the API's log" },
  },
} as const;

/** Administrators read who read whose personal data. */
export async function accessJournalRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;

  app.get<{ Querystring: JournalQuery }>(
    '/admin/access-journal',
    {
      config: ADMIN,
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'The access journal: reads of personal data (officials opening cases, operators in-person requests, downloads, exports), newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            subject: { ...subjectId, description: 'Whose data was read' },
            actor: { ...subjectId, description: 'Who read it' },
            from: { ...instant, description: 'From this instant, inclusive' },
            to: { ...instant, description: 'Until this instant, exclusive' },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', pattern: '^[1-9][0-9]{0,15}$', description: "The page after the one whose `nextCursor` this is" },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'nextCursor', 'limit'],
            properties: {
              items: { type: 'array', items: entry },
              nextCursor: { ...nullableString, description: 'Pass as `cursor` for the next page; null on the last' },
              limit: { type: 'integer' },
            },
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) {
        throw invalid('the period is empty', [{ path: '/querystring/to', message: 'must be after from' }]);
      }
      const page = await readAccessJournal(db, q);
      // Reading the journal is itself a read of whose data was read by whom.
      const filter = { subject: q.subject, actor: q.actor, from: q.from, to: q.to };
      await journalAccess(request, { action: 'read', kind: 'access_journal', id: queryResource(filter), subjects: q.subject ? [q.subject] : [] });
      return { ...page, limit: q.limit };
    },
  );
}
