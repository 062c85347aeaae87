import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import FindMyWay from 'find-my-way';
import { FailureType, Refusal } from '../core/failures';
import { takesIdempotencyKey } from './idempotency';
import { reasonPhrase, sendProblem } from './problem';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers whether Postgres and Temporal are there or not (the probes, the scrape): no outage fails it with 503. */
    outageTolerant?: boolean;
  }
}

const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

type ResponseSchemas = Record<string, unknown>;

/** A problem response as OpenAPI and the serializer see it: its own media type, one schema. */
function problemResponse(status: number) {
  return { description: reasonPhrase(status), content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: 'Problem#' } } } };
}

/** What a route's own rules add to the statuses every route of its shape may send. */
export function problems(...statuses: number[]): ResponseSchemas {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)]));
}

function methodsOf(route: RouteOptions): string[] {
  return [route.method].flat().map((m) => m.toUpperCase());
}

/**
 * The statuses the machinery sends whatever the handler does: bad input and NUL text
 * (400), the rate limit where it applies (429), an unexpected failure (500), Postgres or
 * Temporal away (503) unless the route tolerates that; tokens and roles (401, 403)
 * where the route names roles; the body limit and media type (413, 415) where a body is
 * read; the parameter length limit and lookups (404, 414) where the path has parameters;
 * an Idempotency-Key still in flight (409) or used for another request (422) where the
 * route takes one.
 */
function machineryStatuses(route: RouteOptions): number[] {
  const statuses = route.config?.rateLimit === false ? [400, 500] : [400, 429, 500];
  if (!route.config?.outageTolerant) statuses.push(503);
  if (route.config?.roles) statuses.push(401, 403);
  if (methodsOf(route).some((m) => BODY_METHODS.has(m))) statuses.push(413, 415);
  if (route.url.includes(':')) statuses.push(404, 414);
  if (takesIdempotencyKey(route.method, route.config)) statuses.push(409, 422);
  return statuses;
}

/**
 * Makes the OpenAPI document the API: every route declares the statuses the machinery
 * can send besides its own, each error as `application/problem+json`; a known path asked
 * with another method gets 405 and `Allow`; bodies only as the routes declare them.
 */
export function registerContract(app: FastifyInstance): void {
  // Fastify reads text/plain by default; no route takes it, so it is refused with 415.
  app.removeContentTypeParser('text/plain');

  const paths = FindMyWay({ ignoreTrailingSlash: false });
  app.addHook('onRoute', (route) => {
    for (const method of methodsOf(route)) {
      if (!paths.hasRoute(method as FindMyWay.HTTPMethod, route.url)) paths.on(method as FindMyWay.HTTPMethod, route.url, () => {});
    }
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
    const schema = (route.schema ??= {});
    const response = (schema.response ??= {}) as ResponseSchemas;
    for (const status of machineryStatuses(route)) response[status] ??= problemResponse(status);
    for (const [status, declared] of Object.entries(response)) {
      if (Number(status) >= 400 && !(declared as { content?: unknown }).content) response[status] = problemResponse(Number(status));
    }
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    const allowed = allowedMethods(paths, path);
    if (allowed.length) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(request, reply, { statusCode: 405, message: `${request.method} is not allowed here; use ${allowed.join(' or ')}` });
    }
    return sendProblem(request, reply, new Refusal(FailureType.NotFound, `no route ${request.method} ${path}`));
  });
}

function allowedMethods(paths: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>, path: string): string[] {
  return ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => paths.find(m as FindMyWay.HTTPMethod, path));
}
