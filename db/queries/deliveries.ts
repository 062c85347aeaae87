import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { deliveryAttempts, outbox } from '../schema';

export type OutboxRow = typeof outbox.$inferSelect;
export type DeliveryAttempt = Omit<typeof deliveryAttempts.$inferInsert, 'id' | 'attemptedAt'>;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Runs `work` while holding the outbox row of (case, message key), so that two attempts
 * at once cannot both send it: the second waits and then finds it sent. The lock lets
 * attempts be recorded meanwhile (their foreign key needs only a key-share lock).
 */
export async function holdingOutboxMessage<T>(
  db: Db,
  key: { caseNumber: string; messageKey: string },
  work: (row: OutboxRow | undefined, tx: Tx) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(outbox)
      .where(and(eq(outbox.caseNumber, key.caseNumber), eq(outbox.messageKey, key.messageKey)))
      .for('no key update');
    return work(row, tx);
  });
}

export async function recordDeliveryAttempt(db: Db | Tx, attempt: DeliveryAttempt): Promise<void> {
  await db.insert(deliveryAttempts).values(attempt);
}

/** The provider accepted the message: it is never sent again. */
export async function markOutboxSent(tx: Tx, attempt: DeliveryAttempt): Promise<void> {
  await recordDeliveryAttempt(tx, attempt);
  await tx
    .update(outbox)
    .set({ sentAt: sql`now()`, providerMessageId: attempt.providerMessageId })
    .where(eq(outbox.id, attempt.outboxId));
}
