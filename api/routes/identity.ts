import type { FastifyInstance } from 'fastify';
import { enterRegistrationCode, restartRegistration, startRegistration, type RegistrationRequest } from '../../accounts/registration';
import { signIn } from '../../accounts/sign-in';
import { startStandardUpgrade, type StandardUpgradeRequest } from '../../accounts/standard-upgrade';
import type { CodeChannel } from '../../core/identity';
import { principal } from '../auth';
import { problems } from '../contract';
import { actionKey } from '../idempotency';
import { requestMeta } from '../requests';
import { numberParams } from '../schemas';

const tags = ['identity'];
const codeAnswer = {
  type: 'object',
  properties: {
    number: { type: 'string' },
    accountId: { type: 'string' },
    status: { type: 'string' },
    accepted: { type: 'boolean' },
    attemptsLeft: { type: 'integer' },
    codeExpiresAt: { type: ['string', 'null'] },
    version: { type: 'integer' },
  },
} as const;
const accountIdProperty = { type: 'string', format: 'uuid', description: 'Returned when the registration started' } as const;

/** Registration with a one-time code, and sign-in that issues bearer tokens. */
export async function identityRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const { config, temporal } = app.deps;
  const authLimit = { max: config.authRateLimitPerMinute, timeWindow: '1 minute', keyGenerator: (r: { ip: string }) => r.ip };

  app.post<{ Body: RegistrationRequest }>(
    '/identity/registrations',
    {
      config: { rateLimit: authLimit },
      schema: {
        tags,
        summary: 'Register: name and a phone (+7) or e-mail, confirmed by a one-time code → level simplified',
        body: {
          type: 'object',
          required: ['name', 'password'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 2, maxLength: 200 },
            phone: { type: 'string', maxLength: 30 },
            email: { type: 'string', format: 'email', maxLength: 200 },
            password: { type: 'string', maxLength: 200, description: '8+ characters, upper and lower case, digits' },
            channel: {
              type: 'string',
              enum: ['sms', 'email'],
              description: 'Where the code goes (default: sms when a phone is given). Only the contact whose code is entered is bound to the account; add the other later with POST /me/contacts',
            },
          },
        },
        response: { 201: codeAnswer, ...problems(409) },
      },
    },
    async (request, reply) => {
      const answer = await startRegistration({ db, temporal, config, meta: requestMeta(request), idempotencyKey: actionKey(request) }, request.body);
      return reply.status(201).send(answer);
    },
  );

  app.post<{ Params: { number: string }; Body: { accountId: string; code: string } }>(
    '/identity/registrations/:number/code',
    {
      config: { rateLimit: authLimit },
      schema: {
        tags,
        summary: 'Enter the one-time code; too many wrong codes lock the attempt',
        params: numberParams,
        body: {
          type: 'object',
          required: ['accountId', 'code'],
          additionalProperties: false,
          properties: { accountId: accountIdProperty, code: { type: 'string', pattern: '^\\d{6}$' } },
        },
        response: { 200: codeAnswer, ...problems(404, 409) },
      },
    },
    async (request) => enterRegistrationCode({ db, temporal, meta: requestMeta(request), idempotencyKey: actionKey(request) }, request.params.number, request.body),
  );

  app.post<{ Params: { number: string }; Body: { accountId: string; channel?: CodeChannel } }>(
    '/identity/registrations/:number/restart',
    {
      config: { rateLimit: authLimit },
      schema: {
        tags,
        summary: 'Send a new code (after expiry or a lock), on the same or the other channel',
        params: numberParams,
        body: {
          type: 'object',
          required: ['accountId'],
          additionalProperties: false,
          properties: { accountId: accountIdProperty, channel: { type: 'string', enum: ['sms', 'email'] } },
        },
        response: { 200: codeAnswer, ...problems(404, 409) },
      },
    },
    async (request) => restartRegistration({ db, temporal, config, meta: requestMeta(request), idempotencyKey: actionKey(request) }, request.params.number, request.body),
  );

  app.post<{ Body: StandardUpgradeRequest }>(
    '/identity/upgrades/standard',
    {
      config: { roles: ['citizen'] },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'Raise the account to standard: passport and SNILS are checked against the state registries',
        body: {
          type: 'object',
          required: ['snils', 'passportSeries', 'passportNumber', 'birthDate', 'citizenship'],
          additionalProperties: false,
          properties: {
            snils: { type: 'string', maxLength: 20 },
            passportSeries: { type: 'string', maxLength: 10 },
            passportNumber: { type: 'string', maxLength: 10 },
            birthDate: { type: 'string', maxLength: 10 },
            citizenship: { type: 'string', enum: ['RU', 'foreign'] },
            inn: { type: 'string', maxLength: 12 },
          },
        },
        response: {
          202: { type: 'object', properties: { number: { type: 'string' }, status: { type: 'string' }, version: { type: 'integer' } } },
          ...problems(404, 409),
        },
      },
    },
    async (request, reply) => {
      const answer = await startStandardUpgrade(
        { db, temporal, config, who: principal(request), meta: requestMeta(request), idempotencyKey: actionKey(request) },
        request.body,
      );
      return reply.status(202).header('location', `/cases/${answer.number}`).send(answer);
    },
  );

  // Sign-in issues the built-in issuer's tokens: with an OpenID provider alone (no AUTH_JWT_SECRET) there is none to issue.
  if (!config.auth.jwtSecret) return;
  app.post<{ Body: { login: string; password: string } }>(
    '/auth/login',
    {
      // A sign-in acts on nothing, and its answer is a token: never kept for a replay.
      config: { rateLimit: authLimit, idempotency: false },
      schema: {
        tags,
        summary: 'Sign in with phone (+7…) or e-mail and password; returns a bearer token carrying the account level',
        body: {
          type: 'object',
          required: ['login', 'password'],
          additionalProperties: false,
          properties: { login: { type: 'string', minLength: 3, maxLength: 200 }, password: { type: 'string', maxLength: 200 } },
        },
        response: {
          200: { type: 'object', properties: { token: { type: 'string' }, accountId: { type: 'string' }, level: { type: 'string' } } },
          ...problems(401, 403),
        },
      },
    },
    async (request) => signIn({ db, auth: config.auth, identity: config.identity }, request.body),
  );
}
