import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/failures';

/** One invalid field: a JSON-pointer-like path into the request and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem the API answers with; anything else becomes a 500 with no detail. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; [k: string]: unknown } = {},
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new Problem(400, 'Bad Request', detail, errors ? { errors } : {});
export const notFound = (what: string) => new Problem(404, 'Not Found', `${what} not found`);
export const forbidden = (detail: string, extra: Record<string, unknown> = {}) => new Problem(403, 'Forbidden', detail, extra);
export const conflict = (detail: string, extra: Record<string, unknown> = {}) => new Problem(409, 'Conflict', detail, extra);

const FAILURE_STATUS: Record<FailureType, [number, string]> = {
  [FailureType.InvalidState]: [409, 'Conflict'],
  [FailureType.StaleVersion]: [409, 'Conflict'],
  [FailureType.Forbidden]: [403, 'Forbidden'],
  [FailureType.Invalid]: [400, 'Bad Request'],
  [FailureType.Permanent]: [422, 'Unprocessable Content'],
};

/** Maps a workflow's refusal of an update to the problem the caller gets. */
export function fromTemporal(err: unknown): Problem | undefined {
  if (err instanceof WorkflowNotFoundError) return new Problem(409, 'Conflict', 'the case is closed and accepts no actions');
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const mapped = FAILURE_STATUS[err.cause.type as FailureType];
    if (mapped) {
      const details = (err.cause.details?.[0] ?? {}) as Record<string, unknown>;
      return new Problem(mapped[0], mapped[1], err.cause.message, { ...details, code: err.cause.type });
    }
  }
  return undefined;
}

function ajvPath(e: { instancePath?: string; params?: Record<string, unknown> }, prefix: string): string {
  const missing = e.params?.missingProperty;
  const extra = e.params?.additionalProperty;
  const tail = typeof missing === 'string' ? `/${missing}` : typeof extra === 'string' ? `/${extra}` : '';
  return `${prefix}${e.instancePath ?? ''}${tail}`;
}

export function ajvErrors(
  errors: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>,
  prefix = '',
): FieldError[] {
  return errors.map((e) => ({ path: ajvPath(e, prefix) || '/', message: e.message ?? 'is invalid' }));
}

export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  const temporal = fromTemporal(err);
  if (temporal) return temporal;
  const fe = err as FastifyError & { validation?: Array<Record<string, unknown>>; validationContext?: string };
  if (fe.validation) {
    return badRequest('the request is invalid', ajvErrors(fe.validation, `/${fe.validationContext ?? 'body'}`));
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new Problem(413, 'Content Too Large', fe.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new Problem(415, 'Unsupported Media Type', fe.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest('the body is not valid JSON');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new Problem(fe.statusCode, fe.name || 'Error', fe.message);
  }
  return new Problem(500, 'Internal Server Error', 'an unexpected error occurred; it has been logged');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const p = toProblem(err);
  if (p.status >= 500) request.log.error({ err }, 'request failed');
  else request.log.info({ status: p.status, code: p.extra.code }, p.title);
  return reply
    .status(p.status)
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
