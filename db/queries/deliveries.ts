import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { deliveryAttempts, outbox } from '../schema';
import { COUNT_CAP } from './cases';

export type OutboxRow = typeof outbox.$inferSelect;
export type DeliveryAttempt = Omit<typeof deliveryAttempts.$inferInsert, 'id' | 'attemptedAt'>;

/** Where a message stands when an attempt wants to send it. */
export type Claim =
  | { state: 'claimed'; row: OutboxRow }
  | { state: 'sent' | 'failed' | 'busy' | 'missing'; row?: OutboxRow };

/**
 * Takes the message for one attempt, for `leaseMs`: a single statement, so no lock is
 * held while the provider is called. Another attempt meanwhile finds it `busy`, and may
 * take it over only once the lease ran out (its holder died or hangs).
 */
export async function claimOutboxMessage(db: Db, key: { caseNumber: string; messageKey: string }, leaseMs: number): Promise<Claim> {
  const which = and(eq(outbox.caseNumber, key.caseNumber), eq(outbox.messageKey, key.messageKey));
  const [claimed] = await db
    .update(outbox)
    .set({ claimedUntil: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(which, isNull(outbox.sentAt), isNull(outbox.failedAt), or(isNull(outbox.claimedUntil), lt(outbox.claimedUntil, sql`now()`))))
    .returning();
  if (claimed) return { state: 'claimed', row: claimed };
  const [row] = await db.select().from(outbox).where(which);
  if (!row) return { state: 'missing' };
  return { state: row.sentAt ? 'sent' : row.failedAt ? 'failed' : 'busy', row };
}

export async function recordDeliveryAttempt(db: Db | Tx, attempt: DeliveryAttempt): Promise<void> {
  await db.insert(deliveryAttempts).values(attempt);
}

/**
 * The provider accepted the message: it is never sent again. False when another attempt
 * had marked it already (its lease ran out while this one waited on the provider).
 */
export async function markOutboxSent(db: Db, attempt: DeliveryAttempt): Promise<boolean> {
  return db.transaction(async (tx) => {
    await recordDeliveryAttempt(tx, attempt);
    const marked = await tx
      .update(outbox)
      .set({ sentAt: sql`now()`, providerMessageId: attempt.providerMessageId, recipient: attempt.recipient, claimedUntil: null })
      .where(and(eq(outbox.id, attempt.outboxId), isNull(outbox.sentAt)))
      .returning({ id: outbox.id });
    return marked.length > 0;
  });
}

/**
 * The attempt failed: the next may try at once, unless the message is given up (`failed`).
 * True when this call gave it up (it was not given up before).
 */
export async function releaseOutboxMessage(db: Db, id: number, failed: boolean): Promise<boolean> {
  const released = await db
    .update(outbox)
    .set({ claimedUntil: null, ...(failed ? { failedAt: sql`now()` } : {}) })
    .where(and(eq(outbox.id, id), failed ? isNull(outbox.failedAt) : undefined))
    .returning({ id: outbox.id });
  return failed && released.length > 0;
}

/** A case's notices of entries `seqs` not yet sent or given up, in the order they were queued. */
export async function unsentNotices(db: Db, caseNumber: string, seqs: number[]): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(and(eq(outbox.caseNumber, caseNumber), inArray(outbox.seq, seqs), isNull(outbox.sentAt), isNull(outbox.failedAt)))
    .orderBy(outbox.id);
}

export interface DeliveryLogFilter {
  caseNumber?: string;
  channel?: 'email' | 'sms' | 'push';
  outcome?: 'accepted' | 'retryable' | 'rejected';
  limit: number;
  offset: number;
}

/** The delivery log, newest first: every attempt with its message's case, key and type, never its text. */
export async function listDeliveryAttempts(db: Db, f: DeliveryLogFilter) {
  const where: SQL[] = [];
  if (f.caseNumber) where.push(eq(outbox.caseNumber, f.caseNumber));
  if (f.channel) where.push(eq(deliveryAttempts.channel, f.channel));
  if (f.outcome) where.push(eq(deliveryAttempts.outcome, f.outcome));
  const filter = where.length ? and(...where) : undefined;
  const matching = db
    .select({ one: sql`1` })
    .from(deliveryAttempts)
    .innerJoin(outbox, eq(outbox.id, deliveryAttempts.outboxId))
    .where(filter)
    .limit(COUNT_CAP + 1)
    .as('matching');
  const [items, [counted]] = await Promise.all([
    db
      .select({
        id: deliveryAttempts.id,
        caseNumber: outbox.caseNumber,
        messageKey: outbox.messageKey,
        type: outbox.type,
        seq: outbox.seq,
        channel: deliveryAttempts.channel,
        recipient: deliveryAttempts.recipient,
        outcome: deliveryAttempts.outcome,
        providerStatus: deliveryAttempts.providerStatus,
        providerMessageId: deliveryAttempts.providerMessageId,
        error: deliveryAttempts.error,
        attemptedAt: deliveryAttempts.attemptedAt,
      })
      .from(deliveryAttempts)
      .innerJoin(outbox, eq(outbox.id, deliveryAttempts.outboxId))
      .where(filter)
      .orderBy(desc(deliveryAttempts.id))
      .limit(f.limit)
      .offset(f.offset),
    db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(matching),
  ]);
  const n = counted?.n ?? 0;
  return { items, total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
}
