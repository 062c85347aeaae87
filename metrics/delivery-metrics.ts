import { Counter, type Registry } from 'prom-client';
import { DELIVERY_CHANNELS, type DeliveryChannel } from '../core/notices';

/**
 * Messages (one-time codes and notices) by channel, counted as their outbox rows change:
 * a message is marked sent or given up once, however often its delivery is retried.
 */
export function createDeliveryMetrics(registry: Registry) {
  const registers = [registry];
  const attempts = new Counter({
    name: 'cases_notification_attempts_total',
    help: "Provider calls, by their outcome: accepted, retryable (tried again), rejected (for good); the admins' delivery log has one row for each",
    labelNames: ['channel', 'outcome'],
    registers,
  });
  const deliveries = new Counter({ name: 'cases_notification_deliveries_total', help: 'Messages a provider accepted', labelNames: ['channel'], registers });
  const failures = new Counter({
    name: 'cases_notification_failures_total',
    help: 'Messages given up: refused for good, no address, or still failing on the last attempt',
    labelNames: ['channel'],
    registers,
  });
  for (const channel of DELIVERY_CHANNELS) for (const counter of [deliveries, failures]) counter.inc({ channel }, 0);

  return {
    attempted(channel: DeliveryChannel, outcome: 'accepted' | 'retryable' | 'rejected'): void {
      attempts.inc({ channel, outcome });
    },
    delivered(channel: DeliveryChannel): void {
      deliveries.inc({ channel });
    },
    gaveUp(channel: DeliveryChannel): void {
      failures.inc({ channel });
    },
  };
}

export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
