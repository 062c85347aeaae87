import { condition, patched } from '@temporalio/workflow';
import { CITIZEN_REMINDER_DAYS_BEFORE } from '../../core/case-model';
import { addDays } from '../../core/deadline-clock';
import type { EntryDraft } from '../../core/case-model';
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
 *
 * Once the server suggests it, the case continues as new. Actions that commit nothing (a
 * repeated `registered` update, a callback ignored as a duplicate) lengthen the history
 * too, so the suggestion wakes the loop by itself; and the case carries on only when it is
 * drained, so an action still at work (one that decides the case and waits for it to
 * close) finishes in this run instead of holding the hand-over for ever. Runs begun before
 * this (patch continue-as-new-when-drained) looked only after a commit, and went at once.
 */
export async function runDeadlines(
  journal: CaseJournal,
  isDone: () => boolean,
  pending: () => Array<DueTimer | null>,
  shouldContinueAsNew: () => boolean,
): Promise<'done' | 'continue_as_new'> {
  const whenDrained = patched('continue-as-new-when-drained');
  const carryOn = whenDrained ? () => shouldContinueAsNew() && journal.isDrained : shouldContinueAsNew;
  while (!isDone()) {
    if (carryOn()) return 'continue_as_new';
    const timers = pending().filter((t): t is DueTimer => t !== null);
    const next = timers.reduce<DueTimer | null>((a, b) => (a && Date.parse(a.at) <= Date.parse(b.at) ? a : b), null);
    const seen = journal.changes;
    const woken = () => journal.changes !== seen || isDone() || (whenDrained && carryOn());
    if (!next) {
      await condition(woken);
      continue;
    }
    const waitMs = Math.max(1, Date.parse(next.at) - Date.now());
    const changed = await condition(woken, waitMs);
    if (!changed) next.fire();
  }
  return 'done';
}

/**
 * Reminders of a citizen's deadline, 3 and 1 days before it: each sent once (`sent`
 * records the days already reminded of), none due before the deadline was set.
 */
export function citizenReminders(opts: {
  number: string;
  recipient: string;
  dueAt: string;
  since: string;
  sent: number[];
  /** "answer the information request", "confirm the purchase" */
  what: string;
  commit: (entries: EntryDraft[]) => void;
}): DueTimer[] {
  const { number, recipient, dueAt, since, sent, what, commit } = opts;
  return CITIZEN_REMINDER_DAYS_BEFORE.flatMap((days) => {
    const at = addDays(dueAt, -days);
    if (sent.includes(days) || Date.parse(at) <= Date.parse(since)) return [];
    const fire = () => {
      sent.push(days);
      commit([
        {
          type: 'reminder_sent',
          summary: `Reminder: ${days} day(s) left to ${what}`,
          data: { daysLeft: days, dueAt },
          notify: [{ recipient, type: 'deadline_approaching', title: `${number}: осталось дней: ${days}` }],
        },
      ]);
    };
    return [{ at, fire }];
  });
}
