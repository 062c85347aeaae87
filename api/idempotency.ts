/**
 * Idempotency keys of acting requests (IETF draft "The Idempotency-Key HTTP Header
 * Field"). Every POST that creates or acts takes an `Idempotency-Key`; the key belongs to
 * the caller (the token's subject, a callback's signer, or nobody for the anonymous
 * routes, where the body itself must match) and the route. The first attempt claims the
 * key, acts, and stores its answer with the request's fingerprint; a retry of the same
 * request gets that answer again, marked `Idempotent-Replayed: true`, and acts on nothing.
 *
 * What is stored: every answer below 500. A refusal is the answer to that request, and
 * the same request is refused again; a 5xx (an outage's 503 included) gives the key back,
 * so the retry acts. An attempt holds its key under a lease it renews while it acts; a
 * process killed mid-request leaves a lease that runs out, and the retry after it takes
 * the key over and acts again. The action itself is keyed too (`actionKey`): a case's
 * update carries it as its update id, a filing's case number and an upload's document id
 * derive from it, so an attempt that got as far as acting before it died is found, not
 * repeated.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler, onSendAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import { canonicalJson } from '../core/canonical-json';
import { FailureType, invalid, Refusal } from '../core/failures';
import {
  claimRequestKey,
  deleteExpiredRequestKeys,
  releaseRequestKey,
  renewRequestLease,
  storeRequestAnswer,
  type KeyTerms,
  type RequestKey,
  type StoredAnswer,
} from '../db/queries/idempotent-requests';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Every POST takes an Idempotency-Key unless it acts on nothing (false: a read, or a
     * sign-in whose answer, a token, must not be kept); 'in-handler': the route reads its
     * body itself (multipart) and claims the key with `claimIdempotencyKey` once it has.
     */
    idempotency?: false | 'in-handler';
  }
  interface FastifyRequest {
    /** The request's key, scoped, and the attempt acting under it. */
    idempotency?: KeyedRequest;
  }
}

interface KeyedRequest {
  id: RequestKey;
  attempt?: number;
  renewal?: NodeJS.Timeout;
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
const KEY_LENGTH = { min: 8, max: 100 };

const keyHeaderSchema = {
  type: 'string',
  minLength: KEY_LENGTH.min,
  maxLength: KEY_LENGTH.max,
  description:
    'A key of your own (a UUID) that makes a retry safe: the same request again gets the first answer (marked Idempotent-Replayed: true) ' +
    'and acts on nothing; the key with a different request is refused with 422; while the first is still being acted on, 409 with Retry-After.',
} as const;

/** How long a request killed with its process keeps its key from a retry. */
const LEASE_SECONDS = 10;
/** Well within the lease, so a request that acts longer than it keeps its key. */
const RENEW_EVERY_MS = (LEASE_SECONDS * 1000) / 3;
/** Expired keys are deleted this often; a claim treats an expired key as new anyway. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** What of an answer's headers a replay repeats: its media type and where the created thing is. */
const KEPT_HEADERS = ['content-type', 'location'] as const;

/** Whether a request with this method on a route with this config takes a key. */
export function takesIdempotencyKey(method: string | string[], config: { idempotency?: false | 'in-handler' } | undefined): boolean {
  return [method].flat().some((m) => m.toUpperCase() === 'POST') && config?.idempotency !== false;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function scopeOf(request: FastifyRequest): string {
  if (request.principal) return `subject:${request.principal.id}`;
  if (request.signer) return `signer:${request.signer}`;
  return 'anonymous';
}

function checkedKey(value: string | string[]): string {
  const key = [value].flat().join(', ');
  if (key.length < KEY_LENGTH.min || key.length > KEY_LENGTH.max) {
    throw invalid('the Idempotency-Key is invalid', [{ path: `/headers/${IDEMPOTENCY_HEADER}`, message: `must be ${KEY_LENGTH.min} to ${KEY_LENGTH.max} characters` }]);
  }
  return key;
}

/**
 * The key of what this request does, the same for every attempt of it: effects that may
 * have happened before a process died are keyed by it (an update id, a case number, a
 * document id). Undefined without an Idempotency-Key.
 */
export function actionKey(request: FastifyRequest): string | undefined {
  const id = request.idempotency?.id;
  return id && `idem-${sha256(JSON.stringify([id.scope, id.route, id.key]))}`;
}

const termsOf = (request: FastifyRequest): KeyTerms => ({
  leaseSeconds: LEASE_SECONDS,
  retentionHours: request.server.deps.config.http.idempotencyRetentionHours,
});

function replay(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  return reply.status(answer.status).headers(answer.headers).header(REPLAYED_HEADER, 'true').send(answer.body);
}

/**
 * Claims the request's key for this attempt, given what the request is (its URL and
 * `body`). False when the request was answered here instead: the stored answer replayed.
 * Throws the refusal of a key used for another request (422) or still in flight (409).
 */
export async function claimIdempotencyKey(request: FastifyRequest, reply: FastifyReply, body: unknown): Promise<boolean> {
  const keyed = request.idempotency;
  if (!keyed) return true;
  const { db } = request.server.deps.database;
  const terms = termsOf(request);
  const claim = await claimRequestKey(db, keyed.id, sha256(canonicalJson([request.url, body ?? null])), terms);
  switch (claim.outcome) {
    case 'claimed': {
      const { attempt } = claim;
      keyed.attempt = attempt;
      keyed.renewal = setInterval(() => {
        renewRequestLease(db, keyed.id, attempt, terms).catch(() => request.log.warn('an idempotency key lease could not be renewed'));
      }, RENEW_EVERY_MS).unref();
      return true;
    }
    case 'answered':
      replay(reply, claim.answer);
      return false;
    case 'other_request':
      throw new Refusal(FailureType.Unprocessable, `this Idempotency-Key was used for a different request to ${keyed.id.route}; use a new key for a new request`, {
        errors: [{ path: `/headers/${IDEMPOTENCY_HEADER}`, message: 'was used for a different request' }],
      });
    case 'in_flight':
      throw new Refusal(FailureType.InProgress, 'the request with this Idempotency-Key is still being acted on; ask again shortly for its answer');
  }
}

function keptHeaders(reply: FastifyReply): Record<string, string> {
  return Object.fromEntries(KEPT_HEADERS.flatMap((name) => {
    const value = reply.getHeader(name);
    return value === undefined ? [] : [[name, String(value)]];
  }));
}

/** Declares the header on every route that takes it, and keys, stores and replays their answers. */
export function registerIdempotency(app: FastifyInstance): void {
  const { db } = app.deps.database;

  const claimKey: preHandlerAsyncHookHandler = async (request, reply) => {
    const key = request.headers[IDEMPOTENCY_HEADER];
    const { url, config } = request.routeOptions;
    if (key === undefined || !url || !takesIdempotencyKey(request.method, config)) return;
    request.idempotency = { id: { scope: scopeOf(request), route: `${request.method} ${url}`, key: checkedKey(key) } };
    if (config.idempotency === 'in-handler') return;
    if (!(await claimIdempotencyKey(request, reply, request.body))) return reply;
  };

  const storeAnswer: onSendAsyncHookHandler = async (request, reply, payload) => {
    const keyed = request.idempotency;
    const attempt = keyed?.attempt;
    if (!keyed || attempt === undefined) return payload;
    keyed.attempt = undefined;
    clearInterval(keyed.renewal);
    try {
      if (reply.statusCode < 500 && typeof payload === 'string') {
        await storeRequestAnswer(db, keyed.id, attempt, { status: reply.statusCode, headers: keptHeaders(reply), body: payload });
      } else {
        await releaseRequestKey(db, keyed.id, attempt);
      }
    } catch {
      // The answer goes out all the same; the key stays in flight until its lease runs
      // out, and a retry then takes it over (the action is keyed: it is not repeated).
      request.log.warn({ status: reply.statusCode }, 'the answer to an idempotent request could not be stored');
    }
    return payload;
  };

  const stopRenewal: onResponseHookHandler = (request, _reply, done) => {
    clearInterval(request.idempotency?.renewal);
    done();
  };

  // Only the routes that take a key run these hooks, ahead of their own: the reads, a
  // status poll first of all, pay nothing for them.
  app.addHook('onRoute', (route) => {
    if (!takesIdempotencyKey(route.method, route.config)) return;
    const schema = (route.schema ??= {});
    const headers = schema.headers as { properties?: Record<string, unknown> } | undefined;
    schema.headers = { ...headers, type: 'object', properties: { ...headers?.properties, [IDEMPOTENCY_HEADER]: keyHeaderSchema } };
    route.preHandler = [claimKey, ...[route.preHandler ?? []].flat()];
    route.onSend = [storeAnswer, ...[route.onSend ?? []].flat()];
    route.onResponse = [stopRenewal, ...[route.onResponse ?? []].flat()];
  });

  const retentionHours = app.deps.config.http.idempotencyRetentionHours;
  const sweep = () =>
    deleteExpiredRequestKeys(db, retentionHours).then(
      (deleted) => deleted && app.log.info({ deleted }, 'expired idempotency keys deleted'),
      () => app.log.warn('expired idempotency keys could not be deleted; trying again later'),
    );
  let sweeping: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    void sweep();
    sweeping = setInterval(sweep, SWEEP_EVERY_MS).unref();
  });
  app.addHook('onClose', async () => clearInterval(sweeping));
}
