/**
 * Appeal against a decision (SPEC §4.3): its own case, started by the contested case as
 * a child, examined by an expert who had no part in the contested decision, with its own
 * examination deadline. Its outcome goes back to the contested case, which acts on it.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  APPEAL_STATUS_LABELS,
  COURT_REMEDY,
  OPEN_APPEAL_STATUSES,
  REMEDIES_BY_GROUND,
  type AppealDecision,
  type AppealGround,
  type AppealOutcome,
  type AppealRemedy,
  type AppealStatus,
  type ContestedDecision,
} from '../core/appeal';
import { APPEAL_WINDOW_DAYS, lastAppealDay } from '../core/appeal-window';
import {
  BY_SYSTEM,
  caseWorkflowId,
  CITIZEN_ANSWER_TERM_DAYS,
  now,
  type ActionMeta,
  type Actor,
  type CaseActionResult,
  type DocumentRef,
  type EntryDraft,
} from '../core/case-model';
import type { CaseProjectionOf } from '../core/case-projection';
import type { TermUnit, WorkCalendar } from '../core/deadline-clock';
import { FailureType } from '../core/failures';
import { APPEALS_DESK } from '../core/inbox-addresses';
import { appealOutcomeAppliedSignal, appealOutcomeSignal } from './appeal-protocol';
import { refuse, type JournalCounters } from './machinery/case-journal';
import { withdrawUpdate } from './machinery/case-status';
import { newDeadlineState, type DeadlineState } from './machinery/processing-deadline';
import type { InfoRequest, Recusal } from './machinery/review-desk';
import { ReviewableCase } from './machinery/reviewable-case';
import { runDeadlines, type DueTimer } from './machinery/timers';

export interface AppealActionResult extends CaseActionResult {
  status: AppealStatus;
  /** Once the appeal is decided or withdrawn: the contested case after it acted on that. */
  contested?: CaseActionResult;
}

export interface AppealDecisionInput {
  outcome: 'upheld' | 'dismissed';
  reasons: string;
  /** Upheld only; defaults to the ground's one remedy where it has one. */
  remedy?: AppealRemedy;
  /** Upheld on wrong_fee: the duty that should have been charged. */
  correctedFee?: number;
}

export const appealRegisteredUpdate = defineUpdate<AppealActionResult, []>('registered');
export const decideAppealUpdate = defineUpdate<AppealActionResult, [AppealDecisionInput, ActionMeta]>('decideAppeal');
export const appealStateQuery = defineQuery<AppealState>('state');

/** What the citizen filed, as the contested case hands it over. */
export interface AppealFiling {
  number: string;
  applicantId: string;
  contested: ContestedDecision;
  ground: AppealGround;
  reasons: string;
  references: string[];
  documents: DocumentRef[];
  calendar: WorkCalendar;
}

export interface AppealState extends AppealFiling {
  status: AppealStatus;
  submittedAt: string;
  assigneeId: string | null;
  infoRequest: InfoRequest | null;
  recused: Recusal[];
  deadline: DeadlineState;
  decision: AppealDecision | null;
  closedAt: string | null;
  closedBy?: Actor;
  journal: JournalCounters;
  /** The outcome waits for the contested case's answer; absent in appeals begun before it did. */
  acknowledgeOutcome?: boolean;
  /** That answer; null when it did not come in time. */
  contestedAfter?: CaseActionResult | null;
}

export interface AppealInput extends AppealFiling {
  examinationTerm: { days: number; unit: TermUnit };
  meta: ActionMeta;
  /** Set by continue-as-new only. */
  resume?: AppealState;
}


export class AppealCase extends ReviewableCase<AppealStatus, AppealState> {
  constructor(s: AppealState) {
    super(
      s,
      { role: 'expert', agency: null, officials: 'appeal experts' },
      {
        what: 'an appeal',
        labels: APPEAL_STATUS_LABELS,
        applicant: 'the appellant',
        inReview: 'in_review',
        awaitingInfo: 'awaiting_info',
        closed: 'closed',
        claimable: ['submitted'],
        assignable: OPEN_APPEAL_STATUSES,
        infoTermDays: () => CITIZEN_ANSWER_TERM_DAYS,
      },
    );
  }

  static file(input: AppealInput): AppealCase {
    const at = now();
    const { examinationTerm: _term, meta: _meta, resume: _resume, ...filing } = input;
    const c = new AppealCase({
      ...filing,
      status: 'submitted',
      submittedAt: at,
      assigneeId: null,
      infoRequest: null,
      // Independence: whoever made the contested decision does not examine it.
      recused: input.contested.officials,
      deadline: newDeadlineState(),
      decision: null,
      closedAt: null,
      journal: { version: 0, seq: 0 },
      acknowledgeOutcome: patched('appeal-outcome-acknowledged'),
    });
    const { contested } = input;
    c.journal.commit(input.meta, at, [
      {
        type: 'submitted',
        summary: `Appeal ${input.number} against ${contested.number} registered: ${contested.summary}`,
        data: { contested: contested.number, ground: input.ground, repeatOf: contested.repeatOf, documents: input.documents.length },
        notify: [
          { recipient: input.applicantId, type: 'submission_confirmed', title: `Жалоба ${input.number} получена` },
          { recipient: APPEALS_DESK, type: 'status_changed', title: `${input.number}: новая жалоба` },
        ],
      },
      ...c.deadline.start(at, input.examinationTerm),
    ]);
    return c;
  }

  /** A decided or withdrawn appeal answers once the contested case has acted on it. */
  protected override settling(): boolean {
    return this.closed && this.s.acknowledgeOutcome === true && this.s.contestedAfter === undefined;
  }

  override async answer(committed?: number): Promise<AppealActionResult> {
    const head = await super.answer(committed);
    return this.s.contestedAfter ? { ...head, contested: this.s.contestedAfter } : head;
  }

  checkWithdraw(meta: ActionMeta): void {
    this.checkApplicant(meta);
    this.requireStatus(OPEN_APPEAL_STATUSES, 'withdrawn');
  }

  doWithdraw(meta: ActionMeta): number {
    const at = now();
    this.s.closedAt = at;
    return this.journal.commit(meta, at, [{ type: 'withdrawn', summary: 'Withdrawn by the appellant' }, ...this.setStatus('withdrawn')]);
  }

  checkDecide(input: AppealDecisionInput, meta: ActionMeta): void {
    this.desk.checkAssignee(meta, this.journal.version);
    this.requireStatus(['in_review'], 'decided');
    if (!input.reasons.trim()) refuse(FailureType.Invalid, 'a decision on an appeal states its reasons');
    const allowed = REMEDIES_BY_GROUND[this.s.ground];
    if (input.outcome === 'dismissed') {
      if (input.remedy || input.correctedFee !== undefined) refuse(FailureType.Invalid, 'a dismissal has no remedy');
      return;
    }
    const remedy = input.remedy ?? (allowed.length === 1 ? allowed[0] : undefined);
    if (!remedy || !allowed.includes(remedy)) {
      refuse(FailureType.Invalid, `an upheld appeal on ${this.s.ground} needs a remedy: one of ${allowed.join(', ')}`);
    }
    if (this.s.ground === 'wrong_fee' && (input.correctedFee === undefined || !Number.isInteger(input.correctedFee) || input.correctedFee < 0)) {
      refuse(FailureType.Invalid, 'an upheld appeal on the fee states the correct fee (whole roubles, 0 or more)');
    }
  }

  doDecide(input: AppealDecisionInput, meta: ActionMeta): number {
    const at = now();
    const upheld = input.outcome === 'upheld';
    const remedy = upheld ? (input.remedy ?? REMEDIES_BY_GROUND[this.s.ground][0]!) : null;
    this.s.decision = {
      outcome: input.outcome,
      remedy,
      correctedFee: upheld && this.s.ground === 'wrong_fee' ? input.correctedFee! : null,
      reasons: input.reasons,
      decidedBy: meta.actor.id,
      decidedAt: at,
    };
    this.s.closedAt = at;
    const contested = this.s.contested.number;
    return this.journal.commit(meta, at, [
      {
        type: input.outcome,
        summary: upheld
          ? `Upheld (${remedy}): the decision on ${contested} is ${remedy === 'reopen' ? 'reviewed anew by a different reviewer' : 'changed'}`
          : `Dismissed. A repeated appeal with new evidence is possible until ${lastAppealDay(at)}; beyond that, the court`,
        data: { remedy, reasons: input.reasons, correctedFee: this.s.decision.correctedFee },
        notify: [{ recipient: this.s.applicantId, type: 'appeal_result', title: `${this.s.number}: ${upheld ? 'жалоба удовлетворена' : 'в жалобе отказано'}` }],
      },
      ...this.setStatus(input.outcome),
    ]);
  }

  // -- timers -------------------------------------------------------------------------

  dueTimers(): Array<DueTimer | null> {
    const s = this.s;
    const commit = (entries: EntryDraft[]) => this.journal.commit(BY_SYSTEM, now(), entries);
    const timers: Array<DueTimer | null> = [];
    if (s.status === 'awaiting_info') {
      // Without the material the expert decides on what the appeal already holds.
      timers.push(
        ...this.desk.infoTimers(commit, () => {
          const at = now();
          this.s.infoRequest = null;
          commit([
            {
              type: 'information_not_provided',
              summary: 'The requested material did not arrive in time; the appeal is examined on what it holds',
              notify: s.assigneeId ? [{ recipient: s.assigneeId, type: 'status_changed', title: `${s.number}: материалы не поступили` }] : undefined,
            },
            ...this.deadline.resume(at),
            ...this.setStatus('in_review'),
          ]);
        }),
      );
    }
    if (OPEN_APPEAL_STATUSES.includes(s.status)) {
      timers.push(this.deadline.dueTimer(s.number, { assignee: s.assigneeId, team: APPEALS_DESK, supervisor: `${APPEALS_DESK}:supervisor` }, commit));
    }
    return timers;
  }

  outcome(): AppealOutcome {
    const d = this.s.decision;
    // Ended by an administrator or a cancellation in Temporal, not by its appellant.
    const closedBy = !d && this.s.status === 'closed' ? this.s.closedBy : undefined;
    return {
      appealNumber: this.s.number,
      ground: this.s.ground,
      ...(closedBy ? { outcome: 'closed', closedBy } : { outcome: d ? d.outcome : 'withdrawn' }),
      remedy: d?.remedy ?? null,
      correctedFee: d?.correctedFee ?? null,
      decidedBy: d?.decidedBy ?? closedBy?.id ?? this.s.applicantId,
      decidedAt: d?.decidedAt ?? this.s.closedAt!,
      ...(this.s.acknowledgeOutcome ? { acknowledge: true } : {}),
    };
  }

  // -- helpers ------------------------------------------------------------------------

  projection(): CaseProjectionOf<'appeal'> {
    const s = this.s;
    const d = s.decision;
    return {
      ...this.commonProjection(),
      kind: 'appeal',
      serviceCode: s.contested.serviceCode,
      // Experts are no agency's reviewers: appeals sit in their own queue.
      agency: null,
      relatedNumber: s.contested.number,
      detail: {
        serviceName: s.contested.serviceName,
        contested: s.contested,
        ground: s.ground,
        reasons: s.reasons,
        references: s.references,
        documents: s.documents,
        repeatOf: s.contested.repeatOf,
        infoRequest: s.infoRequest && { message: s.infoRequest.message, dueAt: s.infoRequest.dueAt },
        deadline: this.deadline.projected(),
        decision: d && {
          ...d,
          ...(d.outcome === 'dismissed'
            ? { repeatAppealUntil: lastAppealDay(d.decidedAt), repeatAppealDays: APPEAL_WINDOW_DAYS, furtherRemedy: COURT_REMEDY }
            : {}),
        },
      },
    };
  }
}

export async function appealWorkflow(input: AppealInput): Promise<AppealActionResult> {
  const c = input.resume ? new AppealCase(input.resume) : AppealCase.file(input);

  setHandler(appealStateQuery, () => c.s);
  setHandler(appealRegisteredUpdate, () => c.answer(1));
  setHandler(withdrawUpdate, c.act((m: ActionMeta) => c.doWithdraw(m)), { validator: (m) => c.checkWithdraw(m) });
  c.serveDesk();
  setHandler(decideAppealUpdate, c.act((i: AppealDecisionInput, m: ActionMeta) => c.doDecide(i, m)), { validator: (i, m) => c.checkDecide(i, m) });
  setHandler(appealOutcomeAppliedSignal, (applied) => {
    c.s.contestedAfter = applied;
  });

  c.startProjector();
  try {
    return await runAppeal(c, input);
  } catch (err) {
    // Once closed, the contested case is told the appeal ended (closed, by whom), so it does
    // not wait for it; no answer is asked for, nobody waits on this one. A contested case
    // that has ended meanwhile has nothing to be told.
    const tell = async () => {
      const { acknowledge: _acknowledge, ...outcome } = c.outcome();
      await getExternalWorkflowHandle(caseWorkflowId(c.s.contested.number)).signal(appealOutcomeSignal, outcome).catch(() => undefined);
    };
    return await c.ended(err, tell);
  }
}

async function runAppeal(c: AppealCase, input: AppealInput): Promise<AppealActionResult> {
  const outcome = await runDeadlines(c.journal, () => c.closed, () => c.dueTimers(), () => workflowInfo().continueAsNewSuggested);
  if (outcome === 'continue_as_new') {
    await c.journal.drained();
    await continueAsNew<typeof appealWorkflow>({ ...input, resume: c.s });
  }
  // The contested case waits for this outcome; it acts on it and journals it.
  await getExternalWorkflowHandle(caseWorkflowId(c.s.contested.number)).signal(appealOutcomeSignal, c.outcome());
  if (c.s.acknowledgeOutcome) {
    // The answer to the expert waits for it; a contested case that is down does not hold it for ever.
    if (!(await condition(() => c.s.contestedAfter !== undefined, '10 minutes'))) c.s.contestedAfter = null;
  }
  await c.journal.drained();
  return { number: c.s.number, status: c.s.status, version: c.journal.version };
}
