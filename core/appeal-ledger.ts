/**
 * The appeals against one case (SPEC §4.3), as pure rules: what each ground would contest
 * and until when, whether an appeal may be filed today, and the chain of appeals filed and
 * ended. The contested case's workflow holds the state and journals what happens.
 */
import {
  APPEAL_GROUNDS,
  type AppealGround,
  type AppealOutcome,
  type AppealRemedy,
  type ContestedDecision,
  type ContestInput,
} from './appeal';
import { APPEAL_WINDOW_DAYS } from './appeal-window';
import { dayOf, dayToDate, startOfDay } from './deadline-clock';
import { FailureType } from './failures';

/** An appeal against the case, open or ended. */
export interface AppealRecord {
  number: string;
  ground: AppealGround;
  filedAt: string;
  documents: string[];
  outcome?: AppealOutcome['outcome'];
  remedy?: AppealRemedy | null;
  decidedAt?: string;
  decidedBy?: string;
}

export interface AppealsState {
  open: AppealRecord | null;
  history: AppealRecord[];
}

/** What the ledger reads of the contested case; the application's state is one. */
export interface ContestedCase {
  number: string;
  status: string;
  service: { code: string; name: string; agency: string };
  submittedAt: string;
  assigneeId: string | null;
  decision: { outcome: 'approved' | 'rejected'; reasonCode: string | null; decidedBy: string; decidedAt: string } | null;
  fee: { amount: number; assessedAt?: string };
  deadline: { breachedAt: string | null; view: { expectedDue: string } | null };
}

/** Why an appeal cannot be filed: the workflow refuses it with this. */
export interface ContestRefusal {
  type: FailureType;
  message: string;
  details?: Record<string, unknown>;
}

export type Contestable = { decision: ContestedDecision; lastDay: number } | { none: string };

export class AppealLedger {
  constructor(
    readonly s: AppealsState,
    private readonly c: ContestedCase,
  ) {}

  /**
   * What an appeal on `ground` would contest, or why there is nothing to contest. After a
   * dismissal the citizen may appeal again: the window then runs from the dismissal.
   */
  contestable(ground: AppealGround): Contestable {
    const c = this.c;
    const d = c.decision;
    let at: string;
    let summary: string;
    let officials: ContestedDecision['officials'];
    const decider = d ? [{ id: d.decidedBy, reason: `they made the contested decision of ${d.decidedAt.slice(0, 10)}` }] : [];
    switch (ground) {
      case 'rejection':
        if (d?.outcome !== 'rejected') return { none: `only a rejection can be appealed on this ground; the application is ${c.status}` };
        [at, summary, officials] = [d.decidedAt, `Rejection: ${d.reasonCode}`, decider];
        break;
      case 'wrong_fee':
        if (c.fee.amount <= 0) return { none: 'no state duty was charged on this application' };
        [at, summary, officials] = [d?.decidedAt ?? c.fee.assessedAt ?? c.submittedAt, `State duty of ${c.fee.amount} RUB`, decider];
        break;
      case 'wrong_service':
        if (!d) return { none: 'the application has no decision yet' };
        [at, summary, officials] = [d.decidedAt, `Decided as service "${c.service.name}"`, decider];
        break;
      case 'deadline_breach':
        if (!c.deadline.breachedAt) return { none: 'the processing deadline of this application has not been breached' };
        at = c.deadline.breachedAt;
        summary = `Processing deadline ${c.deadline.view?.expectedDue} breached`;
        officials = c.assigneeId ? [{ id: c.assigneeId, reason: 'they had the case when its deadline was breached' }] : [];
        break;
    }
    const dismissed = this.s.history.filter((a) => a.ground === ground && a.outcome === 'dismissed' && a.decidedAt! > at).at(-1);
    if (dismissed) {
      // The repeated appeal contests the dismissal too: its expert does not examine it.
      at = dismissed.decidedAt!;
      officials = [...officials, { id: dismissed.decidedBy!, reason: `they dismissed appeal ${dismissed.number}` }];
    }
    const lastDay = dayOf(at) + APPEAL_WINDOW_DAYS;
    return {
      lastDay,
      decision: {
        number: c.number,
        serviceCode: c.service.code,
        serviceName: c.service.name,
        agency: c.service.agency,
        ground,
        summary,
        at,
        appealUntil: dayToDate(lastDay),
        officials,
        repeatOf: dismissed?.number ?? null,
      },
    };
  }

  /** A retried filing of an appeal already recorded is answered, not refused. */
  knows(number: string): boolean {
    return this.s.open?.number === number || this.s.history.some((a) => a.number === number);
  }

  /** Why this appeal may not be filed on civil day `today`, or null when it may. */
  refusal(input: Pick<ContestInput, 'appealNumber' | 'ground' | 'documents'>, today: number): ContestRefusal | null {
    if (this.knows(input.appealNumber)) return null;
    const open = this.s.open;
    if (open) {
      return {
        type: FailureType.InvalidState,
        message: `appeal ${open.number} against this case is still open; wait for its decision or withdraw it`,
        details: { openAppeal: open.number },
      };
    }
    const found = this.contestable(input.ground);
    if ('none' in found) return { type: FailureType.InvalidState, message: found.none };
    if (today > found.lastDay) {
      const closedOn = dayToDate(found.lastDay);
      return { type: FailureType.InvalidState, message: `the period to appeal closed on ${closedOn}`, details: { appealClosedOn: closedOn } };
    }
    const repeatOf = found.decision.repeatOf;
    if (repeatOf) {
      const seen = new Set(this.s.history.filter((a) => a.ground === input.ground).flatMap((a) => a.documents));
      if (!input.documents.some((d) => !seen.has(d.id))) {
        return {
          type: FailureType.Invalid,
          message: `appeal ${repeatOf} on this ground was dismissed; a repeated appeal needs new evidence (a document not filed before)`,
          details: { repeatOf },
        };
      }
    }
    return null;
  }

  /** Records a filed appeal (one `refusal` let through) and returns what it contests. */
  file(input: Pick<ContestInput, 'appealNumber' | 'ground' | 'documents'>, at: string): ContestedDecision {
    const found = this.contestable(input.ground) as { decision: ContestedDecision };
    this.s.open = { number: input.appealNumber, ground: input.ground, filedAt: at, documents: input.documents.map((d) => d.id) };
    return found.decision;
  }

  /** The open appeal ended; false when the outcome is not the open appeal's (a repeat). */
  close(o: AppealOutcome): boolean {
    const open = this.s.open;
    if (open?.number !== o.appealNumber) return false;
    this.s.open = null;
    this.s.history.push({ ...open, outcome: o.outcome, remedy: o.remedy, decidedAt: o.decidedAt, decidedBy: o.decidedBy });
    return true;
  }

  /** Per ground that has something to contest: the last civil day (number) to appeal it. */
  lastDays(): Array<[AppealGround, number]> {
    return APPEAL_GROUNDS.flatMap((ground) => {
      const found = this.contestable(ground);
      return 'lastDay' in found ? [[ground, found.lastDay] as [AppealGround, number]] : [];
    });
  }

  /** The last instant any appeal can still be filed, or null if nothing is appealable. */
  windowEnd(): number | null {
    const days = this.lastDays().map(([, day]) => day);
    return days.length ? Date.parse(startOfDay(Math.max(...days) + 1)) : null;
  }

  /** An appeal is open or can still be filed at `at` (ms). */
  appealable(at: number): boolean {
    if (this.s.open) return true;
    const end = this.windowEnd();
    return end !== null && at < end;
  }

  /** The read model's `appeals`. */
  view() {
    const { open, history } = this.s;
    const lastDays = Object.fromEntries(this.lastDays().map(([ground, day]) => [ground, dayToDate(day)]));
    return { underAppeal: open?.number ?? null, open, history, lastDays };
  }
}
