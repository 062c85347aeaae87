import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';

/** Up to the slowest answers: an action waits until its effects are in the read model. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The latency of every answer, by method, route and status. The route is its pattern
 * (`/cases/:number`), never the URL: paths carry case numbers and queries what people
 * typed, and one series per URL would grow without end. Unrouted requests are `unmatched`.
 */
export function measureRequests(app: FastifyInstance): void {
  const duration = new Histogram({
    name: 'cases_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
    registers: [app.deps.metrics],
  });
  app.addHook('onResponse', (request, reply, done) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
