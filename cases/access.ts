import type { Principal } from '../api/auth';
import { notFound } from '../api/problem';
import type { Db } from '../db/client';
import { getCase, type CaseRow } from '../db/queries/cases';

/**
 * The case as this caller may see it. Anyone outside the case gets the same 404 as for a
 * number that does not exist, so case numbers cannot be probed.
 */
export async function caseVisibleTo(db: Db, who: Principal, number: string): Promise<CaseRow> {
  const row = await getCase(db, number);
  if (row && mayAccess(who, row)) return row;
  throw notFound(`case ${number}`);
}

export function mayAccess(who: Principal, row: Pick<CaseRow, 'applicantId' | 'agency'>): boolean {
  switch (who.role) {
    case 'admin':
      return true;
    case 'citizen':
      return row.applicantId === who.id;
    case 'reviewer':
      return row.agency !== null && row.agency === who.agency;
    default:
      return false;
  }
}
