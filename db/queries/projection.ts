import { eq, sql } from 'drizzle-orm';
import type { CaseKind } from '../../core/case-model';
import type { ProjectionBatch } from '../../core/case-projection';
import { escalatedAt } from '../../core/escalation';
import type { SupervisorDirectory } from '../../core/inbox-addresses';
import { preparedPer, type Db } from '../client';
import { cases } from '../schema';
import { writeInbox } from './inbox';
import { appendJournalEntries } from './journal-chain';
import { queueNotices } from './notices';

/** `col = excluded.col` for every column of the upsert. */
const fromExcluded = (columns: string[]) =>
  Object.fromEntries(columns.map((c) => [c, sql.raw(`excluded."${c}"`)]));

const CASE_COLUMNS: Record<string, string> = {
  kind: 'kind',
  version: 'version',
  status: 'status',
  serviceCode: 'service_code',
  agency: 'agency',
  applicantId: 'applicant_id',
  assigneeId: 'assignee_id',
  updatedAt: 'updated_at',
  legalDueDate: 'legal_due_date',
  expectedDueDate: 'expected_due_date',
  dueAt: 'due_at',
  overdue: 'overdue',
  closedAt: 'closed_at',
  relatedNumber: 'related_number',
  escalatedAt: 'escalated_at',
  detail: 'detail',
};

const versionOf = preparedPer((db) =>
  db.select({ version: cases.version }).from(cases).where(eq(cases.number, sql.placeholder('number'))).prepare('case_projected_version'),
);

/** The version the read model holds of a case, 0 when it holds none: one indexed read, without waiting on a write in progress. */
export async function projectedVersion(db: Db, number: string): Promise<number> {
  const [row] = await versionOf(db).execute({ number });
  return row?.version ?? 0;
}

/** What one projection changed: only rows it wrote, so a retried or reordered call reports nothing twice. */
export interface ProjectionWrite {
  kind: CaseKind;
  /** It created the case's row: the case's first projection. */
  started: boolean;
  /** The status the case closed with, when this write set its `closed_at`. */
  closedAs: string | null;
  /** The journal entries it inserted (none that were there already). */
  entries: Array<{ type: string; at: string }>;
}

/**
 * Writes a case's read model and new journal entries in one transaction.
 * Idempotent: the row only moves to a higher version, entries and inbox rows are keyed
 * by the workflow's sequence numbers, so a retried or reordered call changes nothing;
 * entries are hash-chained as they are appended (journal-chain.ts).
 *
 * `alongside` runs while the statements do, and the transaction commits only once it has
 * succeeded: a filing starts its workflow there, so the write and the start overlap, and a
 * start that fails leaves nothing written. Until the commit the case's new row is locked:
 * the workflow's own write of the same batch waits for it, then changes nothing.
 */
export async function writeProjection(
  db: Db,
  { projection: p, entries }: ProjectionBatch,
  supervisors: SupervisorDirectory,
  alongside?: () => Promise<void>,
): Promise<ProjectionWrite> {
  return db.transaction(async (tx) => {
    const set = Object.fromEntries(
      Object.entries(CASE_COLUMNS).map(([key, column]) => [key, fromExcluded([column])[column]]),
    );
    // No row back when the read model already holds this version or a later one. A
    // subquery of RETURNING reads the statement's snapshot, which does not hold its own
    // write: it sees the row this write replaced, without a locking read before it.
    const upserted = tx
      .insert(cases)
      .values({ ...p, escalatedAt: escalatedAt(p) })
      .onConflictDoUpdate({ target: cases.number, set, setWhere: sql`${cases.version} < excluded.version` })
      .returning({
        status: cases.status,
        closedAt: cases.closedAt,
        existed: sql<boolean>`exists (select 1 from cases as replaced where replaced.number = ${p.number})`,
        closedBefore: sql<boolean>`exists (select 1 from cases as replaced where replaced.number = ${p.number} and replaced.closed_at is not null)`,
      })
      .execute();
    // The rest is sent at once, not each after the previous answer: the connection runs
    // the statements in the order they were sent (the case row first, the rows that refer
    // to it after), and an action's answer waits for this transaction.
    const [[after], inserted] = await Promise.all([
      upserted,
      entries.length ? appendJournalEntries(tx, p.number, entries) : [],
      writeInbox(tx, p, entries, supervisors),
      queueNotices(tx, { projection: p, entries }),
      alongside?.(),
    ]);
    const seqs = new Set(inserted);
    return {
      kind: p.kind,
      started: Boolean(after) && !after!.existed,
      closedAs: after?.closedAt && !after.closedBefore ? after.status : null,
      entries: entries.filter((e) => seqs.has(e.seq)).map((e) => ({ type: e.type, at: e.at })),
    };
  });
}
