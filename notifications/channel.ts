import type { DeliveryChannel } from '../core/notices';

/** The electronic channels; letters are printed and posted from the outbox instead. */
export type Channel = DeliveryChannel;

export interface OutgoingMessage {
  /**
   * `<case>:<message key>` of the outbox row: providers that see the same key twice
   * deliver once, which covers the moment between their acceptance and our record of it.
   */
  idempotencyKey: string;
  to: string;
  subject: string;
  text: string;
}

/** What the provider answered when it took the message. */
export interface Acceptance {
  status: number;
  messageId?: string;
}

/**
 * A provider that refused the message or did not answer. `final` when sending it again
 * cannot help (an unknown recipient, a malformed request); otherwise it is retried.
 */
export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
  constructor(
    message: string,
    readonly final: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface Sender {
  send(message: OutgoingMessage): Promise<Acceptance>;
}

export type Senders = Record<Channel, Sender>;
