import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { FailureType } from '../core/failures';
import type { Db } from '../db/client';
import { holdingOutboxMessage, markOutboxSent, recordDeliveryAttempt } from '../db/queries/deliveries';
import { DeliveryFailure, type Senders } from './channel';

export interface Delivery {
  caseNumber: string;
  messageKey: string;
  subject: string;
}

/** Delivers an outbox message through one channel. */
export type Deliver = (delivery: Delivery) => Promise<void>;

/**
 * Hands the queued message to its channel's provider unless one already took it. Every
 * attempt is logged with the provider's answer; a refusal that retrying cannot cure ends
 * the activity, anything else is thrown to be retried.
 */
export function createDeliver(db: Db, senders: Senders, logger: Logger): Deliver {
  return async ({ caseNumber, messageKey, subject }) => {
    const idempotencyKey = `${caseNumber}:${messageKey}`;
    await holdingOutboxMessage(db, { caseNumber, messageKey }, async (row, tx) => {
      if (!row) throw ApplicationFailure.nonRetryable(`no outbox message ${idempotencyKey}`, FailureType.Permanent);
      if (row.sentAt) return;
      if (row.channel === 'letter') throw ApplicationFailure.nonRetryable(`letters are posted, not sent: ${idempotencyKey}`, FailureType.Permanent);
      const attempt = { outboxId: row.id, channel: row.channel, recipient: row.recipient };
      try {
        const accepted = await senders[row.channel].send({ idempotencyKey, to: row.recipient, subject, text: row.body });
        await markOutboxSent(tx, { ...attempt, outcome: 'accepted', providerStatus: accepted.status, providerMessageId: accepted.messageId });
      } catch (err) {
        if (!(err instanceof DeliveryFailure)) throw err;
        // Outside the transaction: the failed attempt stays logged when it rolls back.
        await recordDeliveryAttempt(db, { ...attempt, outcome: err.final ? 'rejected' : 'retryable', providerStatus: err.status, error: err.message });
        const where = { caseNumber, messageKey, channel: row.channel, status: err.status, error: err.message };
        if (!err.final) {
          logger.warn(where, 'delivery failed; it will be retried');
          throw err;
        }
        logger.error(where, 'the provider refused the message for good');
        throw ApplicationFailure.nonRetryable(`the ${row.channel} provider refused ${idempotencyKey}: ${err.message}`, FailureType.Permanent);
      }
    });
  };
}
