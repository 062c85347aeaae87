import { and, asc, desc, eq, gte, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { formatCaseNumber, type CaseKind } from '../../core/case-model';
import type { KindedDetail } from '../../core/case-projection';
import type { Db } from '../client';
import { caseNumberSeq, caseRegistry, cases, journal } from '../schema';

/** A case as the read model holds it: its detail is the one of its kind. */
export type CaseRow = Omit<typeof cases.$inferSelect, 'kind' | 'detail'> & KindedDetail;

/** A case of one kind, with that kind's detail. */
export type CaseRowOf<K extends CaseKind> = Extract<CaseRow, { kind: K }>;

/** Postgres keeps kind and detail in two columns; the workflow that wrote the row made them match. */
const asCaseRow = (row: typeof cases.$inferSelect): CaseRow => row as CaseRow;
export type JournalRow = typeof journal.$inferSelect;

export async function getCase(db: Db, number: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(cases).where(eq(cases.number, number));
  return row && asCaseRow(row);
}

export interface MyCasesFilter {
  applicantId: string;
  service?: string;
  status?: string;
  submittedFrom?: string;
  submittedTo?: string;
  limit: number;
  offset: number;
}

export async function listApplicantCases(db: Db, f: MyCasesFilter): Promise<{ items: CaseRow[]; total: number }> {
  const where: SQL[] = [eq(cases.applicantId, f.applicantId)];
  if (f.service) where.push(eq(cases.serviceCode, f.service));
  if (f.status) where.push(eq(cases.status, f.status));
  if (f.submittedFrom) where.push(gte(cases.submittedAt, f.submittedFrom));
  // A date bound is inclusive of that whole day.
  if (f.submittedTo) where.push(lt(cases.submittedAt, sql`(${f.submittedTo}::date + 1)`));
  return page(db, and(...where)!, [desc(cases.submittedAt), desc(cases.number)], f);
}

export interface QueueFilter {
  kinds: readonly CaseKind[];
  /** Reviewers see their agency's cases; experts see every appeal. */
  agency?: string;
  /** The statuses a queue shows by default: cases waiting for an official. */
  openStatuses: readonly string[];
  status?: string;
  service?: string;
  overdue?: boolean;
  /** 'unassigned', or an assignee id */
  assignee?: string;
  limit: number;
  offset: number;
}

export async function listQueue(db: Db, f: QueueFilter): Promise<{ items: CaseRow[]; total: number }> {
  const where: SQL[] = [inArray(cases.kind, [...f.kinds])];
  if (f.agency !== undefined) where.push(eq(cases.agency, f.agency));
  where.push(f.status ? eq(cases.status, f.status) : sql`${cases.status} in ${f.openStatuses}`);
  if (f.service) where.push(eq(cases.serviceCode, f.service));
  if (f.overdue !== undefined) where.push(eq(cases.overdue, f.overdue));
  if (f.assignee === 'unassigned') where.push(isNull(cases.assigneeId));
  else if (f.assignee) where.push(eq(cases.assigneeId, f.assignee));
  return page(db, and(...where)!, [sql`${cases.dueAt} asc nulls last`, asc(cases.submittedAt)], f);
}

async function page(db: Db, where: SQL, order: SQL[], p: { limit: number; offset: number }) {
  const rows = await db
    .select({ row: cases, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(cases)
    .where(where)
    .orderBy(...order)
    .limit(p.limit)
    .offset(p.offset);
  return { items: rows.map((r) => asCaseRow(r.row)), total: rows[0]?.total ?? 0 };
}

export async function getTimeline(db: Db, number: string): Promise<JournalRow[]> {
  return db.select().from(journal).where(eq(journal.caseNumber, number)).orderBy(asc(journal.seq));
}

export type Allocation =
  | { outcome: 'new'; number: string }
  | { outcome: 'existing'; number: string }
  | { outcome: 'already_resent'; number: string };

/**
 * Issues a case number before its workflow starts. A repeated request with the same
 * idempotency key gets the number it got the first time; a case can be re-sent once.
 */
export async function allocateCaseNumber(
  db: Db,
  a: { kind: CaseKind; applicantId: string; idempotencyKey?: string; resentFrom?: string; now?: Date },
): Promise<Allocation> {
  const year = (a.now ?? new Date()).getUTCFullYear();
  const [{ seq }] = (await db.execute(sql`select nextval(${caseNumberSeq.seqName}) as seq`)) as unknown as [{ seq: string }];
  const number = formatCaseNumber(a.kind, year, Number(seq));
  const inserted = await db
    .insert(caseRegistry)
    .values({
      number,
      kind: a.kind,
      applicantId: a.applicantId,
      idempotencyKey: a.idempotencyKey ?? null,
      resentFrom: a.resentFrom ?? null,
    })
    .onConflictDoNothing()
    .returning({ number: caseRegistry.number });
  if (inserted.length) return { outcome: 'new', number };
  if (a.idempotencyKey) {
    const [prior] = await db
      .select({ number: caseRegistry.number })
      .from(caseRegistry)
      .where(and(eq(caseRegistry.applicantId, a.applicantId), eq(caseRegistry.idempotencyKey, a.idempotencyKey)));
    if (prior) return { outcome: 'existing', number: prior.number };
  }
  if (a.resentFrom) {
    const [prior] = await db
      .select({ number: caseRegistry.number })
      .from(caseRegistry)
      .where(eq(caseRegistry.resentFrom, a.resentFrom));
    if (prior) return { outcome: 'already_resent', number: prior.number };
  }
  throw new Error('case number allocation conflicted for an unknown reason');
}

/** Takes back a number whose case was refused before it started (nothing else refers to it). */
export async function releaseCaseNumber(db: Db, number: string): Promise<void> {
  await db.delete(caseRegistry).where(eq(caseRegistry.number, number));
}

export async function findResentAs(db: Db, number: string): Promise<string | undefined> {
  const [row] = await db
    .select({ number: caseRegistry.number })
    .from(caseRegistry)
    .where(eq(caseRegistry.resentFrom, number));
  return row?.number;
}

/** Whether an appeal contests the case. */
export async function isContested(db: Db, number: string): Promise<boolean> {
  const [hit] = await db
    .select({ number: cases.number })
    .from(cases)
    .where(and(eq(cases.kind, 'appeal'), eq(cases.relatedNumber, number)))
    .limit(1);
  return hit !== undefined;
}
