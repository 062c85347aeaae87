import type { FastifyInstance } from 'fastify';
import { CITIZEN_NOTICE_TYPES, CODE_TYPES, DELIVERY_CHANNELS, type NoticeChoices } from '../../core/notices';
import { queryResource } from '../../audit/access-journal';
import { listDeliveryAttempts, type DeliveryLogFilter } from '../../db/queries/deliveries';
import { changeNoticePreferences, noticePreferences } from '../../notifications/preferences';
import { principal } from '../auth';
import { journalAccess } from '../requests';
import { CASE_NUMBER_PATTERN } from '../../core/case-model';
import { nullableString, pageOf, paging } from '../schemas';

const security = [{ bearer: [] }];
const tags = ['notifications'];
const CITIZEN = { roles: ['citizen'] } as const;
const ADMIN = { roles: ['admin'] } as const;

const channelList = { type: 'array', uniqueItems: true, maxItems: DELIVERY_CHANNELS.length, items: { type: 'string', enum: DELIVERY_CHANNELS } } as const;
const typeMap = (required: boolean) => ({
  type: 'object',
  additionalProperties: false,
  ...(required ? { required: [...CITIZEN_NOTICE_TYPES] } : {}),
  properties: Object.fromEntries(CITIZEN_NOTICE_TYPES.map((t) => [t, channelList])),
});

const preferences = {
  type: 'object',
  required: ['channels', 'inbox', 'alwaysSent'],
  properties: {
    channels: { ...typeMap(true), description: 'The channels of each notice type; every notice also lands in the in-app inbox' },
    inbox: { type: 'string', enum: ['always'] },
    alwaysSent: { type: 'array', items: { type: 'string', enum: CODE_TYPES }, description: 'Codes: sent whatever the choices' },
  },
} as const;

const attempt = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    caseNumber: { type: 'string' },
    messageKey: { type: 'string' },
    type: nullableString,
    seq: { type: ['integer', 'null'] },
    channel: { type: 'string', enum: DELIVERY_CHANNELS },
    recipient: { type: 'string', description: 'The address it was sent to' },
    outcome: { type: 'string', enum: ['accepted', 'retryable', 'rejected'] },
    providerStatus: { type: ['integer', 'null'], description: 'HTTP status or SMTP reply code; null when no answer came' },
    providerMessageId: nullableString,
    error: nullableString,
    attemptedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** The citizen's channels per notice type; the admins' delivery log. */
export async function notificationRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;

  app.get(
    '/me/notification-preferences',
    {
      config: CITIZEN,
      schema: { tags, security, summary: 'My channels per notice type (defaults until I change them)', response: { 200: preferences } },
    },
    async (request) => noticePreferences(db, principal(request).id),
  );

  app.patch<{ Body: { channels: NoticeChoices } }>(
    '/me/notification-preferences',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'Choose the channels of the notice types named; the others keep theirs',
        body: { type: 'object', required: ['channels'], additionalProperties: false, properties: { channels: typeMap(false) } },
        response: { 200: preferences },
      },
    },
    async (request) => changeNoticePreferences(db, principal(request).id, request.body.channels),
  );

  app.get<{ Querystring: Omit<DeliveryLogFilter, 'limit' | 'offset'> & { limit: number; offset: number } }>(
    '/admin/deliveries',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'The delivery log: every attempt to send a message, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            caseNumber: { type: 'string', pattern: CASE_NUMBER_PATTERN },
            channel: { type: 'string', enum: DELIVERY_CHANNELS },
            outcome: { type: 'string', enum: ['accepted', 'retryable', 'rejected'] },
            ...paging,
          },
        },
        response: { 200: pageOf(attempt) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listDeliveryAttempts(db, q);
      // Its rows carry the addresses messages went to.
      await journalAccess(request, { action: 'read', kind: 'delivery_log', id: queryResource({ caseNumber: q.caseNumber, channel: q.channel, outcome: q.outcome }), subjects: [] });
      return { ...page, limit: q.limit, offset: q.offset };
    },
  );
}
