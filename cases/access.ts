import type { Principal } from '../api/auth';
import { conflict, notFound } from '../api/problem';
import type { CaseKind } from '../core/case-model';
import type { Db } from '../db/client';
import { getCase, type CaseRow } from '../db/queries/cases';

/**
 * The case as this caller may see it. Anyone outside the case gets the same 404 as for a
 * number that does not exist, so case numbers cannot be probed.
 */
export async function caseVisibleTo(db: Db, who: Principal, number: string, kind?: CaseKind): Promise<CaseRow> {
  const row = await getCase(db, number);
  if (!row || !mayAccess(who, row)) throw notFound(`case ${number}`);
  // Each case kind's workflow answers only its own actions.
  if (kind && row.kind !== kind) throw conflict(`this action is for ${kind} cases; ${number} is an ${row.kind} case`);
  return row;
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
