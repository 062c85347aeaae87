import type { FastifyInstance } from 'fastify';
import { FailureType, Refusal } from '../../core/failures';
import { mayScrape } from '../../metrics/scrape-token';
import { problems } from '../contract';

/**
 * This instance's metrics for Prometheus (the cases' own are the workers', see README
 * "Metrics"). They hold no personal data, yet volumes and latencies are nobody's business
 * outside: with METRICS_TOKEN set (required in production) only its bearer reads them.
 * Exempt from the rate limit, like the probes: a scrape must not fail when the API is busy.
 */
export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/metrics',
    {
      config: { rateLimit: false, outageTolerant: true },
      schema: {
        tags: ['health'],
        summary: "This API instance's metrics, Prometheus text format",
        description: 'HTTP latency by route and status, and the process (CPU, memory, event loop). Needs `Authorization: Bearer <METRICS_TOKEN>` when the token is configured.',
        security: [{ metricsToken: [] }],
        response: {
          200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...problems(401),
        },
      },
    },
    async (request, reply) => {
      if (!mayScrape(request.headers.authorization, app.deps.config.metrics.token)) {
        throw new Refusal(FailureType.Unauthenticated, 'metrics are read with the scrape token (METRICS_TOKEN) as the bearer token');
      }
      const registry = app.deps.metrics;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
}
