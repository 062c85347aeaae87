import { CancellationScope, condition, isCancellation, patched, sleep } from '@temporalio/workflow';
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
 * A change that leaves the earliest deadline where it was keeps its timer: most actions
 * (a claim, a comment, a document) move no deadline, and cancelling the timer only to start
 * the same one again cost each of them two history events and the server's timer work,
 * on the way to the action's answer. Runs begun before this (patch deadline-timer-kept)
 * started the timer anew after every change.
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
  const keepTimer = patched('deadline-timer-kept');
  let timer: RunningTimer | null = null;
  try {
    while (!isDone()) {
      if (carryOn()) return 'continue_as_new';
      const timers = pending().filter((t): t is DueTimer => t !== null);
      const next = timers.reduce<DueTimer | null>((a, b) => (a && Date.parse(a.at) <= Date.parse(b.at) ? a : b), null);
      const seen = journal.changes;
      const woken = () => journal.changes !== seen || isDone() || (whenDrained && carryOn());
      if (!keepTimer) {
        if (!next) {
          await condition(woken);
          continue;
        }
        const changed = await condition(woken, Math.max(1, Date.parse(next.at) - Date.now()));
        if (!changed) next.fire();
        continue;
      }
      if (timer && timer.at !== next?.at) {
        timer.scope.cancel();
        timer = null;
      }
      if (next && !timer) timer = startTimer(next.at);
      const running = timer;
      await condition(() => woken() || running?.fired === true);
      if (running?.fired) {
        timer = null;
        next!.fire();
      }
    }
    return 'done';
  } finally {
    // The loop is left (the case done, continuing as new, or cancelled): its timer with it.
    timer?.scope.cancel();
  }
}

interface RunningTimer {
  /** The deadline it fires at (ISO instant). */
  at: string;
  scope: CancellationScope;
  fired: boolean;
}

/** A durable timer until `at`, cancelled through its own scope. */
function startTimer(at: string): RunningTimer {
  const scope = new CancellationScope();
  const timer: RunningTimer = { at, scope, fired: false };
  scope.run(() => sleep(Math.max(1, Date.parse(at) - Date.now()))).then(
    () => {
      timer.fired = true;
    },
    (err: unknown) => {
      // Cancelled: the deadline moved, or the loop was left.
      if (!isCancellation(err)) throw err;
    },
  );
  return timer;
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
