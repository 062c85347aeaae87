import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
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

/**
 * Drizzle builds a query's SQL anew on every call; the hottest reads are built once per
 * database handle and only executed afterwards.
 */
function preparedPer<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const built = new WeakMap<Db, Q>();
  return (db) => {
    let q = built.get(db);
    if (!q) built.set(db, (q = build(db)));
    return q;
  };
}

const caseByNumber = preparedPer((db) =>
  db.select().from(cases).where(eq(cases.number, sql.placeholder('number'))).prepare('case_by_number'),
);

/** The registry entry of the case that re-sent another: a case is re-sent at most once. */
const resent = alias(caseRegistry, 'resent');

/** A case with the number of the case that re-sent it: what a status poll reads, in one round trip. */
const caseWithResentAs = preparedPer((db) =>
  db
    .select({ row: cases, resentAs: resent.number })
    .from(cases)
    .leftJoin(resent, eq(resent.resentFrom, cases.number))
    .where(eq(cases.number, sql.placeholder('number')))
    .prepare('case_with_resent_as'),
);

export async function getCase(db: Db, number: string): Promise<CaseRow | undefined> {
  const [row] = await caseByNumber(db).execute({ number });
  return row && asCaseRow(row);
}

export async function getCaseWithResentAs(db: Db, number: string): Promise<{ row: CaseRow; resentAs?: string } | undefined> {
  const [hit] = await caseWithResentAs(db).execute({ number });
  return hit && { row: asCaseRow(hit.row), resentAs: hit.resentAs ?? undefined };
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

export async function listApplicantCases(db: Db, f: MyCasesFilter): Promise<CasePage> {
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
  /** Escalated to the desk's supervisor (deadline breached): `escalated_at` set. */
  escalated?: boolean;
  /** 'unassigned', or an assignee id */
  assignee?: string;
  limit: number;
  offset: number;
}

export async function listQueue(db: Db, f: QueueFilter): Promise<CasePage> {
  const where: SQL[] = [inArray(cases.kind, [...f.kinds])];
  if (f.agency !== undefined) where.push(eq(cases.agency, f.agency));
  where.push(f.status ? eq(cases.status, f.status) : sql`${cases.status} in ${f.openStatuses}`);
  if (f.service) where.push(eq(cases.serviceCode, f.service));
  if (f.overdue !== undefined) where.push(eq(cases.overdue, f.overdue));
  if (f.escalated !== undefined) where.push(f.escalated ? isNotNull(cases.escalatedAt) : isNull(cases.escalatedAt));
  if (f.assignee === 'unassigned') where.push(isNull(cases.assigneeId));
  else if (f.assignee) where.push(eq(cases.assigneeId, f.assignee));
  return page(db, and(...where)!, [sql`${cases.dueAt} asc nulls last`, asc(cases.submittedAt)], f);
}

/** Counting stops here: a queue of thousands needs "more than 1,000", not a count of every open case. */
export const COUNT_CAP = 1_000;

/** One page of cases, and how many match (exactly up to COUNT_CAP, then `totalCapped`). */
export interface CasePage {
  items: CaseRow[];
  total: number;
  totalCapped: boolean;
}

/**
 * The page and the count are two queries: `count(*) over ()` would make Postgres build
 * every matching row, detail and all, before it can return twenty.
 */
async function page(db: Db, where: SQL, order: SQL[], p: { limit: number; offset: number }): Promise<CasePage> {
  const matching = db.select({ one: sql`1` }).from(cases).where(where).limit(COUNT_CAP + 1).as('matching');
  const [rows, [counted]] = await Promise.all([
    db.select().from(cases).where(where).orderBy(...order).limit(p.limit).offset(p.offset),
    db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(matching),
  ]);
  const n = counted?.n ?? 0;
  return { items: rows.map(asCaseRow), total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
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

/** Whether an appeal contests the case. */
export async function isContested(db: Db, number: string): Promise<boolean> {
  const [hit] = await db
    .select({ number: cases.number })
    .from(cases)
    .where(and(eq(cases.kind, 'appeal'), eq(cases.relatedNumber, number)))
    .limit(1);
  return hit !== undefined;
}
