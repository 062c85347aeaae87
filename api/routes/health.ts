import type { FastifyInstance } from 'fastify';
import { databaseReachable } from '../../db/client';

/** A probe must answer while a dependency hangs, well within an orchestrator's probe timeout. */
const CHECK_TIMEOUT_MS = 2_000;

async function within(check: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function temporalReachable(app: FastifyInstance): Promise<boolean> {
  // Its deadline is the connection's for reachability checks (temporal/connection.ts).
  await app.deps.temporal.workflowService.getSystemInfo({});
  return true;
}

const liveness = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
} as const;

const readiness = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    checks: {
      type: 'object',
      required: ['postgres', 'temporal'],
      properties: { postgres: { type: 'boolean' }, temporal: { type: 'boolean' } },
    },
  },
} as const;

/**
 * Liveness for the process, readiness for its dependencies. Public, and exempt from the
 * rate limit so that load on the API never makes an orchestrator restart a healthy process.
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false, outageTolerant: true },
      schema: { tags: ['health'], summary: 'The process is alive', response: { 200: liveness, 500: { $ref: 'Problem#' } } },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { rateLimit: false, outageTolerant: true },
      schema: {
        tags: ['health'],
        summary: 'Postgres and Temporal are reachable',
        response: { 200: readiness, 503: readiness, 500: { $ref: 'Problem#' } },
      },
    },
    async (_request, reply) => {
      const [postgres, temporal] = await Promise.all([
        within(() => databaseReachable(app.deps.database)),
        within(() => temporalReachable(app)),
      ]);
      const ready = postgres && temporal;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { postgres, temporal } });
    },
  );
}
