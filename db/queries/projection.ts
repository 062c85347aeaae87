import { sql } from 'drizzle-orm';
import type { ProjectionBatch } from '../../core/case-projection';
import { escalatedAt } from '../../core/escalation';
import type { SupervisorDirectory } from '../../core/inbox-addresses';
import type { Db } from '../client';
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

/**
 * Writes a case's read model and new journal entries in one transaction.
 * Idempotent: the row only moves to a higher version, entries and inbox rows are keyed
 * by the workflow's sequence numbers, so a retried or reordered call changes nothing;
 * entries are hash-chained as they are appended (journal-chain.ts).
 */
export async function writeProjection(db: Db, { projection: p, entries }: ProjectionBatch, supervisors: SupervisorDirectory): Promise<void> {
  await db.transaction(async (tx) => {
    const set = Object.fromEntries(
      Object.entries(CASE_COLUMNS).map(([key, column]) => [key, fromExcluded([column])[column]]),
    );
    await tx
      .insert(cases)
      .values({ ...p, escalatedAt: escalatedAt(p) })
      .onConflictDoUpdate({ target: cases.number, set, setWhere: sql`${cases.version} < excluded.version` });
    if (entries.length === 0) return;
    await appendJournalEntries(tx, p.number, entries);
    await writeInbox(tx, p, entries, supervisors);
    await queueNotices(tx, { projection: p, entries });
  });
}
