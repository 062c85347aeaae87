import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { caseNumberOf } from './problem';

/** A read slower than this is logged at `info` like any action. */
const SLOW_READ_MS = 1000;

/**
 * A read that was answered, and quickly: the status polls, most of all requests. Their
 * line is logged at `debug`. At `info` a line for each cost a poll a tenth of its CPU and
 * made most of the log; the metrics count them by route and status all the same, and an
 * official's reads are in the access journal.
 */
export function routineRead(method: string, status: number, ms: number): boolean {
  return (method === 'GET' || method === 'HEAD') && status < 400 && ms < SLOW_READ_MS;
}

/**
 * One line per request: the route's pattern, not the URL (query strings may carry what a
 * citizen typed). Logged by the app's logger with the request's id, as the request's own
 * logger would: that one is made only when used (deferredChild).
 */
export function logRequests(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', (request, reply, done) => {
    const level = routineRead(request.method, reply.statusCode, reply.elapsedTime) ? 'debug' : 'info';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        { reqId: request.id, method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime), caseNumber: caseNumberOf(request) },
        'request',
      );
    }
    done();
  });
}
