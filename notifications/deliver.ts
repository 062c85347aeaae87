import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { FailureType } from '../core/failures';
import { NOTICE_DELIVERY_ATTEMPTS } from '../core/notices';
import type { Db } from '../db/client';
import { getAccount } from '../db/queries/accounts';
import {
  claimOutboxMessage,
  markOutboxSent,
  recordDeliveryAttempt,
  releaseOutboxMessage,
  unsentNotices,
  type OutboxRow,
} from '../db/queries/deliveries';
import type { DeliveryMetrics } from '../metrics/delivery-metrics';
import { DeliveryFailure, type Channel, type Senders } from './channel';

/** An outbox message by its key. */
export interface MessageRef {
  caseNumber: string;
  messageKey: string;
}

/** The notices of a case's journal entries `seqs`: what the workflow hands over, nothing personal. */
export interface NoticeRequest {
  caseNumber: string;
  seqs: number[];
}

export interface NoticeReport {
  sent: number;
  /** Given up: refused for good, no address, or still failing on the last attempt. */
  failed: number;
}

type Outcome = { outcome: 'accepted' } | { outcome: 'retryable' | 'rejected'; failure?: DeliveryFailure };

export interface Delivery {
  /** Sends a one-time code's message; throws to be retried, or non-retryably when it cannot go. */
  code(ref: MessageRef): Promise<void>;
  /** Sends what is unsent of a case's notices; throws to be retried while any is worth another try. */
  notices(req: NoticeRequest, attempt: number): Promise<NoticeReport>;
}

/**
 * Hands outbox messages to their channel's provider, each at most once: an attempt first
 * claims the row (a lease, `leaseMs`, no lock held across the provider call), skips it
 * if sent, records the provider's answer as an attempt, and marks it sent when the
 * provider took it. Should the worker die between the provider's acceptance and that
 * mark, the lease runs out and the next attempt sends it again under the same key
 * (`Idempotency-Key`, `Message-ID`), by which the provider knows it.
 */
export function createDelivery(db: Db, senders: Senders, logger: Logger, leaseMs: number, metrics: DeliveryMetrics): Delivery {
  /** Gives the message up; counted only by the call that did. */
  async function giveUp(row: OutboxRow & { channel: Channel }): Promise<void> {
    if (await releaseOutboxMessage(db, row.id, true)) metrics.gaveUp(row.channel);
  }

  /** Notices go to the account's address as it is now; a code to the one it was issued for. */
  async function addressOf(row: OutboxRow): Promise<string | null> {
    if (row.recipient) return row.recipient;
    const account = row.accountId ? await getAccount(db, row.accountId) : undefined;
    if (!account) return null;
    // Push gateways address people by their id and reach every device they signed in on.
    return { email: account.email, sms: account.phone, push: account.id, letter: null }[row.channel];
  }

  async function send(row: OutboxRow & { channel: Channel }): Promise<Outcome> {
    const where = { caseNumber: row.caseNumber, messageKey: row.messageKey, channel: row.channel };
    const to = await addressOf(row);
    if (!to) {
      await giveUp(row);
      logger.error(where, 'the account has no address on this channel; the message is given up');
      return { outcome: 'rejected' };
    }
    const attempt = { outboxId: row.id, channel: row.channel, recipient: to };
    try {
      const accepted = await senders[row.channel].send({
        idempotencyKey: `${row.caseNumber}:${row.messageKey}`,
        to,
        subject: row.subject ?? '',
        text: row.body,
      });
      const marked = await markOutboxSent(db, { ...attempt, outcome: 'accepted', providerStatus: accepted.status, providerMessageId: accepted.messageId });
      metrics.attempted(row.channel, 'accepted');
      if (marked) metrics.delivered(row.channel);
      return { outcome: 'accepted' };
    } catch (err) {
      if (!(err instanceof DeliveryFailure)) throw err;
      const outcome = err.final ? 'rejected' : 'retryable';
      await recordDeliveryAttempt(db, { ...attempt, outcome, providerStatus: err.status, error: err.message });
      metrics.attempted(row.channel, outcome);
      if (err.final) await giveUp(row);
      else await releaseOutboxMessage(db, row.id, false);
      // The status only: a provider's words may quote the address.
      if (err.final) logger.error({ ...where, status: err.status }, 'the provider refused the message for good');
      else logger.warn({ ...where, status: err.status }, 'delivery failed; it will be retried');
      return { outcome, failure: err };
    }
  }

  return {
    async code(ref) {
      const key = `${ref.caseNumber}:${ref.messageKey}`;
      const claim = await claimOutboxMessage(db, ref, leaseMs);
      if (claim.state !== 'claimed') {
        if (claim.state === 'sent') return;
        if (claim.state === 'busy') throw ApplicationFailure.retryable(`${key} is being sent by another attempt`);
        throw ApplicationFailure.nonRetryable(claim.state === 'missing' ? `no outbox message ${key}` : `the provider refused ${key} for good`, FailureType.Permanent);
      }
      const row = claim.row;
      if (row.channel === 'letter') {
        await releaseOutboxMessage(db, row.id, false);
        throw ApplicationFailure.nonRetryable(`letters are posted, not sent: ${key}`, FailureType.Permanent);
      }
      const sent = await send({ ...row, channel: row.channel });
      if (sent.outcome === 'retryable') throw sent.failure!;
      if (sent.outcome === 'rejected') {
        throw ApplicationFailure.nonRetryable(`the ${row.channel} provider refused ${key}: ${sent.failure?.status ?? 'no address'}`, FailureType.Permanent);
      }
    },

    async notices({ caseNumber, seqs }, attempt) {
      const report = { sent: 0, failed: 0 };
      const failing: Array<OutboxRow & { channel: Channel }> = [];
      let busy = 0;
      for (const unsent of await unsentNotices(db, caseNumber, seqs)) {
        const claim = await claimOutboxMessage(db, unsent, leaseMs);
        if (claim.state === 'busy') busy++;
        if (claim.state !== 'claimed' || claim.row.channel === 'letter') continue;
        const row = { ...claim.row, channel: claim.row.channel };
        const { outcome } = await send(row);
        if (outcome === 'accepted') report.sent++;
        else if (outcome === 'rejected') report.failed++;
        else failing.push(row);
      }
      if (!failing.length && !busy) return report;
      if (attempt < NOTICE_DELIVERY_ATTEMPTS) throw ApplicationFailure.retryable(`${failing.length + busy} notice(s) of ${caseNumber} not delivered yet`);
      // The last attempt: what still fails is given up; what another attempt holds is left to it.
      for (const row of failing) await giveUp(row);
      logger.error({ caseNumber, messageKeys: failing.map((r) => r.messageKey), attempts: attempt }, 'notices given up after the last attempt');
      return { ...report, failed: report.failed + failing.length };
    },
  };
}
