import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  decideInPerson,
  enterLetterCode,
  inPersonRequest,
  startConfirmedUpgrade,
  submitIdentitySignature,
  type ConfirmedUpgradeRequest,
} from '../../accounts/confirmed-upgrade';
import { authenticateBankCallback, receiveBankCallback, type BankCallback } from '../../accounts/bank-callbacks';
import { CONFIRMATION_METHODS } from '../../core/identity';
import type { OperatorDecision } from '../../workflows/identity-confirmed';
import { principal } from '../auth';
import { problems } from '../contract';
import { actionKey } from '../idempotency';
import { actionMeta, journalAccess, requestMeta } from '../requests';
import { numberParams, versionProperty } from '../schemas';
import { keepRawJson, signatureHeader } from '../signed-webhook';

const tags = ['identity'];
const answer = {
  type: 'object',
  properties: { number: { type: 'string' }, status: { type: 'string' }, version: { type: 'integer' } },
} as const;

/** Confirmed level: the citizen's request, the operator's in-person check, the bank's callback. */
export async function identityConfirmationRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const { config, temporal } = app.deps;
  keepRawJson(app);
  const citizen = (request: FastifyRequest) => ({ db, temporal, who: principal(request), meta: requestMeta(request), idempotencyKey: actionKey(request) });

  app.post<{ Body: ConfirmedUpgradeRequest }>(
    '/identity/upgrades/confirmed',
    {
      config: { roles: ['citizen'] },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'Confirm the identity (level confirmed) in person at an office or through an online bank',
        body: {
          type: 'object',
          required: ['method', 'place'],
          additionalProperties: false,
          properties: {
            method: { type: 'string', enum: CONFIRMATION_METHODS },
            place: { type: 'string', minLength: 2, maxLength: 200, description: 'The office (in person) or the bank' },
          },
        },
        response: { 202: answer, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      const result = await startConfirmedUpgrade(
        { ...citizen(request), config },
        request.body,
      );
      return reply.status(202).header('location', `/cases/${result.number}`).send(result);
    },
  );

  app.post<{ Params: { number: string }; Body: { code: string } }>(
    '/identity/upgrades/confirmed/:number/letter-code',
    {
      config: { roles: ['citizen'], rateLimit: { max: config.authRateLimitPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'Enter the code from the registered letter; too many wrong codes lock the request',
        params: numberParams,
        body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', pattern: '^\\d{6}$' } } },
        response: { 200: { ...answer, properties: { ...answer.properties, accepted: { type: 'boolean' }, attemptsLeft: { type: 'integer' } } }, ...problems(404, 409) },
      },
    },
    async (request) => enterLetterCode(citizen(request), request.params.number, request.body.code),
  );

  app.post<{ Params: { number: string }; Body: { certificatePem: string; signature: string } }>(
    '/identity/upgrades/confirmed/:number/signature',
    {
      config: { roles: ['citizen'] },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: "Send the case's challenge signed with your qualified electronic signature, and your certificate",
        params: numberParams,
        body: {
          type: 'object',
          required: ['certificatePem', 'signature'],
          additionalProperties: false,
          properties: {
            certificatePem: {
              type: 'string',
              minLength: 100,
              maxLength: 20_000,
              pattern: '^-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----\\s*$',
              description: 'X.509 certificate, PEM',
            },
            signature: {
              type: 'string',
              minLength: 16,
              maxLength: 2000,
              pattern: '^[A-Za-z0-9+/]+={0,2}$',
              description: 'Base64 detached signature of the challenge',
            },
          },
        },
        response: {
          200: { ...answer, properties: { ...answer.properties, accepted: { type: 'boolean' }, reason: { type: ['string', 'null'] } } },
          ...problems(404, 409),
        },
      },
    },
    async (request) => submitIdentitySignature(citizen(request), request.params.number, request.body),
  );

  app.get<{ Params: { number: string } }>(
    '/identity/in-person/:number',
    {
      config: { roles: ['operator'] },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'What an operator needs to check a citizen in person: the name, the request and its version',
        params: numberParams,
        response: {
          200: {
            type: 'object',
            properties: {
              number: { type: 'string' },
              status: { type: 'string' },
              version: { type: 'integer' },
              citizenName: { type: 'string' },
              expiresAt: { type: 'string' },
            },
          },
          ...problems(404, 409),
        },
      },
    },
    async (request) => {
      const { applicantId, view } = await inPersonRequest(db, request.params.number);
      await journalAccess(request, { action: 'read', kind: 'identity_request', id: view.number, subjects: [applicantId] });
      return view;
    },
  );

  app.post<{ Params: { number: string }; Body: OperatorDecision & { version: number } }>(
    '/identity/in-person/:number/decision',
    {
      config: { roles: ['operator'] },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'The operator confirms (or refuses) after checking the original documents',
        params: numberParams,
        body: {
          type: 'object',
          required: ['decision', 'office', 'version'],
          additionalProperties: false,
          properties: {
            decision: { type: 'string', enum: ['confirm', 'refuse'] },
            office: { type: 'string', minLength: 2, maxLength: 200 },
            reason: { type: 'string', maxLength: 1000 },
            version: versionProperty,
          },
        },
        response: { 200: answer, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { version, ...decision } = request.body;
      return decideInPerson({ db, temporal, idempotencyKey: actionKey(request) }, request.params.number, decision, actionMeta(request, version));
    },
  );

  const bankCallback = (request: FastifyRequest) => ({
    db,
    temporal,
    banks: config.auth.banks,
    maxAgeSeconds: config.auth.bankCallbackMaxAgeSeconds,
    meta: requestMeta(request),
    log: request.log,
  });

  app.post<{ Params: { bank: string }; Body: BankCallback }>(
    '/identity/banks/:bank/callback',
    {
      preValidation: async (request) => {
        const signer = await authenticateBankCallback(bankCallback(request), request.params.bank, request.rawBody ?? '', request.headers['x-signature'], request.body);
        request.signer = `bank:${signer}`;
      },
      schema: {
        tags,
        summary: "An online bank's answer to an identity confirmation, at the bank's own address (HMAC-SHA256 of the body with the bank's key in X-Signature)",
        description:
          'Refused: a signature by no known key (401), by another bank\'s key (401), a request confirmed through another bank (403), ' +
          'an unknown request (404), `sentAt` further from now than BANK_CALLBACK_MAX_AGE_SECONDS (401) and an `eventId` that reached its case before (409). ' +
          'Every refusal of a callback a bank signed is journaled on the request.',
        params: { type: 'object', required: ['bank'], properties: { bank: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$', description: 'The bank\'s id (BANKS)' } } },
        headers: signatureHeader,
        body: {
          type: 'object',
          required: ['eventId', 'sentAt', 'caseNumber', 'confirmed', 'reference'],
          additionalProperties: false,
          properties: {
            eventId: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$', description: "The bank's id of this notification: each is accepted once" },
            sentAt: { type: 'string', format: 'date-time', description: 'When the bank sent it' },
            caseNumber: { type: 'string', pattern: '^I-\\d{4}-\\d{7}$' },
            confirmed: { type: 'boolean' },
            reference: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
        response: { 202: { type: 'object', properties: { accepted: { type: 'boolean' } } }, ...problems(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await receiveBankCallback(bankCallback(request), request.params.bank, request.body);
      return reply.status(202).send({ accepted: true });
    },
  );
}
