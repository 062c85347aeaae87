import type { CaseKind } from '../core/case-model';
import { invalidState, notFound } from '../core/failures';
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';
import { getCase, getCaseWithResentAs, getTimeline, isContested, type CaseRow, type CaseRowOf, type JournalRow } from '../db/queries/cases';

/**
 * The case as this caller may see it. Anyone outside the case gets the same 404 as for a
 * number that does not exist, so case numbers cannot be probed. `kinds`: the case kinds
 * whose workflows answer the action about to be taken.
 */
export async function caseVisibleTo<K extends CaseKind = CaseKind>(db: Db, who: Principal, number: string, kinds?: K | readonly K[]): Promise<CaseRowOf<K>> {
  const row = await seen(db, who, number, await getCase(db, number));
  const allowed: readonly CaseKind[] | undefined = typeof kinds === 'string' ? [kinds] : kinds;
  if (allowed && !allowed.includes(row.kind)) {
    throw invalidState(`this action is for ${allowed.join(' or ')} cases; ${number} is an ${row.kind} case`);
  }
  return row as CaseRowOf<K>;
}

/** The case as this caller may see it, with the case that re-sent it, if any. */
export async function caseForReader(db: Db, who: Principal, number: string): Promise<{ row: CaseRow; resentAs?: string }> {
  const found = await getCaseWithResentAs(db, number);
  return { row: await seen(db, who, number, found?.row), resentAs: found?.resentAs };
}

/** A case the caller may not see is one that does not exist, to them. */
async function seen(db: Db, who: Principal, number: string, row: CaseRow | undefined): Promise<CaseRow> {
  if (!row || !(await mayAccess(db, who, row))) throw notFound(`case ${number}`);
  return row;
}

/** The journal of a case this caller may see, in order, with the case. */
export async function caseTimeline(db: Db, who: Principal, number: string): Promise<{ row: CaseRow; entries: JournalRow[] }> {
  const row = await caseVisibleTo(db, who, number);
  return { row, entries: await getTimeline(db, row.number) };
}

/** The citizens a case is about: its applicant, and the buyer of a sale, who is party to its change case too. */
export function caseSubjects(row: CaseRow): string[] {
  return row.kind === 'epts_change' && row.detail.buyer ? [row.applicantId, row.detail.buyer.id] : [row.applicantId];
}

async function mayAccess(db: Db, who: Principal, row: CaseRow): Promise<boolean> {
  switch (who.role) {
    case 'admin':
      return true;
    case 'citizen':
      return caseSubjects(row).includes(who.id);
    case 'reviewer':
      return row.agency !== null && row.agency === who.agency;
    case 'expert':
      // Experts examine appeals and read the cases those appeals contest.
      return row.kind === 'appeal' || (await isContested(db, row.number));
    default:
      return false;
  }
}
