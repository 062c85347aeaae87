import { and, asc, desc, eq, getTableColumns, getTableName, gte, isNotNull, isNull, lt, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { formatCaseNumber, type CaseKind } from '../../core/case-model';
import type { KindedDetail } from '../../core/case-projection';
import { rowReader, runPrepared, type Db } from '../client';
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

// The reads of one case by its number, every action's and every status poll's: read by
// postgres.js directly (rowReader), each a statement it prepares once per connection.
const caseRow = rowReader(cases, 'c');
const CASE_BY_NUMBER = `select ${caseRow.columns} from cases c where c.number = $1`;
/**
 * With the number of the case that re-sent it (the registry entry naming it; a case is
 * re-sent at most once): what a status poll reads, in one round trip.
 */
const CASE_WITH_RESENT_AS = `select ${caseRow.columns}, resent.number as "resentAs"
  from cases c left join ${getTableName(caseRegistry)} resent on resent.resent_from = c.number where c.number = $1`;

export async function getCase(db: Db, number: string): Promise<CaseRow | undefined> {
  const [row] = await db.$client.unsafe(CASE_BY_NUMBER, [number], { prepare: true });
  return row && asCaseRow(caseRow.decode(row));
}

export async function getCaseWithResentAs(db: Db, number: string): Promise<{ row: CaseRow; resentAs?: string } | undefined> {
  const [hit] = await db.$client.unsafe(CASE_WITH_RESENT_AS, [number], { prepare: true });
  // The row keeps `resentAs` as one field more (copying the rest out cost more than the read's decoding).
  return hit && { row: asCaseRow(caseRow.decode(hit)), resentAs: (hit.resentAs as string | null) ?? undefined };
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
  return runList(db, applicantList(f));
}

const APPLICANT_ORDER = [desc(cases.submittedAt), desc(cases.number)];

function applicantList(f: MyCasesFilter, prepared = true): ListQueryState {
  const q = listQuery('applicant', APPLICANT_ORDER, f, prepared);
  q.where(eq(cases.applicantId, q.param('applicantId', f.applicantId)));
  if (f.service) q.where(eq(cases.serviceCode, q.param('service', f.service)));
  if (f.status) q.where(eq(cases.status, q.param('status', f.status)));
  if (f.submittedFrom) q.where(gte(cases.submittedAt, q.param('submittedFrom', f.submittedFrom)));
  // A date bound is inclusive of that whole day.
  if (f.submittedTo) q.where(lt(cases.submittedAt, sql`(${q.param('submittedTo', f.submittedTo)}::date + 1)`));
  return q;
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
  return runList(db, queueList(f));
}

const QUEUE_ORDER = [sql`${cases.dueAt} asc nulls last`, asc(cases.submittedAt)];

function queueList(f: QueueFilter, prepared = true): ListQueryState {
  const q = listQuery('queue', QUEUE_ORDER, f, prepared);
  q.where(sql`${cases.kind} = any(${q.param('kinds', [...f.kinds])}::text[])`);
  if (f.agency !== undefined) q.where(eq(cases.agency, q.param('agency', f.agency)));
  q.where(f.status ? eq(cases.status, q.param('status', f.status)) : sql`${cases.status} = any(${q.param('openStatuses', [...f.openStatuses])}::text[])`);
  if (f.service) q.where(eq(cases.serviceCode, q.param('service', f.service)));
  if (f.overdue !== undefined) q.where(eq(cases.overdue, q.param('overdue', f.overdue)));
  if (f.escalated !== undefined) q.where(f.escalated ? isNotNull(cases.escalatedAt) : isNull(cases.escalatedAt), `escalated=${f.escalated}`);
  if (f.assignee === 'unassigned') q.where(isNull(cases.assigneeId), 'unassigned');
  else if (f.assignee) q.where(eq(cases.assigneeId, q.param('assignee', f.assignee)));
  return q;
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
 * A list request: its conditions, each naming its value as a placeholder, and the values.
 * Which conditions a request has (its shape) decides the SQL; the values only fill it. So
 * a list's SQL is built by drizzle once per shape and prepared, not on every request
 * (building it cost more than Postgres took to run it).
 */
interface ListQuery {
  param(name: string, value: unknown): SQLWrapper;
  where(condition: SQL, shape?: string): void;
}

interface ListQueryState extends ListQuery {
  shape: string[];
  conditions: SQL[];
  values: Record<string, unknown>;
  order: SQL[];
  /** Placeholders to prepare, or the values bound in (for an EXPLAIN, which takes no placeholders). */
  prepared: boolean;
  paging: { limit: number; offset: number };
}

function listQuery(name: string, order: SQL[], paging: { limit: number; offset: number }, prepared = true): ListQueryState {
  const q: ListQueryState = {
    shape: [name],
    conditions: [],
    values: { limit: paging.limit, offset: paging.offset },
    order,
    prepared,
    paging,
    param(param, value) {
      q.values[param] = value;
      q.shape.push(param);
      return prepared ? sql.placeholder(param) : sql.param(value);
    },
    where(condition, shape) {
      q.conditions.push(condition);
      if (shape) q.shape.push(shape);
    },
  };
  return q;
}

/**
 * The page and the count are two queries: `count(*) over ()` would make Postgres build
 * every matching row, detail and all, before it can return twenty.
 */
function pageQueries(db: Db, q: ListQueryState) {
  const where = and(...q.conditions)!;
  const matching = db.select({ one: sql`1` }).from(cases).where(where).limit(COUNT_CAP + 1).as('matching');
  return {
    rows: db
      .select(summaryColumns)
      .from(cases)
      .where(where)
      .orderBy(...q.order)
      .limit(q.prepared ? sql.placeholder('limit') : q.paging.limit)
      .offset(q.prepared ? sql.placeholder('offset') : q.paging.offset),
    count: db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(matching),
  };
}

const preparedLists = new WeakMap<Db, Map<string, { rows: { execute(v: Record<string, unknown>): Promise<unknown[]> }; count: { execute(v: Record<string, unknown>): Promise<{ n: number }[]> } }>>();

async function runList(db: Db, q: ListQueryState): Promise<CasePage> {
  let byShape = preparedLists.get(db);
  if (!byShape) preparedLists.set(db, (byShape = new Map()));
  const key = q.shape.join(',');
  let prepared = byShape.get(key);
  if (!prepared) {
    const built = pageQueries(db, q);
    prepared = { rows: built.rows.prepare(`list_rows_${byShape.size}`), count: built.count.prepare(`list_count_${byShape.size}`) };
    byShape.set(key, prepared);
  }
  const [rows, [counted]] = await Promise.all([prepared.rows.execute(q.values), prepared.count.execute(q.values)]);
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
  const q = 'queue' in list ? queueList(list.queue, false) : applicantList(list.applicant, false);
  const built = pageQueries(db, q);
  const explain = async (query: SQLWrapper): Promise<ListPlan> => {
    const [row] = (await db.execute(sql`explain (analyze, format json) ${query}`)) as unknown as [{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }];
    const [{ Plan: plan, 'Execution Time': ms }] = row['QUERY PLAN'];
    return { nodes: planNodes(plan), ms };
  };
  return { page: await explain(built.rows), count: await explain(built.count) };
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
  const [{ seq }] = (await runPrepared<{ seq: string }>(db, sql`select nextval(${caseNumberSeq.seqName}) as seq`)) as [{ seq: string }];
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
    .returning({ number: caseRegistry.number })
    .prepare('allocate_case_number')
    .execute();
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
