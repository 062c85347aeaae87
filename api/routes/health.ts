import type { FastifyInstance } from 'fastify';
import { databaseReachable } from '../../db/client';

async function temporalReachable(app: FastifyInstance): Promise<boolean> {
  try {
    await app.deps.temporal.workflowService.getSystemInfo({}, );
    return true;
  } catch {
    return false;
  }
}

const readiness = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: { type: 'object', properties: { postgres: { type: 'boolean' }, temporal: { type: 'boolean' } } },
  },
} as const;

/** Liveness for the process, readiness for its dependencies. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is alive', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Postgres and Temporal are reachable', response: { 200: readiness, 503: readiness } } },
    async (_request, reply) => {
      const [postgres, temporal] = await Promise.all([databaseReachable(app.deps.database), temporalReachable(app)]);
      const ready = postgres && temporal;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { postgres, temporal } });
    },
  );
}
