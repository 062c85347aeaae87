import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Actor, CaseKind } from '../../core/case-model';
import type { Db } from '../client';
import { cases, journal } from '../schema';
import { appendJournalEntries } from './journal-chain';
import { releaseVehicle } from './vehicles';

/** An open case an official holds, as the read model last saw it. */
export interface HeldCase {
  number: string;
  version: number;
}

/** The official's open cases at a desk (`agency` null: the appeal experts'), in number order. */
export async function openCasesHeldBy(db: Db, assignee: string, agency: string | null, kinds: readonly CaseKind[], limit: number): Promise<HeldCase[]> {
  return db
    .select({ number: cases.number, version: cases.version })
    .from(cases)
    .where(
      and(
        eq(cases.assigneeId, assignee),
        agency === null ? isNull(cases.agency) : eq(cases.agency, agency),
        inArray(cases.kind, [...kinds]),
        isNull(cases.closedAt),
      ),
    )
    .orderBy(asc(cases.number))
    .limit(limit);
}

/** Of these case numbers, the ones the read model still shows open. */
export async function stillOpen(db: Db, numbers: string[]): Promise<string[]> {
  if (!numbers.length) return [];
  const rows = await db.select({ number: cases.number }).from(cases).where(and(inArray(cases.number, numbers), isNull(cases.closedAt)));
  return rows.map((r) => r.number);
}

/** A case closed from outside its workflow: the journal entry that says why. */
export interface OutsideClose {
  number: string;
  at: string;
  actor: Actor;
  type: string;
  summary: string;
  data: Record<string, unknown>;
}

/**
 * Closes a case whose workflow can no longer do it (terminated in Temporal): releases the
 * vehicle a passport change holds, marks the row closed one version on, and appends the
 * entry to its journal, in one transaction. Only an open row is touched, so a repeat, or
 * a second worker doing the same, changes nothing. Returns the status it closed from.
 */
export async function closeFromOutside(db: Db, close: OutsideClose): Promise<{ previousStatus: string } | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ kind: cases.kind, status: cases.status, vin: sql<string | null>`${cases.detail} ->> 'vin'` })
      .from(cases)
      .where(and(eq(cases.number, close.number), isNull(cases.closedAt)))
      .for('update');
    if (!row) return null;
    if (row.kind === 'epts_change' && row.vin) await releaseVehicle(tx, row.vin, close.number);
    await tx
      .update(cases)
      .set({ status: 'closed', closedAt: close.at, updatedAt: close.at, dueAt: null, version: sql`${cases.version} + 1` })
      .where(eq(cases.number, close.number));
    const [last] = await tx.select({ seq: sql<number>`coalesce(max(${journal.seq}), 0)::int` }).from(journal).where(eq(journal.caseNumber, close.number));
    const data = { ...close.data, previousStatus: row.status };
    await appendJournalEntries(tx, close.number, [
      { seq: (last?.seq ?? 0) + 1, at: close.at, type: close.type, actor: close.actor, summary: close.summary, data },
    ]);
    return { previousStatus: row.status };
  });
}
