import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FailureType, Refusal } from '../core/failures';
import { signatureMatches } from '../lib/hmac-signature';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    /** The outside party whose signature the callback carried. */
    signer?: string;
  }
}

/** JSON bodies in this plugin scope keep their exact bytes, which the signature covers. */
export function keepRawJson(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }));
    }
  });
}

/**
 * Callbacks from outside parties are signed: HMAC-SHA256 of the body. The party that
 * signed is the caller its Idempotency-Keys belong to. (The online banks, each with a key
 * of its own, are told apart in accounts/bank-callbacks.ts.)
 */
export function verifySignature(secret: string, request: FastifyRequest, who: string): void {
  if (!signatureMatches(secret, request.rawBody ?? '', request.headers['x-signature'])) {
    throw new Refusal(FailureType.Unauthenticated, `the ${who} notification signature does not verify`);
  }
  request.signer = who;
}

export const signatureHeader = {
  type: 'object',
  required: ['x-signature'],
  properties: { 'x-signature': { type: 'string', description: 'sha256=<hex HMAC of the body>' } },
} as const;
