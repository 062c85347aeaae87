import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A registry per process role, never prom-client's global one: `npm start` runs the API
 * and the worker in one process, and each endpoint must show its own role's metrics only,
 * as it does when the roles run apart (else Prometheus would count a case twice).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
