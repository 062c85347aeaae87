import { eq, sql } from 'drizzle-orm';
import type { CaseKind } from '../../core/case-model';
import type { ProjectionBatch, ProjectionReceipt } from '../../core/case-projection';
import { escalatedAt } from '../../core/escalation';
import type { SupervisorDirectory } from '../../core/inbox-addresses';
import { preparedPer, type Db } from '../client';
import { cases, journal, outbox } from '../schema';
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

const heldBatchQuery = preparedPer((db) =>
  db
    .select({
      held: sql<boolean>`${cases.version} >= ${sql.placeholder('version')}::int and (${sql.placeholder('lastSeq')}::int is null or exists (
        select 1 from ${journal} where ${journal.caseNumber} = ${cases.number} and ${journal.seq} = ${sql.placeholder('lastSeq')}::int))`,
      queuedNotices: sql<number[]>`array(select distinct ${outbox.seq} from ${outbox}
        where ${outbox.caseNumber} = ${cases.number} and ${outbox.seq} = any(${sql.placeholder('noticed')}::int[]) order by 1)`,
    })
    .from(cases)
    .where(eq(cases.number, sql.placeholder('number')))
    .prepare('case_held_batch'),
);

/**
 * The read model holds this batch already: the case's row is at its version or later and
 * the journal has its last entry (a case's entries are appended in order, each batch with
 * its inbox and mail rows in one transaction). One indexed read, which does not wait for a
 * write in progress: a batch it does not find (null) may still be written meanwhile, and
 * writing it then changes nothing. A batch held comes with its receipt, read in the same go.
 */
export async function heldBatch({ projection, entries }: ProjectionBatch, db: Db): Promise<ProjectionReceipt | null> {
  const [row] = await heldBatchQuery(db).execute({
    number: projection.number,
    version: projection.version,
    lastSeq: entries.length ? Math.max(...entries.map((e) => e.seq)) : null,
    noticed: entries.filter((e) => e.notify?.length).map((e) => e.seq),
  });
  return row?.held ? { queuedNotices: row.queuedNotices } : null;
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
  /** The batch's entries with notice messages in the outbox, queued by this write or an earlier one. */
  queuedNotices: number[];
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
      .prepare('project_case_row')
      .execute();
    // The rest is sent at once, not each after the previous answer: the connection runs
    // the statements in the order they were sent (the case row first, the rows that refer
    // to it after), and an action's answer waits for this transaction. They are prepared
    // statements (runPrepared), or postgres.js would still wait for each in turn.
    const [[after], inserted, , queuedNotices] = await Promise.all([
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
      queuedNotices,
    };
  });
}
