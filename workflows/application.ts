/**
 * Application for a catalogue service (SPEC §4.1): one workflow per case, from filing
 * to result, with every deadline a durable timer.
 */
import {
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, IssuedResult } from '../activities';
import {
  CANCELLABLE_STATUSES,
  DEFAULT_INFO_TERM_DAYS,
  EDITABLE_STATUSES,
  FINAL_STATUSES,
  RESTORE_WINDOW_DAYS,
  type ApplicationStatus,
  type RejectionReason,
} from '../core/application';
import { APPEAL_GROUNDS, type AppealGround, type AppealOutcome, type AppealRemedy, type ContestedDecision, type ContestInput } from '../core/appeal';
import { APPEAL_WINDOW_DAYS, lastAppealDay } from '../core/appeal-window';
import { caseWorkflowId, type ActionMeta, type Actor, type CaseActionResult, type CaseProjectionOf, type DocumentRef } from '../core/case-model';
import { computeFee, type ServiceDefinition } from '../core/catalogue';
import { addDays, dayOf, dayToDate, startOfDay, type ClockInterval, type TermUnit, type WorkCalendar } from '../core/deadline-clock';
import { FailureType } from '../core/failures';
import type { appealWorkflow } from './appeal';
import { appealOutcomeAppliedSignal, appealOutcomeSignal } from './appeal-protocol';
import { refuse, type EntryDraft, type JournalCounters } from './machinery/case-journal';
import { newDeadlineState, type DeadlineChange, type DeadlineState } from './machinery/processing-deadline';
import { decideUpdate, type DecideInput, type InfoRequest, type Recusal } from './machinery/review-desk';
import { ReviewableCase } from './machinery/reviewable-case';
import { CaseSearchAttributes } from './machinery/search-attributes';
import { runDeadlines, type DueTimer } from './machinery/timers';

// ---- messages -------------------------------------------------------------------

export interface ActionResult extends CaseActionResult {
  status: ApplicationStatus;
}

export interface EditInput {
  form: Record<string, unknown>;
  documents: DocumentRef[];
}
export interface PaymentInput {
  invoiceId: string;
  amount: number;
  transactionId: string;
  paidAt: string;
}

/** Waits until the case's first projection is written; used with update-with-start. */
export const registeredUpdate = defineUpdate<ActionResult, []>('registered');
export const editUpdate = defineUpdate<ActionResult, [EditInput, ActionMeta]>('edit');
export const cancelUpdate = defineUpdate<ActionResult, [ActionMeta]>('cancel');
export const restoreUpdate = defineUpdate<ActionResult, [ActionMeta]>('restore');
/** The citizen appeals a decision of this case; the case starts the appeal as its child. */
export const contestUpdate = defineUpdate<ActionResult, [ContestInput, ActionMeta]>('contest');
export const paymentSignal = defineSignal<[PaymentInput]>('paymentReceived');
export const stateQuery = defineQuery<ApplicationState>('state');

// ---- state ----------------------------------------------------------------------

export interface Invoice {
  id: string;
  amount: number;
  issuedAt: string;
  dueAt: string;
}

export interface Decision {
  outcome: 'approved' | 'rejected';
  reasonCode: RejectionReason | null;
  comment: string;
  decidedBy: string;
  decidedAt: string;
}

/** An appeal against this case, open or ended. */
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

export interface ApplicationState {
  number: string;
  service: ServiceDefinition;
  calendar: WorkCalendar;
  applicantId: string;
  status: ApplicationStatus;
  submittedAt: string;
  form: Record<string, unknown>;
  documents: DocumentRef[];
  /** Total duty for the current form, and what has been paid towards it. */
  fee: { amount: number; paid: number; invoice: Invoice | null; invoices: number; transactions: string[]; assessedAt?: string };
  assigneeId: string | null;
  deadline: DeadlineState;
  infoRequest: InfoRequest | null;
  decision: Decision | null;
  result: IssuedResult | null;
  /** Reviewers who may not review this case again (their decision was overturned). */
  recused?: Recusal[];
  /** Appeals against this case; absent in cases started before appeals existed. */
  appeals?: { open: AppealRecord | null; history: AppealRecord[] };
  /** Decisions overturned on appeal, with the result they had produced. */
  previousDecisions?: Array<Decision & { result: IssuedResult | null; overturnedBy: string }>;
  cancellation: { at: string; restoreUntil: string; previousStatus: ApplicationStatus } | null;
  resentFrom: string | null;
  closedAt: string | null;
  journal: JournalCounters;
}

/** The read model's detail of an application: what the citizen and the reviewer see. */
export interface ApplicationDetail {
  serviceName: string;
  form: Record<string, unknown>;
  documents: DocumentRef[];
  fee: { amount: number; paid: number; invoice: Invoice | null };
  deadline: {
    legalDue: string;
    expectedDue: string;
    paused: boolean;
    unit?: TermUnit;
    termDays?: number;
    intervals: ClockInterval[];
    history: DeadlineChange[];
    breachedAt: string | null;
    appealUntil: string | null;
  } | null;
  infoRequest: { message: string; dueAt: string } | null;
  decision: (Decision & { appealUntil: string }) | null;
  result: IssuedResult | null;
  cancellation: { at: string; restoreUntil: string } | null;
  partialEditAllowed: boolean;
  appeals: {
    /** The open appeal's number. */
    underAppeal: string | null;
    open: AppealRecord | null;
    history: AppealRecord[];
    /** The last day to appeal, per ground (YYYY-MM-DD). */
    lastDays: Partial<Record<AppealGround, string>>;
  };
  previousDecisions: Array<Decision & { result: IssuedResult | null; overturnedBy: string }>;
}

export interface ApplicationInput {
  number: string;
  service: ServiceDefinition;
  calendar: WorkCalendar;
  applicantId: string;
  form: Record<string, unknown>;
  documents: DocumentRef[];
  resentFrom?: string;
  meta: ActionMeta;
  /** Set by continue-as-new only. */
  resume?: ApplicationState;
}

const { issueApplicationResult } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const now = (): string => new Date().toISOString();

// ---- the case -------------------------------------------------------------------

const SYSTEM = { actor: { id: 'system', role: 'system' as const } };
/** No processing deadline runs: decided (approved awaits only its result) or ended. */
const CLOSED_STATUSES: readonly ApplicationStatus[] = ['approved', ...FINAL_STATUSES];

/**
 * Rules of the application case. `check*` methods are update validators: they throw
 * a refusal and change nothing. `do*` methods change state and commit one version.
 */
export class ApplicationCase extends ReviewableCase<ApplicationStatus, ApplicationState> {
  constructor(s: ApplicationState) {
    super(
      s,
      { role: 'reviewer', agency: s.service.agency, officials: `reviewers of ${s.service.agency}` },
      {
        what: 'an application',
        applicant: 'the applicant',
        inReview: 'in_review',
        awaitingInfo: 'awaiting_info',
        claimable: ['submitted', 'resubmitted', 'reopened'],
        assignable: ['submitted', 'resubmitted', 'reopened', 'in_review', 'awaiting_info'],
        infoTermDays: () => s.service.infoTermDays ?? DEFAULT_INFO_TERM_DAYS,
      },
    );
  }

  static file(input: ApplicationInput): ApplicationCase {
    const at = now();
    const amount = computeFee(input.service.fee, input.form);
    const c = new ApplicationCase({
      number: input.number,
      service: input.service,
      calendar: input.calendar,
      applicantId: input.applicantId,
      status: 'submitted',
      submittedAt: at,
      form: input.form,
      documents: input.documents,
      fee: { amount, paid: 0, invoice: null, invoices: 0, transactions: [] },
      assigneeId: null,
      deadline: newDeadlineState(),
      infoRequest: null,
      decision: null,
      result: null,
      cancellation: null,
      resentFrom: input.resentFrom ?? null,
      closedAt: null,
      journal: { version: 0, seq: 0 },
    });
    const entries: EntryDraft[] = [
      {
        type: 'submitted',
        summary: `Application ${input.number} for "${input.service.name}" registered`,
        data: { serviceCode: input.service.code, documents: input.documents.length, resentFrom: input.resentFrom ?? null },
        notify: [{ recipient: input.applicantId, type: 'submission_confirmed', title: `Заявление ${input.number} получено` }],
      },
    ];
    entries.push(...(amount > 0 ? c.invoiceFor(amount, at) : c.deadline.start(at, input.service.term)));
    c.journal.commit(input.meta, at, entries);
    return c;
  }

  // -- citizen ----------------------------------------------------------------------

  checkEdit(input: EditInput, meta: ActionMeta): void {
    this.checkApplicant(meta);
    this.requireStatus(EDITABLE_STATUSES, 'edited');
    if (!this.s.service.partialEditAllowed) {
      refuse(FailureType.InvalidState, `service ${this.s.service.code} does not allow editing; cancel and file anew`);
    }
    if (input.documents.length === 0 && this.s.service.requiredDocuments.length > 0) {
      refuse(FailureType.Invalid, 'the edited application must keep its documents');
    }
  }

  doEdit(input: EditInput, meta: ActionMeta): number {
    const at = now();
    const entries: EntryDraft[] = [
      { type: 'edited', summary: 'The applicant edited the application; it will be checked again' },
    ];
    this.s.form = input.form;
    this.s.documents = input.documents;
    entries.push(...this.deadline.extend(this.s.deadline.clock?.startedAt ?? at, at, 'resubmitted', meta.actor));
    const amount = computeFee(this.s.service.fee, input.form);
    if (amount !== this.s.fee.amount) {
      this.s.fee.amount = amount;
      entries.push({ type: 'fee_changed', summary: `State duty recalculated: ${amount} RUB`, data: { amount } });
    }
    entries.push(...this.rebill(at, meta.actor, 'resubmitted'));
    return this.journal.commit(meta, at, entries);
  }

  checkCancel(meta: ActionMeta): void {
    this.checkApplicant(meta);
    this.requireStatus(CANCELLABLE_STATUSES, 'cancelled');
  }

  doCancel(meta: ActionMeta): number {
    const at = now();
    this.s.cancellation = { at, restoreUntil: addDays(at, RESTORE_WINDOW_DAYS), previousStatus: this.s.status };
    const entries = [
      ...this.deadline.pause(at, 'cancelled', meta.actor),
      ...this.setStatus('cancelled'),
      {
        type: 'cancelled',
        summary: `Withdrawn by the applicant; can be restored until ${this.s.cancellation.restoreUntil.slice(0, 10)}`,
      },
    ];
    return this.journal.commit(meta, at, entries);
  }

  checkRestore(meta: ActionMeta): void {
    this.checkApplicant(meta);
    if (this.s.status !== 'cancelled' || !this.s.cancellation) {
      refuse(FailureType.InvalidState, `only a cancelled application can be restored; it is ${this.s.status}`);
    }
    if (Date.parse(this.s.cancellation.restoreUntil) <= Date.now()) {
      refuse(FailureType.InvalidState, `the restore window closed on ${this.s.cancellation.restoreUntil}`);
    }
  }

  doRestore(meta: ActionMeta): number {
    const at = now();
    const { previousStatus, at: cancelledAt } = this.s.cancellation!;
    this.s.cancellation = null;
    // The citizen's own deadlines do not run while the case is withdrawn.
    const gone = Date.parse(at) - Date.parse(cancelledAt);
    const shift = (iso: string) => new Date(Date.parse(iso) + gone).toISOString();
    if (this.s.infoRequest) this.s.infoRequest.dueAt = shift(this.s.infoRequest.dueAt);
    if (this.s.fee.invoice) this.s.fee.invoice.dueAt = shift(this.s.fee.invoice.dueAt);
    const entries: EntryDraft[] = [{ type: 'restored', summary: 'Restored by the applicant' }];
    entries.push(...this.deadline.resume(at));
    // An earlier pause (information request, payment) was open when cancelled: reopen it.
    if (previousStatus === 'awaiting_info') entries.push(...this.deadline.pause(at, 'information_request', meta.actor));
    if (previousStatus === 'awaiting_payment') entries.push(...this.deadline.pause(at, 'payment', meta.actor));
    entries.push(...this.setStatus(previousStatus));
    return this.journal.commit(meta, at, entries);
  }

  // -- appeals (SPEC §4.3) --------------------------------------------------------------

  private get appeals(): NonNullable<ApplicationState['appeals']> {
    this.s.appeals ??= { open: null, history: [] };
    return this.s.appeals;
  }

  /**
   * What an appeal on `ground` would contest, or why there is nothing to contest. After a
   * dismissal the citizen may appeal again: the window then runs from the dismissal.
   */
  contestable(ground: AppealGround): { decision: ContestedDecision; lastDay: number } | { none: string } {
    const s = this.s;
    const d = s.decision;
    let at: string | null = null;
    let summary = '';
    let officials: ContestedDecision['officials'] = [];
    const decider = d ? [{ id: d.decidedBy, reason: `they made the contested decision of ${d.decidedAt.slice(0, 10)}` }] : [];
    switch (ground) {
      case 'rejection':
        if (d?.outcome !== 'rejected') return { none: `only a rejection can be appealed on this ground; the application is ${s.status}` };
        [at, summary, officials] = [d.decidedAt, `Rejection: ${d.reasonCode}`, decider];
        break;
      case 'wrong_fee':
        if (s.fee.amount <= 0) return { none: 'no state duty was charged on this application' };
        [at, summary, officials] = [d?.decidedAt ?? s.fee.assessedAt ?? s.submittedAt, `State duty of ${s.fee.amount} RUB`, decider];
        break;
      case 'wrong_service':
        if (!d) return { none: 'the application has no decision yet' };
        [at, summary, officials] = [d.decidedAt, `Decided as service "${s.service.name}"`, decider];
        break;
      case 'deadline_breach':
        if (!s.deadline.breachedAt) return { none: 'the processing deadline of this application has not been breached' };
        at = s.deadline.breachedAt;
        summary = `Processing deadline ${s.deadline.view?.expectedDue} breached`;
        officials = s.assigneeId ? [{ id: s.assigneeId, reason: 'they had the case when its deadline was breached' }] : [];
        break;
    }
    const dismissed = this.appeals.history.filter((a) => a.ground === ground && a.outcome === 'dismissed' && a.decidedAt! > at!).at(-1);
    if (dismissed) {
      // The repeated appeal contests the dismissal too: its expert does not examine it.
      at = dismissed.decidedAt!;
      officials = [...officials, { id: dismissed.decidedBy!, reason: `they dismissed appeal ${dismissed.number}` }];
    }
    const lastDay = dayOf(at) + APPEAL_WINDOW_DAYS;
    return {
      lastDay,
      decision: {
        number: s.number,
        serviceCode: s.service.code,
        serviceName: s.service.name,
        agency: s.service.agency,
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
  knowsAppeal(number: string): boolean {
    return this.appeals.open?.number === number || this.appeals.history.some((a) => a.number === number);
  }

  checkContest(input: ContestInput, meta: ActionMeta): void {
    this.checkApplicant(meta);
    if (this.knowsAppeal(input.appealNumber)) return;
    const open = this.appeals.open;
    if (open) {
      refuse(FailureType.InvalidState, `appeal ${open.number} against this case is still open; wait for its decision or withdraw it`, {
        openAppeal: open.number,
      });
    }
    const found = this.contestable(input.ground);
    if ('none' in found) refuse(FailureType.InvalidState, found.none);
    if (dayOf(now()) > found.lastDay) {
      refuse(FailureType.InvalidState, `the period to appeal closed on ${dayToDate(found.lastDay)}`, {
        appealClosedOn: dayToDate(found.lastDay),
      });
    }
    const repeatOf = found.decision.repeatOf;
    if (repeatOf) {
      const seen = new Set(this.appeals.history.filter((a) => a.ground === input.ground).flatMap((a) => a.documents));
      if (!input.documents.some((d) => !seen.has(d.id))) {
        refuse(FailureType.Invalid, `appeal ${repeatOf} on this ground was dismissed; a repeated appeal needs new evidence (a document not filed before)`, {
          repeatOf,
        });
      }
    }
  }

  /** Records the appeal and returns what its workflow needs; the caller starts it. */
  doContest(input: ContestInput, meta: ActionMeta): { version: number; contested: ContestedDecision } {
    const at = now();
    const found = this.contestable(input.ground) as { decision: ContestedDecision };
    this.appeals.open = { number: input.appealNumber, ground: input.ground, filedAt: at, documents: input.documents.map((d) => d.id) };
    const version = this.journal.commit(meta, at, [
      {
        type: 'appeal_filed',
        summary: `Appeal ${input.appealNumber} filed (${input.ground})${found.decision.repeatOf ? `, repeating ${found.decision.repeatOf}` : ''}`,
        data: { appeal: input.appealNumber, ground: input.ground, repeatOf: found.decision.repeatOf },
      },
    ]);
    return { version, contested: found.decision };
  }

  /**
   * The appeal ended. Upheld appeals act on this case; the outcome is applied once, and
   * the appeal is told what came of it when it asks.
   */
  async onAppealOutcome(o: AppealOutcome): Promise<void> {
    this.applyAppealOutcome(o);
    if (!o.acknowledge) return;
    const applied = await this.journal.settled();
    await getExternalWorkflowHandle(caseWorkflowId(o.appealNumber)).signal(appealOutcomeAppliedSignal, applied);
  }

  private applyAppealOutcome(o: AppealOutcome): void {
    const open = this.appeals.open;
    if (open?.number !== o.appealNumber) return;
    const at = now();
    this.appeals.open = null;
    this.appeals.history.push({ ...open, outcome: o.outcome, remedy: o.remedy, decidedAt: o.decidedAt, decidedBy: o.decidedBy });
    const actor: Actor = o.outcome === 'withdrawn' ? { id: this.s.applicantId, role: 'citizen' } : { id: o.decidedBy, role: 'expert' };
    const entries: EntryDraft[] = [
      {
        type: `appeal_${o.outcome}`,
        summary: `Appeal ${o.appealNumber} ${o.outcome}${o.remedy ? ` (${o.remedy})` : ''}`,
        data: { appeal: o.appealNumber, ground: o.ground, remedy: o.remedy, correctedFee: o.correctedFee },
      },
    ];
    if (o.outcome === 'upheld') entries.push(...this.remedy(o, at, actor));
    this.journal.commit({ actor }, at, entries);
  }

  private remedy(o: AppealOutcome, at: string, actor: Actor): EntryDraft[] {
    const s = this.s;
    switch (o.remedy) {
      case 'reopen':
        return this.reopen(o.appealNumber, at);
      case 'replace':
        if (o.ground === 'wrong_fee') return this.correctFee(o.correctedFee ?? s.fee.amount, at, actor);
        this.overturn(o.appealNumber);
        s.decision = { outcome: 'approved', reasonCode: null, comment: `Decision replaced on appeal ${o.appealNumber}`, decidedBy: o.decidedBy, decidedAt: at };
        return [{ type: 'approved', summary: `Approved on appeal ${o.appealNumber}`, data: { appeal: o.appealNumber } }, ...this.setStatus('approved')];
      case 'expedite':
        return this.expedite(o.appealNumber);
      default:
        return [];
    }
  }

  /** The decision stands no more: its maker may not decide again, its result is void. */
  private overturn(appeal: string): void {
    const s = this.s;
    if (s.decision) {
      this.desk.recuse({ id: s.decision.decidedBy, reason: `their decision was overturned on appeal ${appeal}` });
      s.previousDecisions = [...(s.previousDecisions ?? []), { ...s.decision, result: s.result, overturnedBy: appeal }];
    }
    s.decision = null;
    s.result = null;
    s.closedAt = null;
  }

  private reopen(appeal: string, at: string): EntryDraft[] {
    this.overturn(appeal);
    this.desk.release();
    this.s.infoRequest = null;
    // A new review gets the service's full term from today.
    Object.assign(this.s.deadline, newDeadlineState());
    return [
      { type: 'reopened', summary: `Reopened on appeal ${appeal}: a different reviewer reviews the application anew`, data: { appeal } },
      ...this.deadline.start(at, this.s.service.term),
      ...this.setStatus('reopened'),
    ];
  }

  private correctFee(amount: number, at: string, actor: Actor): EntryDraft[] {
    const s = this.s;
    s.fee.amount = amount;
    const entries: EntryDraft[] = [{ type: 'fee_changed', summary: `State duty corrected on appeal: ${amount} RUB`, data: { amount } }];
    const overpaid = s.fee.paid - amount;
    if (overpaid > 0) {
      s.fee.paid = amount;
      entries.push({ type: 'refund_ordered', summary: `${overpaid} RUB overpaid; refund ordered`, data: { amount: overpaid } });
    }
    if (s.status === 'awaiting_payment') entries.push(...this.rebill(at, actor, s.deadline.clock ? 'resubmitted' : 'submitted'));
    return entries;
  }

  /** A late case leaves the reviewer who let its deadline pass. */
  private expedite(appeal: string): EntryDraft[] {
    const s = this.s;
    if (this.closed || s.decision) {
      return [{ type: 'breach_acknowledged', summary: `The breach of the processing deadline was acknowledged on appeal ${appeal}` }];
    }
    const late = s.assigneeId;
    if (late) this.desk.recuse({ id: late, reason: `they let the processing deadline pass (appeal ${appeal})` });
    this.desk.release();
    return [
      {
        type: 'expedited',
        summary: `On appeal ${appeal} the case goes to a different reviewer without delay`,
        data: { appeal, previousAssignee: late },
        notify: [{ recipient: `agency:${s.service.agency}:supervisor`, type: 'status_changed', title: `${s.number}: жалоба на нарушение срока удовлетворена` }],
      },
      ...(s.status === 'in_review' ? this.setStatus('reopened') : []),
    ];
  }

  /** Per ground that has something to contest: the last civil day (number) to appeal it. */
  private lastAppealDays(): Array<[AppealGround, number]> {
    return APPEAL_GROUNDS.flatMap((ground) => {
      const found = this.contestable(ground);
      return 'lastDay' in found ? [[ground, found.lastDay] as [AppealGround, number]] : [];
    });
  }

  /** The last instant any appeal can still be filed, or null if nothing is appealable. */
  appealWindowEnd(): number | null {
    const days = this.lastAppealDays().map(([, day]) => day);
    return days.length ? Date.parse(startOfDay(Math.max(...days) + 1)) : null;
  }

  /** While an appeal is open or can still be filed, the case's workflow stays to answer it. */
  appealable(): boolean {
    if (this.appeals.open) return true;
    const end = this.appealWindowEnd();
    return end !== null && Date.now() < end;
  }

  /** An approved application owes its result: actions answer once it is issued. */
  protected override settling(): boolean {
    return this.s.status === 'approved';
  }

  // -- reviewer ---------------------------------------------------------------------

  override checkClaim(meta: ActionMeta): void {
    // A case taken from its late reviewer (on appeal) waits in review for another one.
    if (this.s.status === 'in_review' && this.s.assigneeId === null) this.desk.checkClaim(meta, this.journal.version);
    else super.checkClaim(meta);
  }

  checkDecide(input: DecideInput, meta: ActionMeta): void {
    this.desk.checkAssignee(meta, this.journal.version);
    this.requireStatus(['in_review'], 'decided');
    this.desk.checkDecide(input, meta, this.journal.version);
  }

  doDecide(input: DecideInput, meta: ActionMeta): number {
    const at = now();
    const outcome = input.outcome === 'approve' ? 'approved' : 'rejected';
    this.s.decision = {
      outcome,
      reasonCode: input.outcome === 'reject' ? input.reasonCode! : null,
      comment: input.comment,
      decidedBy: meta.actor.id,
      decidedAt: at,
    };
    const entries: EntryDraft[] = [
      {
        type: outcome,
        summary: outcome === 'approved' ? 'Approved' : `Rejected: ${input.reasonCode}`,
        data: { reasonCode: this.s.decision.reasonCode, comment: input.comment },
      },
      ...this.setStatus(outcome),
    ];
    if (outcome === 'rejected') this.s.closedAt = at;
    return this.journal.commit(meta, at, entries);
  }

  // -- callbacks and timers ------------------------------------------------------------

  onPayment(p: PaymentInput): void {
    const at = now();
    const gateway = { actor: { id: 'payment-gateway', role: 'payment_gateway' as const } };
    if (this.s.fee.transactions.includes(p.transactionId)) return;
    const invoice = this.s.fee.invoice;
    if (!invoice || invoice.id !== p.invoiceId || p.amount !== invoice.amount || this.s.status !== 'awaiting_payment') {
      this.s.fee.transactions.push(p.transactionId);
      this.journal.commit(gateway, at, [
        {
          type: 'payment_not_applied',
          summary: `Payment ${p.transactionId} does not match an open invoice; to be refunded`,
          data: { invoiceId: p.invoiceId, amount: p.amount },
        },
      ]);
      return;
    }
    this.s.fee.transactions.push(p.transactionId);
    this.s.fee.paid += p.amount;
    this.s.fee.invoice = null;
    const edited = this.s.deadline.clock !== null;
    const entries: EntryDraft[] = [
      { type: 'paid', summary: `Invoice ${p.invoiceId} paid: ${p.amount} RUB`, data: { invoiceId: p.invoiceId, amount: p.amount } },
      ...(edited ? this.deadline.resume(at) : this.deadline.start(at, this.s.service.term)),
      ...this.setStatus(edited ? 'resubmitted' : 'submitted'),
    ];
    this.journal.commit(gateway, at, entries);
  }

  dueTimers(): Array<DueTimer | null> {
    const s = this.s;
    if (this.closed) {
      // Decided: the only thing left to wait for is the end of the appeal period.
      const end = this.appealWindowEnd();
      if (end === null || this.appeals.open) return [];
      return [
        {
          at: new Date(end).toISOString(),
          fire: () => this.journal.commit(SYSTEM, now(), [{ type: 'appeal_period_ended', summary: 'The period to appeal this case ended' }]),
        },
      ];
    }
    const timers: Array<DueTimer | null> = [];
    if (s.status === 'awaiting_payment' && s.fee.invoice) {
      timers.push({ at: s.fee.invoice.dueAt, fire: () => this.expire('payment_overdue', 'The invoice was not paid in time') });
    }
    if (s.status === 'awaiting_info') {
      timers.push(
        ...this.desk.infoTimers(
          (entries) => this.journal.commit(SYSTEM, now(), entries),
          () => this.expire('no_answer', 'The applicant did not answer in time'),
        ),
      );
    }
    if (!CLOSED_STATUSES.includes(s.status)) {
      const agency = s.service.agency;
      timers.push(
        this.deadline.dueTimer(s.number, { warn: s.assigneeId ?? `agency:${agency}`, breach: `agency:${agency}:supervisor` }, (entries) =>
          this.journal.commit(SYSTEM, now(), entries),
        ),
      );
    }
    if (s.status === 'cancelled' && s.cancellation) {
      timers.push({
        at: s.cancellation.restoreUntil,
        fire: () => {
          s.closedAt = now();
          this.journal.commit(SYSTEM, s.closedAt, [{ type: 'closed', summary: 'The restore window ended' }]);
        },
      });
    }
    return timers;
  }

  async issueResult(): Promise<void> {
    const result = await issueApplicationResult({
      number: this.s.number,
      serviceCode: this.s.service.code,
      serviceName: this.s.service.name,
      applicantId: this.s.applicantId,
      resultType: this.s.service.resultType,
      decidedAt: this.s.decision!.decidedAt,
    });
    const at = now();
    this.s.result = result;
    this.s.closedAt = at;
    this.journal.commit(SYSTEM, at, [
      { type: 'result_issued', summary: `Result issued, verification code ${result.verificationCode}`, data: { ...result } },
      ...this.setStatus('completed'),
    ]);
  }

  // -- helpers ----------------------------------------------------------------------

  private expire(reason: string, summary: string): void {
    const at = now();
    this.s.closedAt = at;
    this.journal.commit(SYSTEM, at, [{ type: 'expired', summary, data: { reason } }, ...this.setStatus('expired')]);
  }

  /**
   * After the duty changed: bill what is still owed, or, when nothing is, let the case
   * go on as `settled`.
   */
  private rebill(at: string, actor: Actor, settled: ApplicationStatus): EntryDraft[] {
    const owed = this.s.fee.amount - this.s.fee.paid;
    if (owed > 0 && this.s.fee.invoice?.amount !== owed) {
      return [...this.invoiceFor(owed, at), ...this.deadline.pause(at, 'payment', actor)];
    }
    if (owed > 0) return this.setStatus('awaiting_payment');
    this.s.fee.invoice = null;
    const entries: EntryDraft[] = [];
    // Nothing is owed any more: a clock that waited for a payment runs (again).
    // Cases that edited their way here before this fix keep their old course on replay.
    if (patched('edit-settling-fee-runs-clock')) {
      entries.push(...(this.s.deadline.clock ? this.deadline.resume(at) : this.deadline.start(at, this.s.service.term)));
    }
    return [...entries, ...this.setStatus(settled)];
  }

  private invoiceFor(amount: number, at: string): EntryDraft[] {
    const invoice: Invoice = {
      id: `${this.s.number}-F${++this.s.fee.invoices}`,
      amount,
      issuedAt: at,
      dueAt: addDays(at, this.s.service.paymentTermDays),
    };
    this.s.fee.invoice = invoice;
    this.s.fee.assessedAt = at;
    return [
      {
        type: 'invoice_issued',
        summary: `Invoice ${invoice.id} for ${amount} RUB, due by ${invoice.dueAt.slice(0, 10)}`,
        data: { invoiceId: invoice.id, amount, dueAt: invoice.dueAt },
      },
      ...this.setStatus('awaiting_payment'),
    ];
  }

  private appealView() {
    const { open, history } = this.appeals;
    const lastDays = Object.fromEntries(this.lastAppealDays().map(([ground, day]) => [ground, dayToDate(day)]));
    return { underAppeal: open?.number ?? null, open, history, lastDays };
  }

  projection(): CaseProjectionOf<'application'> {
    const s = this.s;
    const view = s.deadline.view;
    return {
      ...this.commonProjection(),
      kind: 'application',
      serviceCode: s.service.code,
      agency: s.service.agency,
      relatedNumber: s.resentFrom,
      detail: {
        serviceName: s.service.name,
        form: s.form,
        documents: s.documents,
        fee: { amount: s.fee.amount, paid: s.fee.paid, invoice: s.fee.invoice },
        deadline: view && {
          legalDue: view.legalDue,
          expectedDue: view.expectedDue,
          paused: view.paused,
          unit: s.deadline.clock?.unit,
          termDays: s.deadline.clock?.termDays,
          intervals: s.deadline.clock?.intervals ?? [],
          history: s.deadline.history,
          breachedAt: s.deadline.breachedAt,
          appealUntil: s.deadline.breachedAt && lastAppealDay(s.deadline.breachedAt),
        },
        infoRequest: s.infoRequest && { message: s.infoRequest.message, dueAt: s.infoRequest.dueAt },
        // The citizen learns of a decision when it is made (in-app notice): the window runs from then.
        decision: s.decision && { ...s.decision, appealUntil: lastAppealDay(s.decision.decidedAt) },
        result: s.result,
        cancellation: s.cancellation && { at: s.cancellation.at, restoreUntil: s.cancellation.restoreUntil },
        partialEditAllowed: s.service.partialEditAllowed,
        appeals: this.appealView(),
        previousDecisions: s.previousDecisions ?? [],
      },
    };
  }
}

// ---- the workflow ---------------------------------------------------------------

export async function applicationWorkflow(input: ApplicationInput): Promise<ActionResult> {
  const c = input.resume ? new ApplicationCase(input.resume) : ApplicationCase.file(input);

  setHandler(stateQuery, () => c.s);
  setHandler(registeredUpdate, () => c.answer(1));
  setHandler(paymentSignal, (p) => c.onPayment(p));
  setHandler(editUpdate, c.act((i: EditInput, m: ActionMeta) => c.doEdit(i, m)), { validator: (i, m) => c.checkEdit(i, m) });
  setHandler(cancelUpdate, c.act((m: ActionMeta) => c.doCancel(m)), { validator: (m) => c.checkCancel(m) });
  setHandler(restoreUpdate, c.act((m: ActionMeta) => c.doRestore(m)), { validator: (m) => c.checkRestore(m) });
  c.serveDesk();
  setHandler(decideUpdate, c.act((i: DecideInput, m: ActionMeta) => c.doDecide(i, m)), { validator: (i, m) => c.checkDecide(i, m) });
  setHandler(appealOutcomeSignal, (o) => c.onAppealOutcome(o));
  setHandler(
    contestUpdate,
    async (i, m) => {
      if (c.knowsAppeal(i.appealNumber)) return c.answer();
      const { version, contested } = c.doContest(i, m);
      await startAppeal(c, i, m, contested);
      return c.answer(version);
    },
    { validator: (i, m) => c.checkContest(i, m) },
  );

  void c.journal.runProjector();

  const continueAsNewSuggested = () => workflowInfo().continueAsNewSuggested;
  const carryOn = async () => {
    await c.journal.drained();
    return continueAsNew<typeof applicationWorkflow>({ ...input, resume: c.s });
  };
  for (;;) {
    const outcome = await runDeadlines(c.journal, () => c.closed || c.s.status === 'approved', () => c.dueTimers(), continueAsNewSuggested);
    if (outcome === 'continue_as_new') await carryOn();
    if (c.s.status === 'approved') await c.issueResult();
    // Decided cases stay to answer appeals; cases decided before appeals existed end here.
    if (!patched('appeal-window') || !c.appealable()) break;
    const after = await runDeadlines(c.journal, () => !c.closed || !c.appealable(), () => c.dueTimers(), continueAsNewSuggested);
    if (after === 'continue_as_new') await carryOn();
    // An upheld appeal reopened the case or replaced its decision: back to work.
    if (c.closed) break;
  }
  await c.journal.drained();
  return { number: c.s.number, status: c.s.status, version: c.journal.version };
}

/** The appeal is this case's child: started in the same workflow task that records it. */
async function startAppeal(c: ApplicationCase, input: ContestInput, meta: ActionMeta, contested: ContestedDecision): Promise<void> {
  const started = startChild<typeof appealWorkflow>('appealWorkflow', {
    workflowId: caseWorkflowId(input.appealNumber),
    // The appeal outlives a continue-as-new of this case, and the case waits for it anyway.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [
      {
        number: input.appealNumber,
        applicantId: c.s.applicantId,
        contested,
        ground: input.ground,
        reasons: input.reasons,
        references: input.references,
        documents: input.documents,
        calendar: c.s.calendar,
        examinationTerm: input.examinationTerm,
        meta,
      },
    ],
    typedSearchAttributes: [
      { key: CaseSearchAttributes.kind, value: 'appeal' },
      { key: CaseSearchAttributes.status, value: 'submitted' },
      { key: CaseSearchAttributes.applicant, value: c.s.applicantId },
      { key: CaseSearchAttributes.service, value: c.s.service.code },
      { key: CaseSearchAttributes.agency, value: c.s.service.agency },
      { key: CaseSearchAttributes.contested, value: c.s.number },
    ],
    memo: { number: input.appealNumber, contested: c.s.number, ground: input.ground },
  });
  // Anything thrown here would fail this case's workflow (workflowFailureErrorTypes); an
  // appeal that is already running is the only way a start can fail, and that is fine.
  await started.catch((err: unknown) => {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  });
}
