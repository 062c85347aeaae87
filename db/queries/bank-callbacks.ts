import { and, eq } from 'drizzle-orm';
import type { Db } from '../client';
import { bankCallbackEvents as events } from '../schema';

export interface BankEvent {
  bankId: string;
  eventId: string;
  caseNumber: string;
}

/** Whether the bank's event reached its case before. */
export async function bankEventSeen(db: Db, e: Pick<BankEvent, 'bankId' | 'eventId'>): Promise<boolean> {
  const rows = await db.select({ caseNumber: events.caseNumber }).from(events).where(and(eq(events.bankId, e.bankId), eq(events.eventId, e.eventId))).limit(1);
  return rows.length > 0;
}

/** Records that the event reached its case; again: nothing. */
export async function recordBankEvent(db: Db, e: BankEvent): Promise<void> {
  await db.insert(events).values(e).onConflictDoNothing();
}
