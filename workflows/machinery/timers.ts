import { condition } from '@temporalio/workflow';
import type { CaseJournal } from './case-journal';

export interface DueTimer {
  /** ISO instant */
  at: string;
  fire: () => void;
}

/**
 * The case's one event loop: sleep until the earliest pending deadline or until any
 * action commits a change (which may move or cancel deadlines), then look again.
 * Every deadline of a case is a durable timer created here, never a poll.
 */
export async function runDeadlines(
  journal: CaseJournal,
  isDone: () => boolean,
  pending: () => Array<DueTimer | null>,
  shouldContinueAsNew: () => boolean,
): Promise<'done' | 'continue_as_new'> {
  while (!isDone()) {
    if (shouldContinueAsNew()) return 'continue_as_new';
    const timers = pending().filter((t): t is DueTimer => t !== null);
    const next = timers.reduce<DueTimer | null>((a, b) => (a && Date.parse(a.at) <= Date.parse(b.at) ? a : b), null);
    const seen = journal.changes;
    if (!next) {
      await condition(() => journal.changes !== seen || isDone());
      continue;
    }
    const waitMs = Math.max(1, Date.parse(next.at) - Date.now());
    const changed = await condition(() => journal.changes !== seen || isDone(), waitMs);
    if (!changed) next.fire();
  }
  return 'done';
}
