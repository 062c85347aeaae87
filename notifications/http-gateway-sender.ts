import { STATUS_CODES } from 'node:http';
import { signPayload } from '../lib/hmac-signature';
import { DeliveryFailure, type OutgoingMessage, type Sender } from './channel';
import { providerWords } from './provider-words';

export interface GatewayConfig {
  url: string;
  secret: string;
}

/** Answers that may change on their own: the gateway is overloaded or asks to slow down. */
const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * An SMS or push gateway: the message as JSON, signed with the shared secret
 * (`X-Signature: sha256=<hex HMAC of the body>`) and carrying its `Idempotency-Key`.
 */
export function createHttpGatewaySender(gateway: GatewayConfig, timeoutMs: number, toJson: (m: OutgoingMessage) => object): Sender {
  return {
    async send(message) {
      const body = JSON.stringify(toJson(message));
      let res: Response;
      try {
        res = await fetch(gateway.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': message.idempotencyKey,
            'x-signature': signPayload(gateway.secret, body),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        throw new DeliveryFailure(e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : providerWords(e.cause?.code ?? e.message, message), false);
      }
      // Only the status is kept, with its standard phrase: the gateway's own reason phrase
      // and body may echo the number or the message.
      const answer = (await res.json().catch(() => ({}))) as { id?: unknown };
      if (!res.ok) throw new DeliveryFailure(`${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim(), !retryableStatus(res.status), res.status);
      return { status: res.status, messageId: typeof answer.id === 'string' ? answer.id : undefined };
    },
  };
}

export const smsJson = (m: OutgoingMessage) => ({ to: m.to, text: m.text });
export const pushJson = (m: OutgoingMessage) => ({ to: m.to, title: m.subject, text: m.text });
