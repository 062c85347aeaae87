import { eq, sql } from 'drizzle-orm';
import type { CaseKind } from '../../core/case-model';
import type { ProjectionBatch } from '../../core/case-projection';
import { escalatedAt } from '../../core/escalation';
import type { SupervisorDirectory } from '../../core/inbox-addresses';
import type { Db } from '../client';
import { cases, journal } from '../schema';
import { writeInbox } from './inbox';
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
 * by the workflow's sequence numbers, so a retried or reordered call changes nothing.
 */
export async function writeProjection(db: Db, { projection: p, entries }: ProjectionBatch, supervisors: SupervisorDirectory): Promise<ProjectionWrite> {
  return db.transaction(async (tx) => {
    const set = Object.fromEntries(
      Object.entries(CASE_COLUMNS).map(([key, column]) => [key, fromExcluded([column])[column]]),
    );
    // Locked: whether this write opens or closes the case is judged against the row it replaces.
    const [before] = await tx.select({ closedAt: cases.closedAt }).from(cases).where(eq(cases.number, p.number)).for('update');
    // No row back when the read model already holds this version or a later one.
    const [after] = await tx
      .insert(cases)
      .values({ ...p, escalatedAt: escalatedAt(p) })
      .onConflictDoUpdate({ target: cases.number, set, setWhere: sql`${cases.version} < excluded.version` })
      .returning({ status: cases.status, closedAt: cases.closedAt });
    const write: ProjectionWrite = {
      kind: p.kind,
      started: Boolean(after) && !before,
      closedAs: after?.closedAt && !before?.closedAt ? after.status : null,
      entries: [],
    };
    if (entries.length === 0) return write;
    const inserted = await tx
      .insert(journal)
      .values(
        entries.map((e) => ({
          caseNumber: p.number,
          seq: e.seq,
          at: e.at,
          type: e.type,
          actorId: e.actor.id,
          actorRole: e.actor.role,
          clientAddress: e.clientAddress ?? null,
          summary: e.summary,
          data: e.data ?? null,
        })),
      )
      .onConflictDoNothing()
      .returning({ seq: journal.seq });
    await writeInbox(tx, p, entries, supervisors);
    await queueNotices(tx, { projection: p, entries });
    const seqs = new Set(inserted.map((row) => row.seq));
    return { ...write, entries: entries.filter((e) => seqs.has(e.seq)).map((e) => ({ type: e.type, at: e.at })) };
  });
}
