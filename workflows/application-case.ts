/**
 * The rules of an application case (SPEC §4.1): filing, the citizen's edits, cancel and
 * restore, payment, the reviewer's decision, the result, and what an appeal's outcome does
 * to the case. The duty is `FeeAccount`'s and the appeals `AppealLedger`'s (both pure, in
 * core/); this class moves the status and the clock around them and commits versions.
 */
import { patched } from '@temporalio/workflow';
import type { ResultRequest } from '../activities';
import type { AppealOutcome, ContestedDecision, ContestInput } from '../core/appeal';
import { AppealLedger, type AppealsState } from '../core/appeal-ledger';
import { lastAppealDay } from '../core/appeal-window';
import {
  APPLICATION_STATUS_LABELS,
  CANCELLABLE_STATUSES,
  DECIDED_STATUSES,
  EDITABLE_STATUSES,
  RESTORE_WINDOW_DAYS,
  type ApplicationStatus,
  type Decision,
  type IssuedResult,
} from '../core/application';
import {
  BY_SYSTEM,
  CITIZEN_ANSWER_TERM_DAYS,
  now,
  type ActionMeta,
  type Actor,
  type DocumentRef,
  type EntryDraft,
} from '../core/case-model';
import type { CaseProjectionOf, ProjectionBatch } from '../core/case-projection';
import type { ServiceDefinition } from '../core/catalogue';
import { addDays, dayOf, type WorkCalendar } from '../core/deadline-clock';
import { FailureType } from '../core/failures';
import { FeeAccount, type FeeState, type Payment } from '../core/fee-account';
import { refuse, type JournalCounters } from './machinery/case-journal';
import { newDeadlineState, type DeadlineState } from './machinery/processing-deadline';
import type { DecideInput, InfoRequest, Recusal } from './machinery/review-desk';
import { ReviewableCase } from './machinery/reviewable-case';
import type { DueTimer } from './machinery/timers';

export interface EditInput {
  form: Record<string, unknown>;
  documents: DocumentRef[];
}

/** What the citizen filed, as the API hands it to the workflow. */
export interface ApplicationFiling {
  number: string;
  service: ServiceDefinition;
  calendar: WorkCalendar;
  applicantId: string;
  form: Record<string, unknown>;
  documents: DocumentRef[];
  resentFrom?: string;
  /** The payee's participant code that invoices' payment identifiers start with; absent in cases filed before them. */
  paymentPayee?: string;
  /** When the API filed it and wrote its first projection (`firstProjection`); absent in cases filed before that. */
  filedAt?: string;
  meta: ActionMeta;
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
  fee: FeeState;
  assigneeId: string | null;
  deadline: DeadlineState;
  infoRequest: InfoRequest | null;
  decision: Decision | null;
  result: IssuedResult | null;
  /** Reviewers who may not review this case again (their decision was overturned). */
  recused?: Recusal[];
  /** Appeals against this case; absent in cases started before appeals existed. */
  appeals?: AppealsState;
  /** Decisions overturned on appeal, with the result they had produced. */
  previousDecisions?: Array<Decision & { result: IssuedResult | null; overturnedBy: string }>;
  cancellation: { at: string; restoreUntil: string; previousStatus: ApplicationStatus } | null;
  resentFrom: string | null;
  closedAt: string | null;
  journal: JournalCounters;
}

const GATEWAY = { actor: { id: 'payment-gateway', role: 'payment_gateway' as const } };

/** `check*` methods are update validators: they refuse and change nothing; `do*` methods commit one version. */
export class ApplicationCase extends ReviewableCase<ApplicationStatus, ApplicationState> {
  readonly fee: FeeAccount;
  readonly appeals: AppealLedger;

  constructor(s: ApplicationState) {
    super(
      s,
      { role: 'reviewer', agency: s.service.agency, officials: `reviewers of ${s.service.agency}` },
      {
        what: 'an application',
        labels: APPLICATION_STATUS_LABELS,
        applicant: 'the applicant',
        inReview: 'in_review',
        awaitingInfo: 'awaiting_info',
        closed: 'closed',
        claimable: ['submitted', 'resubmitted', 'reopened'],
        assignable: ['submitted', 'resubmitted', 'reopened', 'in_review', 'awaiting_info'],
        infoTermDays: () => s.service.infoTermDays ?? CITIZEN_ANSWER_TERM_DAYS,
      },
    );
    this.fee = new FeeAccount(s.fee, s.number, s.service.paymentTermDays);
    s.appeals ??= { open: null, history: [] };
    this.appeals = new AppealLedger(s.appeals, s);
  }

  static file(input: ApplicationFiling): ApplicationCase {
    const { c, at, entries } = ApplicationCase.opened(input);
    c.journal.commit(input.meta, at, entries);
    return c;
  }

  /**
   * The case's first version as `file` commits it, for the API to write to the read model
   * before the workflow has run: the same state and entries from the same input.
   */
  static firstProjection(input: ApplicationFiling & { filedAt: string }): ProjectionBatch {
    const { c, at, entries } = ApplicationCase.opened(input);
    return c.journal.recordAhead(input.meta, at, entries);
  }

  /**
   * The case as filed, with its first entries, not yet committed. It is filed at the API's
   * `filedAt`; cases filed before the API wrote first projections have none and take the
   * workflow's clock, so their histories replay as they ran (no patch: the input decides).
   */
  private static opened(input: ApplicationFiling): { c: ApplicationCase; at: string; entries: EntryDraft[] } {
    const at = input.filedAt ?? now();
    const c = new ApplicationCase({
      number: input.number,
      service: input.service,
      calendar: input.calendar,
      applicantId: input.applicantId,
      status: 'submitted',
      submittedAt: at,
      form: input.form,
      documents: input.documents,
      fee: FeeAccount.open(input.service.fee, input.form, input.paymentPayee),
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
    entries.push(...(c.fee.owed > 0 ? c.invoice(at) : c.deadline.start(at, input.service.term)));
    return { c, at, entries };
  }

  /** An approved application owes its result: actions answer once it is issued. */
  protected override settling(): boolean {
    return this.s.status === 'approved';
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
    if (this.fee.invoicesLeft <= 0) refuse(FailureType.InvalidState, 'this application has used up its invoices; cancel it and file anew');
  }

  doEdit(input: EditInput, meta: ActionMeta): number {
    const at = now();
    this.s.form = input.form;
    this.s.documents = input.documents;
    const entries: EntryDraft[] = [
      { type: 'edited', summary: 'The applicant edited the application; it will be checked again' },
      ...this.deadline.extend(this.s.deadline.clock?.startedAt ?? at, at, 'resubmitted', meta.actor),
      ...this.fee.reassess(this.s.service.fee, input.form),
      ...this.rebill(at, meta.actor, 'resubmitted'),
    ];
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
    if (this.s.infoRequest) this.s.infoRequest.dueAt = new Date(Date.parse(this.s.infoRequest.dueAt) + gone).toISOString();
    this.fee.postponeInvoice(gone);
    const entries: EntryDraft[] = [{ type: 'restored', summary: 'Restored by the applicant' }];
    entries.push(...this.deadline.resume(at));
    // An earlier pause (information request, payment) was open when cancelled: reopen it.
    if (previousStatus === 'awaiting_info') entries.push(...this.deadline.pause(at, 'information_request', meta.actor));
    if (previousStatus === 'awaiting_payment') entries.push(...this.deadline.pause(at, 'payment', meta.actor));
    entries.push(...this.setStatus(previousStatus));
    return this.journal.commit(meta, at, entries);
  }

  // -- appeals (SPEC §4.3) --------------------------------------------------------------

  checkContest(input: ContestInput, meta: ActionMeta): void {
    this.checkApplicant(meta);
    const refusal = this.appeals.refusal(input, dayOf(now()));
    if (refusal) refuse(refusal.type, refusal.message, refusal.details);
  }

  /** Records the appeal and returns what its workflow needs; the caller starts it. */
  doContest(input: ContestInput, meta: ActionMeta): { version: number; contested: ContestedDecision } {
    const at = now();
    const contested = this.appeals.file(input, at);
    const version = this.journal.commit(meta, at, [
      {
        type: 'appeal_filed',
        summary: `Appeal ${input.appealNumber} filed (${input.ground})${contested.repeatOf ? `, repeating ${contested.repeatOf}` : ''}`,
        data: { appeal: input.appealNumber, ground: input.ground, repeatOf: contested.repeatOf },
      },
    ]);
    return { version, contested };
  }

  /** The appeal ended: upheld appeals act on this case. A repeated outcome changes nothing. */
  applyAppealOutcome(o: AppealOutcome): void {
    if (!this.appeals.close(o)) return;
    const at = now();
    const actor: Actor =
      o.outcome === 'closed' && o.closedBy ? o.closedBy : o.outcome === 'withdrawn' ? { id: this.s.applicantId, role: 'citizen' } : { id: o.decidedBy, role: 'expert' };
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
        if (o.ground === 'wrong_fee') return this.correctFee(o.correctedFee ?? s.fee.amount, o.appealNumber, at, actor);
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

  private correctFee(amount: number, appeal: string, at: string, actor: Actor): EntryDraft[] {
    const s = this.s;
    const entries = this.fee.correct(amount, appeal, at);
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

  /** While an appeal is open or can still be filed, the case's workflow stays to answer it. */
  appealable(): boolean {
    return this.appeals.appealable(Date.now());
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

  /** What the result of an approved application is issued from. */
  resultRequest(): ResultRequest {
    return {
      number: this.s.number,
      serviceCode: this.s.service.code,
      serviceName: this.s.service.name,
      applicantId: this.s.applicantId,
      resultType: this.s.service.resultType,
      decidedAt: this.s.decision!.decidedAt,
    };
  }

  resultIssued(result: IssuedResult): void {
    const at = now();
    this.s.result = result;
    this.s.closedAt = at;
    this.journal.commit(BY_SYSTEM, at, [
      {
        type: 'result_issued',
        summary: `Result issued, verification code ${result.verificationCode}`,
        data: { ...result },
        notify: [{ recipient: this.s.applicantId, type: 'result_issued', title: `${this.s.number}: результат готов` }],
      },
      ...this.setStatus('completed'),
    ]);
  }

  // -- callbacks and timers ------------------------------------------------------------

  onPayment(p: Payment): void {
    const at = now();
    const received = this.fee.receive(p, this.s.status === 'awaiting_payment', at);
    if (!received) return;
    if (!received.applied) {
      this.journal.commit(GATEWAY, at, [received.entry]);
      return;
    }
    const edited = this.s.deadline.clock !== null;
    this.journal.commit(GATEWAY, at, [
      received.entry,
      ...(edited ? this.deadline.resume(at) : this.deadline.start(at, this.s.service.term)),
      ...this.setStatus(edited ? 'resubmitted' : 'submitted'),
    ]);
  }

  dueTimers(): Array<DueTimer | null> {
    const s = this.s;
    const commit = (entries: EntryDraft[]) => this.journal.commit(BY_SYSTEM, now(), entries);
    if (this.closed) {
      // Decided: the only thing left to wait for is the end of the appeal period.
      const end = this.appeals.windowEnd();
      if (end === null || this.appeals.s.open) return [];
      return [{ at: new Date(end).toISOString(), fire: () => commit([{ type: 'appeal_period_ended', summary: 'The period to appeal this case ended' }]) }];
    }
    const timers: Array<DueTimer | null> = [];
    const invoice = s.fee.invoice;
    if (s.status === 'awaiting_payment' && invoice) {
      timers.push({ at: invoice.dueAt, fire: () => this.expire('payment_overdue', 'The invoice was not paid in time') });
    }
    if (s.status === 'awaiting_info') {
      timers.push(...this.desk.infoTimers(commit, () => this.expire('no_answer', 'The applicant did not answer in time')));
    }
    if (!DECIDED_STATUSES.includes(s.status)) {
      const agency = s.service.agency;
      timers.push(this.deadline.dueTimer(s.number, { assignee: s.assigneeId, team: `agency:${agency}`, supervisor: `agency:${agency}:supervisor` }, commit));
    }
    if (s.status === 'cancelled' && s.cancellation) {
      timers.push({
        at: s.cancellation.restoreUntil,
        fire: () => {
          s.closedAt = now();
          this.journal.commit(BY_SYSTEM, s.closedAt, [{ type: 'closed', summary: 'The restore window ended' }]);
        },
      });
    }
    return timers;
  }

  // -- helpers ----------------------------------------------------------------------

  private expire(reason: string, summary: string): void {
    const at = now();
    this.s.closedAt = at;
    this.journal.commit(BY_SYSTEM, at, [{ type: 'expired', summary, data: { reason } }, ...this.setStatus('expired')]);
  }

  /** Bills everything still owed; the case waits for the payment. */
  private invoice(at: string): EntryDraft[] {
    return [this.fee.issueInvoice(this.fee.owed, at), ...this.setStatus('awaiting_payment')];
  }

  /**
   * After the duty changed: bill what is still owed, or, when nothing is, let the case
   * go on as `settled`.
   */
  private rebill(at: string, actor: Actor, settled: ApplicationStatus): EntryDraft[] {
    if (this.fee.needsInvoice) return [...this.invoice(at), ...this.deadline.pause(at, 'payment', actor)];
    if (this.fee.owed > 0) return this.setStatus('awaiting_payment');
    this.fee.settle();
    const entries: EntryDraft[] = [];
    // Nothing is owed any more: a clock that waited for a payment runs (again).
    // Cases that edited their way here before this fix keep their old course on replay.
    if (patched('edit-settling-fee-runs-clock')) {
      entries.push(...(this.s.deadline.clock ? this.deadline.resume(at) : this.deadline.start(at, this.s.service.term)));
    }
    return [...entries, ...this.setStatus(settled)];
  }

  projection(): CaseProjectionOf<'application'> {
    const s = this.s;
    const clock = this.deadline.projected();
    return {
      ...this.commonProjection(),
      kind: 'application',
      serviceCode: s.service.code,
      agency: s.service.agency,
      relatedNumber: s.resentFrom,
      detail: {
        serviceName: s.service.name,
        serviceVersion: s.service.version,
        form: s.form,
        documents: s.documents,
        fee: this.fee.view(),
        deadline: clock && {
          ...clock,
          unit: s.deadline.clock?.unit,
          termDays: s.deadline.clock?.termDays,
          appealUntil: s.deadline.breachedAt && lastAppealDay(s.deadline.breachedAt),
        },
        infoRequest: s.infoRequest && { message: s.infoRequest.message, dueAt: s.infoRequest.dueAt },
        // The citizen learns of a decision when it is made (in-app notice): the window runs from then.
        decision: s.decision && { ...s.decision, appealUntil: lastAppealDay(s.decision.decidedAt) },
        result: s.result,
        cancellation: s.cancellation && { at: s.cancellation.at, restoreUntil: s.cancellation.restoreUntil },
        partialEditAllowed: s.service.partialEditAllowed,
        appeals: this.appeals.view(),
        previousDecisions: s.previousDecisions ?? [],
      },
    };
  }
}
