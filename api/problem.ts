import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { STATUS_CODES } from 'node:http';
import { FailureType, Refusal, type FieldError } from '../core/failures';
import { fieldErrors } from '../core/field-errors';
import { isDatabaseUnreachable } from '../db/unreachable';
import { isTemporalUnreachable } from '../temporal/unreachable';

/** An RFC 9457 problem the API answers with; anything else becomes a 500 with no detail. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; [k: string]: unknown } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

/** The one place a refusal becomes an HTTP status. */
const FAILURE_STATUS: Record<FailureType, number> = {
  [FailureType.Invalid]: 400,
  [FailureType.Unauthenticated]: 401,
  [FailureType.Forbidden]: 403,
  [FailureType.NotFound]: 404,
  [FailureType.InvalidState]: 409,
  [FailureType.StaleVersion]: 409,
  [FailureType.Conflict]: 409,
  [FailureType.InProgress]: 409,
  [FailureType.TooLarge]: 413,
  [FailureType.UnsupportedMedia]: 415,
  [FailureType.Unprocessable]: 422,
  [FailureType.Permanent]: 422,
  [FailureType.TooManyRequests]: 429,
  [FailureType.Unavailable]: 503,
};

/**
 * When to come back: a restarted Postgres or Temporal answers again within seconds, and
 * clients that retry sooner only add load to the recovery. A request in flight usually
 * has its answer within a second.
 */
const RETRY_AFTER_SECONDS: Partial<Record<FailureType, number>> = { [FailureType.Unavailable]: 5, [FailureType.InProgress]: 1 };

/** Where RFC 9110 renamed a status, Node's table still has the old phrase. */
const RFC_9110_PHRASES: Record<number, string> = { 413: 'Content Too Large', 422: 'Unprocessable Content' };

/** RFC 9110's reason phrase: the title of every problem with that status. */
export function reasonPhrase(status: number): string {
  return RFC_9110_PHRASES[status] ?? STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Client Error');
}

function fromRefusal(type: FailureType, message: string, details: Record<string, unknown>): Problem {
  const status = FAILURE_STATUS[type];
  // A limit knows when it allows again; an outage only how long recovery usually takes.
  const retryAfter = typeof details.retryAfter === 'number' ? details.retryAfter : RETRY_AFTER_SECONDS[type];
  return new Problem(status, reasonPhrase(status), message, { code: type, ...details }, retryAfter ? { 'retry-after': String(retryAfter) } : {});
}

/** Postgres or Temporal away: the request may well succeed once it is back. */
function fromOutage(err: unknown): Problem | undefined {
  if (isDatabaseUnreachable(err)) return fromRefusal(FailureType.Unavailable, 'the case database cannot be reached; try again shortly', {});
  if (isTemporalUnreachable(err)) return fromRefusal(FailureType.Unavailable, 'the case service cannot be reached; try again shortly', {});
  return undefined;
}

/** Maps a workflow's refusal of an update to the problem the caller gets. */
export function fromTemporal(err: unknown): Problem | undefined {
  if (err instanceof WorkflowNotFoundError) return fromRefusal(FailureType.InvalidState, 'the case is closed and accepts no actions', {});
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    if (err.cause.type && err.cause.type in FAILURE_STATUS) {
      const details = (err.cause.details?.[0] ?? {}) as Record<string, unknown>;
      return fromRefusal(err.cause.type as FailureType, err.cause.message, details);
    }
  }
  return undefined;
}

export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof Refusal) return fromRefusal(err.type, err.message, err.details);
  const known = fromTemporal(err) ?? fromOutage(err);
  if (known) return known;
  const fe = err as FastifyError & { validation?: Array<Record<string, unknown>>; validationContext?: string };
  if (fe.validation) {
    return fromRefusal(FailureType.Invalid, 'the request is invalid', { errors: fieldErrors(fe.validation, `/${fe.validationContext ?? 'body'}`) });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new Problem(413, reasonPhrase(413), fe.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new Problem(415, reasonPhrase(415), fe.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return fromRefusal(FailureType.Invalid, 'the body is not valid JSON', {});
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new Problem(fe.statusCode, reasonPhrase(fe.statusCode), fe.message);
  }
  return new Problem(500, reasonPhrase(500), 'an unexpected error occurred; it has been logged');
}

/** Case numbers are not personal data; they tie a request's log lines to the case. */
export function caseNumberOf(request: FastifyRequest): string | undefined {
  const number = (request.params as { number?: unknown } | undefined)?.number;
  return typeof number === 'string' ? number : undefined;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const p = toProblem(err);
  const caseNumber = caseNumberOf(request);
  // An outage fails every request until it ends: one line each, which names the dependency
  // and never quotes the error (a failed query's message carries its parameters).
  if (p.status === 503) request.log.warn({ code: p.extra.code, caseNumber }, p.detail);
  else if (p.status >= 500) request.log.error({ err, caseNumber }, 'request failed');
  else request.log.info({ status: p.status, code: p.extra.code, caseNumber }, p.title);
  return reply
    .status(p.status)
    .headers(p.headers)
    .type('application/problem+json')
    .send({ ...p.extra, type: 'about:blank', title: p.title, status: p.status, detail: p.detail, instance: request.url });
}

/** The schema of every problem response, for OpenAPI. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  additionalProperties: true,
} as const;
