import { and, asc, desc, eq, getTableColumns, gte, inArray, isNotNull, isNull, lt, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
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

const { detail: _detail, ...caseColumns } = getTableColumns(cases);

/**
 * What a list shows of a case: its columns and the two detail fields a summary names.
 * Never the whole detail: parsing every row's form, documents and history only to drop
 * them was most of a queue page's cost.
 */
const summaryColumns = {
  ...caseColumns,
  serviceName: sql<string | null>`${cases.detail} ->> 'serviceName'`,
  underAppeal: sql<string | null>`${cases.detail} -> 'appeals' ->> 'underAppeal'`,
};

export type CaseSummaryRow = Omit<typeof cases.$inferSelect, 'kind' | 'detail'> & {
  kind: CaseKind;
  serviceName: string | null;
  underAppeal: string | null;
};
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
  return page(pageQueries(db, applicantWhere(f), APPLICANT_ORDER, f));
}

const APPLICANT_ORDER = [desc(cases.submittedAt), desc(cases.number)];

function applicantWhere(f: MyCasesFilter): SQL {
  const where: SQL[] = [eq(cases.applicantId, f.applicantId)];
  if (f.service) where.push(eq(cases.serviceCode, f.service));
  if (f.status) where.push(eq(cases.status, f.status));
  if (f.submittedFrom) where.push(gte(cases.submittedAt, f.submittedFrom));
  // A date bound is inclusive of that whole day.
  if (f.submittedTo) where.push(lt(cases.submittedAt, sql`(${f.submittedTo}::date + 1)`));
  return and(...where)!;
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
  return page(pageQueries(db, queueWhere(f), QUEUE_ORDER, f));
}

const QUEUE_ORDER = [sql`${cases.dueAt} asc nulls last`, asc(cases.submittedAt)];

function queueWhere(f: QueueFilter): SQL {
  const where: SQL[] = [inArray(cases.kind, [...f.kinds])];
  if (f.agency !== undefined) where.push(eq(cases.agency, f.agency));
  where.push(f.status ? eq(cases.status, f.status) : sql`${cases.status} in ${f.openStatuses}`);
  if (f.service) where.push(eq(cases.serviceCode, f.service));
  if (f.overdue !== undefined) where.push(eq(cases.overdue, f.overdue));
  if (f.escalated !== undefined) where.push(f.escalated ? isNotNull(cases.escalatedAt) : isNull(cases.escalatedAt));
  if (f.assignee === 'unassigned') where.push(isNull(cases.assigneeId));
  else if (f.assignee) where.push(eq(cases.assigneeId, f.assignee));
  return and(...where)!;
}

/** Counting stops here: a queue of thousands needs "more than 1,000", not a count of every open case. */
export const COUNT_CAP = 1_000;

/** One page of cases, and how many match (exactly up to COUNT_CAP, then `totalCapped`). */
export interface CasePage {
  items: CaseSummaryRow[];
  total: number;
  totalCapped: boolean;
}

/**
 * The page and the count are two queries: `count(*) over ()` would make Postgres build
 * every matching row, detail and all, before it can return twenty.
 */
function pageQueries(db: Db, where: SQL, order: SQL[], p: { limit: number; offset: number }) {
  const matching = db.select({ one: sql`1` }).from(cases).where(where).limit(COUNT_CAP + 1).as('matching');
  return {
    rows: db.select(summaryColumns).from(cases).where(where).orderBy(...order).limit(p.limit).offset(p.offset),
    count: db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(matching),
  };
}

async function page(q: ReturnType<typeof pageQueries>): Promise<CasePage> {
  const [rows, [counted]] = await Promise.all([q.rows, q.count]);
  const n = counted?.n ?? 0;
  return { items: rows as CaseSummaryRow[], total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
}

/** What Postgres did for a list's page and its count: the plan's nodes, and the time it took. */
export interface ListPlan {
  nodes: string[];
  ms: number;
}

/**
 * EXPLAIN ANALYZE of the two queries a list runs (the benchmark shows it next to the
 * list's timings): which index serves the filter and the order, and whether anything sorts.
 */
export async function explainList(db: Db, list: { queue: QueueFilter } | { applicant: MyCasesFilter }): Promise<{ page: ListPlan; count: ListPlan }> {
  const q = 'queue' in list ? pageQueries(db, queueWhere(list.queue), QUEUE_ORDER, list.queue) : pageQueries(db, applicantWhere(list.applicant), APPLICANT_ORDER, list.applicant);
  const explain = async (query: SQLWrapper): Promise<ListPlan> => {
    const [row] = (await db.execute(sql`explain (analyze, format json) ${query}`)) as unknown as [{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }];
    const [{ Plan: plan, 'Execution Time': ms }] = row['QUERY PLAN'];
    return { nodes: planNodes(plan), ms };
  };
  return { page: await explain(q.rows), count: await explain(q.count) };
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const planNodes = (n: PlanNode): string[] => [
  n['Index Name'] ? `${n['Node Type']} using ${n['Index Name']}` : n['Node Type'],
  ...(n.Plans ?? []).flatMap(planNodes),
];

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
