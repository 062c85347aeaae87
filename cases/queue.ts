import { OPEN_APPEAL_STATUSES } from '../core/appeal';
import type { CaseKind } from '../core/case-model';
import { forbidden } from '../core/failures';
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';
import { explainList, listQueue, type CasePage, type ListPlan, type QueueFilter } from '../db/queries/cases';

/** Cases reviewers decide: their agency's applications and passport changes. */
export const REVIEWED_KINDS = ['application', 'epts_change'] as const satisfies readonly CaseKind[];
/** Cases an official works: reviewers decide applications and passport changes, experts appeals. */
export const DESK_KINDS = ['application', 'appeal', 'epts_change'] as const satisfies readonly CaseKind[];
/** A reviewer's queue shows by default the cases waiting for an official. */
const REVIEW_OPEN_STATUSES = ['submitted', 'resubmitted', 'reopened', 'in_review', 'awaiting_info'];

export type QueueQuery = Omit<QueueFilter, 'kinds' | 'agency' | 'openStatuses'>;

/** Which cases an official's queue holds: experts see every appeal, reviewers their agency's cases. */
function queueScope(who: Principal): Pick<QueueFilter, 'kinds' | 'agency' | 'openStatuses'> {
  if (who.role === 'expert') return { kinds: ['appeal'], openStatuses: OPEN_APPEAL_STATUSES };
  if (who.agency) return { kinds: REVIEWED_KINDS, agency: who.agency, openStatuses: REVIEW_OPEN_STATUSES };
  throw forbidden('your token names no agency');
}

/** The official's open cases, soonest deadline first; assignee `me` is the caller. */
export async function officialQueue(db: Db, who: Principal, q: QueueQuery): Promise<CasePage> {
  const assignee = q.assignee === 'me' ? who.id : q.assignee;
  return listQueue(db, { ...q, ...queueScope(who), assignee });
}

/** How Postgres runs that queue's page and count (for the benchmark's report). */
export async function explainOfficialQueue(db: Db, who: Principal, q: QueueQuery): Promise<{ page: ListPlan; count: ListPlan }> {
  return explainList(db, { queue: { ...q, ...queueScope(who), assignee: q.assignee === 'me' ? who.id : q.assignee } });
}
