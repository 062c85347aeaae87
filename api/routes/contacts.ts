import type { FastifyInstance } from 'fastify';
import { contactsOf, enterContactCode, startContactChange, type ContactChangeRequest } from '../../accounts/contact-change';
import { principal } from '../auth';
import { problems } from '../contract';
import { actionKey } from '../idempotency';
import { requestMeta } from '../requests';
import { numberParams } from '../schemas';

const tags = ['identity'];
const security = [{ bearer: [] }];
const CITIZEN = { roles: ['citizen'] } as const;

const contacts = {
  type: 'object',
  required: ['email', 'phone'],
  properties: { email: { type: ['string', 'null'] }, phone: { type: ['string', 'null'] } },
} as const;
const codeAnswer = {
  type: 'object',
  properties: {
    number: { type: 'string' },
    status: { type: 'string', description: 'The change case: awaiting_code, code_expired, locked, confirmed, refused' },
    accepted: { type: 'boolean' },
    attemptsLeft: { type: 'integer' },
    codeExpiresAt: { type: ['string', 'null'] },
    version: { type: 'integer' },
  },
} as const;

/** The citizen's e-mail and phone, and their change confirmed by a code sent to the new address. */
export async function contactRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const { config, temporal } = app.deps;
  // Sending and entering codes is limited like signing in: codes must not be guessed, nor addresses flooded.
  const CODES = { ...CITIZEN, rateLimit: { max: config.authRateLimitPerMinute, timeWindow: '1 minute' } };

  app.get(
    '/me/contacts',
    {
      config: CITIZEN,
      schema: { tags, security, summary: 'My e-mail and phone: where messages go', response: { 200: contacts, ...problems(409) } },
    },
    async (request) => contactsOf(db, principal(request)),
  );

  app.post<{ Body: ContactChangeRequest }>(
    '/me/contacts',
    {
      config: CODES,
      schema: {
        tags,
        security,
        summary: 'Change my e-mail or phone: a one-time code goes to the new address; nothing changes until it is entered',
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
          properties: { email: { type: 'string', format: 'email', maxLength: 200 }, phone: { type: 'string', maxLength: 30 } },
        },
        response: { 201: codeAnswer, ...problems(409) },
      },
    },
    async (request, reply) => {
      const answer = await startContactChange({ db, temporal, config, who: principal(request), meta: requestMeta(request), idempotencyKey: actionKey(request) }, request.body);
      return reply.status(201).header('location', `/cases/${answer.number}`).send(answer);
    },
  );

  app.post<{ Params: { number: string }; Body: { code: string } }>(
    '/me/contacts/:number/code',
    {
      config: CODES,
      schema: {
        tags,
        security,
        summary: 'Enter the code sent to the new address: the address becomes mine and the old one is told; too many wrong codes lock the change',
        params: numberParams,
        body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', pattern: '^\\d{6}$' } } },
        response: { 200: { ...codeAnswer, properties: { ...codeAnswer.properties, contacts } }, ...problems(409, 422) },
      },
    },
    async (request) =>
      enterContactCode({ db, temporal, who: principal(request), meta: requestMeta(request), idempotencyKey: actionKey(request) }, request.params.number, request.body.code),
  );
}
