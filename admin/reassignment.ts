import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { caseWorkflowId, type ActionMeta, type CaseKind } from '../core/case-model';
import { FailureType } from '../core/failures';
import type { Db } from '../db/client';
import { openCasesHeldBy } from '../db/queries/admin-operations';
import { adminReassignUpdate, type AdminReassignInput } from '../workflows/machinery/admin-actions';

/** The kinds an official holds: the desk's. */
const HELD_KINDS: readonly CaseKind[] = ['application', 'appeal', 'epts_change'];
/** Cases moved at once: each waits for its projection, a few in parallel keep a batch of 100 to seconds. */
const IN_PARALLEL = 4;

export type ReassignmentItem =
  | { number: string; outcome: 'reassigned'; status: string; version: number }
  | { number: string; outcome: 'refused'; code: FailureType; reason: string };

export interface ReassignmentReport {
  from: string;
  to: string;
  agency: string | null;
  items: ReassignmentItem[];
  reassigned: number;
  refused: number;
  /** The official still held more open cases than this batch took: send the request again. */
  more: boolean;
}

/** What a case's workflow said when it did not move the case. */
function refusalOf(err: unknown): { code: FailureType; reason: string } | undefined {
  if (err instanceof WorkflowNotFoundError) return { code: FailureType.InvalidState, reason: 'the case is closed and accepts no actions' };
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type) {
    return { code: err.cause.type as FailureType, reason: err.cause.message };
  }
  return undefined;
}

/**
 * Moves up to `limit` open cases of official `from` at a desk to official `to`, each by an
 * update of its own workflow carrying the version the read model showed: a case that
 * closed, moved to someone else or changed since is refused, with the case's reason, and
 * the others go on. A repeat finds only what is still `from`'s; under an Idempotency-Key
 * (`key`) each case's update id derives from it, so a retry after a cut-off attempt finds
 * the updates that attempt made instead of making them again.
 */
export async function reassignOpenCases(
  deps: { db: Db; temporal: Client },
  input: AdminReassignInput & { limit: number },
  meta: ActionMeta,
  key: string | undefined,
): Promise<ReassignmentReport> {
  const { limit, ...move } = input;
  const held = await openCasesHeldBy(deps.db, move.from, move.agency, HELD_KINDS, limit + 1);
  const batch = held.slice(0, limit);
  const items: ReassignmentItem[] = new Array(batch.length);
  let next = 0;
  const work = async () => {
    for (let i = next++; i < batch.length; i = next++) {
      const { number, version } = batch[i]!;
      try {
        const done = await deps.temporal.workflow
          .getHandle(caseWorkflowId(number))
          .executeUpdate(adminReassignUpdate, { args: [move, { ...meta, expectedVersion: version }], updateId: key && `${key}-${number}` });
        items[i] = { number, outcome: 'reassigned', status: done.status, version: done.version };
      } catch (err) {
        const refused = refusalOf(err);
        if (!refused) throw err;
        items[i] = { number, outcome: 'refused', ...refused };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_PARALLEL, batch.length) }, work));
  const reassigned = items.filter((i) => i.outcome === 'reassigned').length;
  return { from: move.from, to: move.to, agency: move.agency, items, reassigned, refused: items.length - reassigned, more: held.length > limit };
}
