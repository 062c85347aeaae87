import { patched } from '@temporalio/workflow';
import type { Actor, EntryDraft } from '../../core/case-model';
import {
  addDays,
  computeDeadline,
  type ClockInterval,
  type DeadlineChange,
  type DeadlineClock,
  type DeadlineView,
  type TermUnit,
  type WorkCalendar,
} from '../../core/deadline-clock';
import { actorLabel } from './case-journal';
import type { DueTimer } from './timers';

/** The processing deadline's durable state, part of every reviewable case's state. */
export interface DeadlineState {
  clock: DeadlineClock | null;
  view: DeadlineView | null;
  history: DeadlineChange[];
  warned: boolean;
  breachedAt: string | null;
}

export function newDeadlineState(): DeadlineState {
  return { clock: null, view: null, history: [], warned: false, breachedAt: null };
}

/**
 * Starts, pauses, extends and reads the processing deadline. Every change that moves the
 * expected due date leaves a journal entry with its reason, so the citizen sees why.
 */
export class ProcessingDeadline {
  constructor(
    readonly state: DeadlineState,
    private readonly calendar: WorkCalendar,
  ) {}

  get running(): boolean {
    return this.state.clock !== null && !this.state.view?.paused;
  }

  start(at: string, term: { days: number; unit: TermUnit }): EntryDraft[] {
    if (this.state.clock) return [];
    this.state.clock = { startedAt: at, termDays: term.days, unit: term.unit, intervals: [] };
    return this.recompute(at, 'term_started');
  }

  /** Stops the clock until `resume` (information request, unpaid invoice, cancellation). */
  pause(at: string, reason: string, actor: Actor): EntryDraft[] {
    const clock = this.state.clock;
    if (!clock || clock.intervals.some((i) => i.to === null)) return [];
    clock.intervals.push({ kind: 'pause', from: at, to: null, reason, actor: actorLabel(actor) });
    return this.recompute(at, `paused:${reason}`);
  }

  resume(at: string): EntryDraft[] {
    const open = this.state.clock?.intervals.find((i) => i.to === null);
    if (!open) return [];
    open.to = at;
    return this.recompute(at, `resumed:${open.reason}`);
  }

  /** Gives the reviewer side the days in [from, at] back, e.g. after a re-check. */
  extend(from: string, at: string, reason: string, actor: Actor): EntryDraft[] {
    const clock = this.state.clock;
    if (!clock) return [];
    const interval: ClockInterval = { kind: 'extension', from, to: at, reason, actor: actorLabel(actor) };
    clock.intervals.push(interval);
    return this.recompute(at, `extended:${reason}`);
  }

  /**
   * An administrator's extension: the clock stands for `days` calendar days from today on
   * (today included, as every interval's day; a day it stood anyway counts once). A
   * warning already given comes again before the later date.
   */
  extendBy(at: string, days: number, actor: Actor): EntryDraft[] {
    this.state.clock!.intervals.push({ kind: 'extension', from: at, to: addDays(at, days - 1), reason: 'admin_extension', actor: actorLabel(actor) });
    const moved = this.recompute(at, 'extended:admin_extension');
    if (this.state.warned && Date.parse(this.state.view!.warnAt) > Date.parse(at)) this.state.warned = false;
    return moved;
  }

  breach(at: string): EntryDraft[] {
    this.state.breachedAt = at;
    return [
      {
        type: 'deadline_breached',
        summary: `Processing deadline ${this.state.view?.expectedDue} breached; escalated to the agency supervisor`,
        data: { expectedDue: this.state.view?.expectedDue },
      },
    ];
  }

  warn(): EntryDraft[] {
    this.state.warned = true;
    return [
      {
        type: 'deadline_warning',
        summary: `Processing deadline ${this.state.view?.expectedDue} is approaching`,
        data: { expectedDue: this.state.view?.expectedDue },
      },
    ];
  }

  /** What the read model shows of the clock: due dates, whether it stands, its intervals and moves, the breach. */
  projected() {
    const { view, clock, history, breachedAt } = this.state;
    return view && { legalDue: view.legalDue, expectedDue: view.expectedDue, paused: view.paused, intervals: clock?.intervals ?? [], history, breachedAt };
  }

  /** The next moment the deadline needs attention, if the clock runs. */
  nextTimer(): { at: string; kind: 'warn' | 'breach' } | null {
    const view = this.state.view;
    if (!view || !this.running || this.state.breachedAt) return null;
    return this.state.warned ? { at: view.dueAt, kind: 'breach' } : { at: view.warnAt, kind: 'warn' };
  }

  /**
   * The deadline's next timer. The warning goes to the case's official, or to its team
   * while nobody has it; the breach is escalated to the team's supervisor and (patch
   * `breach-reaches-assignee`) to the official who has the case. `commit` records what fired.
   */
  dueTimer(
    number: string,
    desk: { assignee: string | null; team: string; supervisor: string },
    commit: (entries: EntryDraft[]) => void,
  ): DueTimer | null {
    const next = this.nextTimer();
    if (!next) return null;
    return {
      at: next.at,
      fire: () => {
        const at = new Date().toISOString();
        if (next.kind === 'warn') {
          const entries = this.warn();
          entries[0]!.notify = [{ recipient: desk.assignee ?? desk.team, type: 'deadline_warning', title: `${number}: срок истекает` }];
          return commit(entries);
        }
        const entries = this.breach(at);
        const escalatedTo = desk.assignee && patched('breach-reaches-assignee') ? [desk.supervisor, desk.assignee] : [desk.supervisor];
        entries[0]!.notify = escalatedTo.map((recipient) => ({ recipient, type: 'deadline_breached', title: `${number}: срок нарушен` }));
        commit(entries);
      },
    };
  }

  private recompute(at: string, reason: string): EntryDraft[] {
    const before = this.state.view;
    const view = computeDeadline(this.state.clock!, this.calendar, at);
    this.state.view = view;
    if (before && before.expectedDue === view.expectedDue) return [];
    this.state.history.push({ at, expectedDue: view.expectedDue, reason });
    return [
      {
        type: 'deadline_changed',
        summary: before
          ? `Expected decision date moved from ${before.expectedDue} to ${view.expectedDue} (${reason})`
          : `Decision due by ${view.legalDue}`,
        data: { legalDue: view.legalDue, expectedDue: view.expectedDue, previous: before?.expectedDue ?? null, reason },
      },
    ];
  }
}
