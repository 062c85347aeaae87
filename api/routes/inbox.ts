import type { FastifyInstance } from 'fastify';
import { ROLES } from '../../core/case-model';
import { isRoleAddress } from '../../core/inbox-addresses';
import type { InboxRow } from '../../db/queries/inbox';
import { inboxOf, markAllRead, markRead, unreadOf } from '../../inbox/inbox';
import { principal } from '../auth';
import { problems } from '../contract';
import { nullableString, pageOf, paging } from '../schemas';

const ANYONE = { roles: ROLES } as const;
const security = [{ bearer: [] }];
const tags = ['inbox'];

const inboxItem = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    type: { type: 'string', description: 'submission_confirmed, status_changed, documents_requested, deadline_warning, deadline_breached, …' },
    title: { type: 'string' },
    caseNumber: { type: 'string' },
    caseKind: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    readAt: { ...nullableString, format: 'date-time' },
    readBy: { ...nullableString, description: 'Who marked it read (for a shared row, one of the team)' },
    shared: { type: 'boolean', description: "Addressed to the caller's team: one read state for all of it" },
    via: { ...nullableString, description: 'The role address it came through: the team (shared rows), or the supervisor address of an escalation' },
    links: { type: 'object', properties: { case: { type: 'string' } } },
  },
} as const;

const unreadCount = {
  type: 'object',
  properties: {
    unread: { type: 'integer', description: 'At most 1000, see capped' },
    capped: { type: 'boolean', description: 'More than `unread` are unread: counting stopped there' },
  },
} as const;

function item(row: InboxRow) {
  const shared = isRoleAddress(row.recipient);
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    caseNumber: row.caseNumber,
    caseKind: row.caseKind,
    createdAt: row.createdAt,
    readAt: row.readAt,
    readBy: row.readBy,
    shared,
    via: shared ? row.recipient : row.via,
    links: { case: `/cases/${row.caseNumber}` },
  };
}

/** Everyone's in-app notifications: their own and their team's, unread first. */
export async function inboxRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/inbox',
    {
      config: ANYONE,
      schema: {
        tags,
        security,
        summary: "My notifications and my team's, unread first, then newest",
        querystring: { type: 'object', additionalProperties: false, properties: { ...paging } },
        response: { 200: pageOf(inboxItem) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await inboxOf(db, principal(request), q);
      return { items: page.items.map(item), total: page.total, totalCapped: page.totalCapped, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/inbox/unread-count',
    {
      config: ANYONE,
      schema: { tags, security, summary: 'How many of my notifications are unread', response: { 200: unreadCount } },
    },
    async (request) => unreadOf(db, principal(request)),
  );

  app.post<{ Params: { id: number } }>(
    '/inbox/:id/read',
    {
      config: ANYONE,
      schema: {
        tags,
        security,
        summary: 'Mark one notification read (again: it keeps the first time)',
        params: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
        },
        response: { 200: inboxItem, ...problems(404) },
      },
    },
    async (request) => item(await markRead(db, principal(request), request.params.id)),
  );

  app.post(
    '/inbox/read-all',
    {
      config: ANYONE,
      schema: {
        tags,
        security,
        summary: 'Mark every unread notification of mine read',
        response: {
          200: { type: 'object', properties: { marked: { type: 'integer' }, ...unreadCount.properties } },
        },
      },
    },
    async (request) => markAllRead(db, principal(request)),
  );
}
