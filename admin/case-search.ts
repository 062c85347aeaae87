import { CASE_NUMBER_PATTERN } from '../core/case-model';
import { dateToDay, startOfDay } from '../core/deadline-clock';
import { invalid } from '../core/failures';
import type { Database, Db } from '../db/client';
import {
  searchCases,
  SORT_KEY_VALID,
  streamCases,
  type AdminCaseFilter,
  type AdminCaseSort,
  type CaseSearchRow,
  type SearchPosition,
} from '../db/queries/admin-cases';

/** The search as an administrator asks for it: filing days are the agencies' civil days (Moscow), both ends included. */
export type CaseSearchQuery = Omit<AdminCaseFilter, 'filedFrom' | 'filedBefore'> & { filedFrom?: string; filedTo?: string; sort: AdminCaseSort };

export interface CaseSearchResult {
  items: CaseSearchRow[];
  total: number;
  totalCapped: boolean;
  /** Pass as `after` for the next page; null on the last. */
  next: string | null;
}

function checkRange(from: string | undefined, to: string | undefined, field: string): void {
  if (from && to && from > to) throw invalid(`${field}From is after ${field}To`, [{ path: `/querystring/${field}To`, message: `must not be before ${field}From` }]);
}

function filterOf({ filedFrom, filedTo, sort: _sort, ...q }: CaseSearchQuery): AdminCaseFilter {
  checkRange(q.dueFrom, q.dueTo, 'due');
  checkRange(filedFrom, filedTo, 'filed');
  return { ...q, filedFrom: filedFrom && startOfDay(dateToDay(filedFrom)), filedBefore: filedTo && startOfDay(dateToDay(filedTo) + 1) };
}

/**
 * The position a page ends at, opaque to the client: it names its sort, so a cursor is
 * never read under another order.
 */
export function encodeCursor(sort: AdminCaseSort, p: SearchPosition): string {
  return Buffer.from(JSON.stringify([sort, p.key, p.number])).toString('base64url');
}

function decodeCursor(sort: AdminCaseSort, after: string): SearchPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const [cursorSort, key, number] = Array.isArray(decoded) ? decoded : [];
  const validKey = SORT_KEY_VALID[sort.replace('-', '') as 'filed' | 'due'];
  const valid = cursorSort === sort && typeof key === 'string' && validKey(key) && typeof number === 'string' && new RegExp(CASE_NUMBER_PATTERN).test(number);
  if (!valid) throw invalid('the cursor is not one this search gave', [{ path: '/querystring/after', message: `must be the \`next\` of a page sorted by ${sort}` }]);
  return { key, number };
}

/** One page of any cases an administrator looks for. */
export async function findCases(db: Db, q: CaseSearchQuery, page: { limit: number; after?: string }): Promise<CaseSearchResult> {
  const filter = filterOf(q);
  const found = await searchCases(db, filter, q.sort, { limit: page.limit, after: page.after === undefined ? undefined : decodeCursor(q.sort, page.after) });
  return { items: found.items, total: found.total, totalCapped: found.totalCapped, next: found.next && encodeCursor(q.sort, found.next) };
}

/** Every case the search finds, in batches, for an export. */
export function everyCaseFound(database: Database, q: CaseSearchQuery): AsyncGenerator<CaseSearchRow[]> {
  return streamCases(database, filterOf(q), q.sort);
}
