import { and, eq, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { CaseKind } from '../../core/case-model';
import type { Database, Db } from '../client';
import { isoFromPostgres } from '../instants';
import { cases } from '../schema';
import { COUNT_CAP, type CaseSummaryRow } from './cases';

/** The admins' search over every case kind; every condition is optional. */
export interface AdminCaseFilter {
  number?: string;
  kind?: CaseKind;
  status?: string;
  service?: string;
  agency?: string;
  applicant?: string;
  /** An official's id, or 'unassigned'. */
  assignee?: string;
  overdue?: boolean;
  /** Expected due dates (YYYY-MM-DD), both inclusive. */
  dueFrom?: string;
  dueTo?: string;
  /** Filing instants: from inclusive, before exclusive. */
  filedFrom?: string;
  filedBefore?: string;
}

/** `filed`: by filing instant; `due`: by expected due date, cases without one last. `-` first: descending. */
export type AdminCaseSort = 'filed' | '-filed' | 'due' | '-due';

/** Where a page ends: the sort key's text (as `sortKey` gives it) and the case number breaking ties. */
export interface SearchPosition {
  key: string;
  number: string;
}

/** What the search shows of a case: a list's summary and whose case it is. */
export type CaseSearchRow = Pick<
  CaseSummaryRow,
  | 'number'
  | 'kind'
  | 'status'
  | 'version'
  | 'serviceCode'
  | 'serviceName'
  | 'agency'
  | 'applicantId'
  | 'assigneeId'
  | 'submittedAt'
  | 'updatedAt'
  | 'legalDueDate'
  | 'expectedDueDate'
  | 'overdue'
  | 'closedAt'
  | 'underAppeal'
>;

const ROW = sql`${cases.number} as "number", ${cases.kind} as "kind", ${cases.status} as "status", ${cases.version} as "version",
  ${cases.serviceCode} as "serviceCode", ${cases.detail} ->> 'serviceName' as "serviceName", ${cases.agency} as "agency",
  ${cases.applicantId} as "applicantId", ${cases.assigneeId} as "assigneeId", ${cases.submittedAt} as "submittedAt",
  ${cases.updatedAt} as "updatedAt", ${cases.legalDueDate} as "legalDueDate", ${cases.expectedDueDate} as "expectedDueDate",
  ${cases.overdue} as "overdue", ${cases.closedAt} as "closedAt", ${cases.detail} -> 'appeals' ->> 'underAppeal' as "underAppeal"`;

/**
 * Each sort's key as the order and its index (cases_filed_order_idx, cases_due_order_idx)
 * have it, and as text that casts back to the same value: microseconds, in UTC.
 */
const SORT_KEYS = {
  filed: {
    key: sql`${cases.submittedAt}`,
    text: sql`to_char(${cases.submittedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    cast: (key: string) => sql`${key}::timestamptz`,
  },
  due: {
    key: sql`coalesce(${cases.expectedDueDate}, 'infinity'::date)`,
    text: sql`coalesce(${cases.expectedDueDate}, 'infinity'::date)::text`,
    cast: (key: string) => sql`${key}::date`,
  },
} as const;

/** A real day of a year Postgres knows (JavaScript moves 30 February on to March; Postgres refuses it, and year 0). */
const realDay = (day: string) => /^\d{4}-\d\d-\d\d$/.test(day) && !day.startsWith('0000') && new Date(`${day}T00:00:00.000Z`).toISOString().startsWith(day);

/** Whether a sort key's text is one `SORT_KEYS` could have given: anything else would be a Postgres error, not a refusal. */
export const SORT_KEY_VALID: Record<keyof typeof SORT_KEYS, (key: string) => boolean> = {
  filed: (key) => /^\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z$/.test(key) && realDay(key.slice(0, 10)),
  due: (key) => key === 'infinity' || realDay(key),
};

/** On the due sort's key, so that cases_due_order_idx serves the range; a case with no due date is in none. */
function dueBetween(from: string | undefined, to: string | undefined): SQL[] {
  if (!from && !to) return [];
  const key = SORT_KEYS.due.key;
  return [sql`${key} < 'infinity'::date`, ...(from ? [sql`${key} >= ${from}::date`] : []), ...(to ? [sql`${key} <= ${to}::date`] : [])];
}

function conditions(f: AdminCaseFilter): SQL | undefined {
  return and(
    f.number ? eq(cases.number, f.number) : undefined,
    f.kind ? eq(cases.kind, f.kind) : undefined,
    f.status ? eq(cases.status, f.status) : undefined,
    f.service ? eq(cases.serviceCode, f.service) : undefined,
    f.agency ? eq(cases.agency, f.agency) : undefined,
    f.applicant ? eq(cases.applicantId, f.applicant) : undefined,
    f.assignee === 'unassigned' ? isNull(cases.assigneeId) : f.assignee ? eq(cases.assigneeId, f.assignee) : undefined,
    f.overdue === undefined ? undefined : eq(cases.overdue, f.overdue),
    ...dueBetween(f.dueFrom, f.dueTo),
    f.filedFrom ? gte(cases.submittedAt, f.filedFrom) : undefined,
    f.filedBefore ? lt(cases.submittedAt, f.filedBefore) : undefined,
  );
}

function ordered(sort: AdminCaseSort) {
  const descending = sort.startsWith('-');
  const by = SORT_KEYS[descending ? (sort.slice(1) as 'filed' | 'due') : (sort as 'filed' | 'due')];
  const direction = sql.raw(descending ? 'desc' : 'asc');
  return {
    by,
    order: sql`${by.key} ${direction}, ${cases.number} ${direction}`,
    // Past the position in the sort's direction: a row comparison the index walks from there.
    after: (p: SearchPosition) => sql`(${by.key}, ${cases.number}) ${sql.raw(descending ? '<' : '>')} (${by.cast(p.key)}, ${p.number})`,
  };
}

/** Timestamps come as Postgres's text (the driver's parsers are drizzle's); the API speaks ISO 8601. */
function decoded(row: Record<string, unknown>): CaseSearchRow {
  const r = row as unknown as CaseSearchRow;
  r.submittedAt = isoFromPostgres(r.submittedAt);
  r.updatedAt = isoFromPostgres(r.updatedAt);
  if (r.closedAt !== null) r.closedAt = isoFromPostgres(r.closedAt);
  return r;
}

export interface CaseSearchPage {
  items: CaseSearchRow[];
  total: number;
  totalCapped: boolean;
  /** Where the next page starts; null on the last page. */
  next: SearchPosition | null;
}

/** A page's query (one row past the page tells whether another follows) and the capped count's. */
export function searchQueries(f: AdminCaseFilter, sort: AdminCaseSort, page: { limit: number; after?: SearchPosition }): { page: SQL; count: SQL } {
  const where = conditions(f) ?? sql`true`;
  const o = ordered(sort);
  const paged = page.after ? sql`${where} and ${o.after(page.after)}` : where;
  return {
    page: sql`select ${ROW}, ${o.by.text} as "sortKey" from ${cases} where ${paged} order by ${o.order} limit ${page.limit + 1}`,
    count: sql`select count(*)::int as n from (select 1 from ${cases} where ${where} limit ${COUNT_CAP + 1}) as matching`,
  };
}

/**
 * One page of the search after `after` (keyset: the page is read off the sort's index from
 * the position on, however deep, and a case filed meanwhile never shifts the pages after
 * it) and how many match, counted to COUNT_CAP like the other lists.
 */
export async function searchCases(db: Db, f: AdminCaseFilter, sort: AdminCaseSort, page: { limit: number; after?: SearchPosition }): Promise<CaseSearchPage> {
  const q = searchQueries(f, sort, page);
  const [rows, [counted]] = await Promise.all([db.execute<Record<string, unknown>>(q.page), db.execute<{ n: number }>(q.count)]);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  const n = counted?.n ?? 0;
  return {
    next: rows.length > page.limit && last ? { key: last.sortKey as string, number: last.number as string } : null,
    items: items.map(decoded),
    total: Math.min(n, COUNT_CAP),
    totalCapped: n > COUNT_CAP,
  };
}

const dialect = new PgDialect();

/**
 * Every case the search finds, in its order, in batches from one cursor: one query, so the
 * export is a snapshot of a single moment however long it takes to send, and only a batch
 * is held in memory at a time.
 */
export async function* streamCases(database: Database, f: AdminCaseFilter, sort: AdminCaseSort, batch = 500): AsyncGenerator<CaseSearchRow[]> {
  const query = dialect.sqlToQuery(sql`select ${ROW} from ${cases} where ${conditions(f) ?? sql`true`} order by ${ordered(sort).order}`);
  for await (const rows of database.sql.unsafe(query.sql, query.params as never[]).cursor(batch)) {
    yield rows.map(decoded);
  }
}
