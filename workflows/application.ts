/**
 * Application for a catalogue service (SPEC §4.1): one workflow per case, from filing
 * to result, with every deadline a durable timer.
 */
import {
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, IssuedResult } from '../activities';
import {
  CANCELLABLE_STATUSES,
  CITIZEN_REMINDER_DAYS_BEFORE,
  DEFAULT_INFO_TERM_DAYS,
  EDITABLE_STATUSES,
  REJECTION_REASONS,
  RESTORE_WINDOW_DAYS,
  type ApplicationStatus,
  type RejectionReason,
} from '../core/application';
import { lastAppealDay } from '../core/appeal-window';
import type { ActionMeta, CaseProjection, DocumentRef } from '../core/case-model';
import { computeFee, type ServiceDefinition } from '../core/catalogue';
import { addDays, type WorkCalendar } from '../core/deadline-clock';
import { FailureType } from '../core/failures';
import { CaseJournal, refuse, requireVersion, type EntryDraft, type JournalCounters } from './machinery/case-journal';
import { newDeadlineState, ProcessingDeadline, type DeadlineState } from './machinery/processing-deadline';
import { runDeadlines, type DueTimer } from './machinery/timers';

// ---- messages -------------------------------------------------------------------

export interface ActionResult {
  number: string;
  status: ApplicationStatus;
  version: number;
}

export interface EditInput {
  form: Record<string, unknown>;
  documents: DocumentRef[];
}
export interface AnswerInput {
  comment: string;
  documents: DocumentRef[];
}
export interface RequestInfoInput {
  message: string;
  dueDays?: number;
}
export interface AssignInput {
  assigneeId: string;
}
export interface DecideInput {
  outcome: 'approve' | 'reject';
  reasonCode?: RejectionReason;
  comment: string;
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
export const answerInfoUpdate = defineUpdate<ActionResult, [AnswerInput, ActionMeta]>('answerInfo');
export const claimUpdate = defineUpdate<ActionResult, [ActionMeta]>('claim');
export const assignUpdate = defineUpdate<ActionResult, [AssignInput, ActionMeta]>('assign');
export const requestInfoUpdate = defineUpdate<ActionResult, [RequestInfoInput, ActionMeta]>('requestInfo');
export const decideUpdate = defineUpdate<ActionResult, [DecideInput, ActionMeta]>('decide');
export const paymentSignal = defineSignal<[PaymentInput]>('paymentReceived');
export const stateQuery = defineQuery<ApplicationState>('state');

// ---- state ----------------------------------------------------------------------

export interface Invoice {
  id: string;
  amount: number;
  issuedAt: string;
  dueAt: string;
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
  fee: { amount: number; paid: number; invoice: Invoice | null; invoices: number; transactions: string[] };
  assigneeId: string | null;
  deadline: DeadlineState;
  infoRequest: {
    message: string;
    requestedBy: string;
    requestedAt: string;
    dueAt: string;
    remindersSent: number[];
  } | null;
  decision: {
    outcome: 'approved' | 'rejected';
    reasonCode: RejectionReason | null;
    comment: string;
    decidedBy: string;
    decidedAt: string;
  } | null;
  result: IssuedResult | null;
  cancellation: { at: string; restoreUntil: string; previousStatus: ApplicationStatus } | null;
  resentFrom: string | null;
  closedAt: string | null;
  journal: JournalCounters;
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

/**
 * Rules of the application case. `check*` methods are update validators: they throw
 * a refusal and change nothing. `do*` methods change state and commit one version.
 */
export class ApplicationCase {
  readonly journal: CaseJournal;
  readonly deadline: ProcessingDeadline;

  constructor(readonly s: ApplicationState) {
    this.journal = new CaseJournal(s.journal, () => this.projection());
    this.deadline = new ProcessingDeadline(s.deadline, s.calendar);
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

  get closed(): boolean {
    return this.s.closedAt !== null;
  }

  // -- citizen ----------------------------------------------------------------------

  checkCitizen(meta: ActionMeta): void {
    if (meta.actor.role !== 'citizen' || meta.actor.id !== this.s.applicantId) {
      refuse(FailureType.Forbidden, 'only the applicant may do this');
    }
    requireVersion(meta, this.journal.version);
  }

  checkEdit(input: EditInput, meta: ActionMeta): void {
    this.checkCitizen(meta);
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
    const owed = this.s.fee.amount - this.s.fee.paid;
    if (owed > 0 && this.s.fee.invoice?.amount !== owed) {
      entries.push(...this.invoiceFor(owed, at));
      entries.push(...this.deadline.pause(at, 'payment', meta.actor));
    } else if (owed <= 0) {
      this.s.fee.invoice = null;
      // Nothing is owed any more: a clock that waited for a payment runs (again).
      // Cases that edited their way here before this fix keep their old course on replay.
      if (patched('edit-settling-fee-runs-clock')) {
        entries.push(...(this.s.deadline.clock ? this.deadline.resume(at) : this.deadline.start(at, this.s.service.term)));
      }
      entries.push(...this.setStatus('resubmitted'));
    } else {
      entries.push(...this.setStatus('awaiting_payment'));
    }
    return this.journal.commit(meta, at, entries);
  }

  checkCancel(meta: ActionMeta): void {
    this.checkCitizen(meta);
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
    this.checkCitizen(meta);
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

  checkAnswer(input: AnswerInput, meta: ActionMeta): void {
    this.checkCitizen(meta);
    this.requireStatus(['awaiting_info'], 'answered');
    if (!input.comment.trim() && input.documents.length === 0) {
      refuse(FailureType.Invalid, 'an answer needs a comment or at least one document');
    }
  }

  doAnswer(input: AnswerInput, meta: ActionMeta): number {
    const at = now();
    this.s.documents = [...this.s.documents, ...input.documents];
    this.s.infoRequest = null;
    const entries: EntryDraft[] = [
      {
        type: 'information_provided',
        summary: `The applicant answered the request (${input.documents.length} document(s))`,
        data: { comment: input.comment, documents: input.documents.map((d) => d.id) },
        notify: this.s.assigneeId
          ? [{ recipient: this.s.assigneeId, type: 'status_changed', title: `${this.s.number}: ответ заявителя` }]
          : undefined,
      },
      ...this.deadline.resume(at),
      ...this.setStatus('in_review'),
    ];
    return this.journal.commit(meta, at, entries);
  }

  // -- reviewer ---------------------------------------------------------------------

  checkReviewer(meta: ActionMeta): void {
    const { actor } = meta;
    if (actor.role !== 'reviewer' || actor.agency !== this.s.service.agency) {
      refuse(FailureType.Forbidden, `only reviewers of ${this.s.service.agency} work this case`);
    }
    if (actor.id === this.s.applicantId) refuse(FailureType.Forbidden, 'a reviewer never handles their own application');
    if (meta.expectedVersion === undefined) refuse(FailureType.Invalid, 'reviewer actions must carry the case version');
    requireVersion(meta, this.journal.version);
  }

  private checkAssignee(meta: ActionMeta): void {
    this.checkReviewer(meta);
    if (this.s.assigneeId !== meta.actor.id) {
      refuse(FailureType.Forbidden, this.s.assigneeId ? 'the case is assigned to another reviewer' : 'claim the case first');
    }
  }

  checkClaim(meta: ActionMeta): void {
    this.checkReviewer(meta);
    this.requireStatus(['submitted', 'resubmitted'], 'claimed');
    if (this.s.assigneeId && this.s.assigneeId !== meta.actor.id) {
      refuse(FailureType.InvalidState, 'the case is already assigned to another reviewer');
    }
  }

  doClaim(meta: ActionMeta): number {
    return this.assignTo(meta.actor.id, meta, 'claimed');
  }

  checkAssign(input: AssignInput, meta: ActionMeta): void {
    this.checkReviewer(meta);
    this.requireStatus(['submitted', 'resubmitted', 'in_review', 'awaiting_info'], 'assigned');
    if (!meta.actor.supervisor && this.s.assigneeId !== meta.actor.id) {
      refuse(FailureType.Forbidden, 'only a supervisor or the current assignee may assign the case');
    }
    if (input.assigneeId === this.s.applicantId) refuse(FailureType.Invalid, 'the applicant cannot review their own case');
    if (input.assigneeId === this.s.assigneeId) refuse(FailureType.InvalidState, 'the case is already assigned to them');
  }

  doAssign(input: AssignInput, meta: ActionMeta): number {
    return this.assignTo(input.assigneeId, meta, this.s.assigneeId ? 'reassigned' : 'assigned');
  }

  checkRequestInfo(input: RequestInfoInput, meta: ActionMeta): void {
    this.checkAssignee(meta);
    this.requireStatus(['in_review'], 'sent an information request');
    if (input.dueDays !== undefined && (!Number.isInteger(input.dueDays) || input.dueDays < 1 || input.dueDays > 60)) {
      refuse(FailureType.Invalid, 'dueDays must be a whole number from 1 to 60');
    }
  }

  doRequestInfo(input: RequestInfoInput, meta: ActionMeta): number {
    const at = now();
    const days = input.dueDays ?? this.s.service.infoTermDays ?? DEFAULT_INFO_TERM_DAYS;
    const dueAt = addDays(at, days);
    this.s.infoRequest = { message: input.message, requestedBy: meta.actor.id, requestedAt: at, dueAt, remindersSent: [] };
    const entries: EntryDraft[] = [
      {
        type: 'information_requested',
        summary: `Information requested; answer due by ${dueAt.slice(0, 10)}`,
        data: { message: input.message, dueAt },
        notify: [{ recipient: this.s.applicantId, type: 'documents_requested', title: `${this.s.number}: требуется уточнение` }],
      },
      ...this.deadline.pause(at, 'information_request', meta.actor),
      ...this.setStatus('awaiting_info'),
    ];
    return this.journal.commit(meta, at, entries);
  }

  checkDecide(input: DecideInput, meta: ActionMeta): void {
    this.checkAssignee(meta);
    this.requireStatus(['in_review'], 'decided');
    if (input.outcome === 'reject' && (!input.reasonCode || !REJECTION_REASONS.includes(input.reasonCode))) {
      refuse(FailureType.Invalid, `a rejection needs a reason code: one of ${REJECTION_REASONS.join(', ')}`);
    }
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
    const system = { actor: { id: 'system', role: 'system' as const } };
    const s = this.s;
    const timers: Array<DueTimer | null> = [];
    if (s.status === 'awaiting_payment' && s.fee.invoice) {
      timers.push({ at: s.fee.invoice.dueAt, fire: () => this.expire('payment_overdue', 'The invoice was not paid in time') });
    }
    if (s.status === 'awaiting_info' && s.infoRequest) {
      const req = s.infoRequest;
      timers.push({ at: req.dueAt, fire: () => this.expire('no_answer', 'The applicant did not answer in time') });
      for (const days of CITIZEN_REMINDER_DAYS_BEFORE) {
        const at = addDays(req.dueAt, -days);
        if (req.remindersSent.includes(days) || Date.parse(at) <= Date.parse(req.requestedAt)) continue;
        timers.push({
          at,
          fire: () => {
            req.remindersSent.push(days);
            this.journal.commit(system, now(), [
              {
                type: 'reminder_sent',
                summary: `Reminder: ${days} day(s) left to answer the information request`,
                data: { daysLeft: days, dueAt: req.dueAt },
                notify: [{ recipient: s.applicantId, type: 'deadline_approaching', title: `${s.number}: осталось дней: ${days}` }],
              },
            ]);
          },
        });
      }
    }
    const processing = this.deadline.nextTimer();
    if (processing && !['approved', 'rejected', 'completed', 'cancelled', 'expired'].includes(s.status)) {
      const agency = s.service.agency;
      timers.push({
        at: processing.at,
        fire: () => {
          const entries = processing.kind === 'warn' ? this.deadline.warn() : this.deadline.breach(now());
          entries[0]!.notify =
            processing.kind === 'warn'
              ? [{ recipient: s.assigneeId ?? `agency:${agency}`, type: 'deadline_warning', title: `${s.number}: срок истекает` }]
              : [{ recipient: `agency:${agency}:supervisor`, type: 'deadline_breached', title: `${s.number}: срок нарушен` }];
          this.journal.commit(system, now(), entries);
        },
      });
    }
    if (s.status === 'cancelled' && s.cancellation) {
      timers.push({
        at: s.cancellation.restoreUntil,
        fire: () => {
          s.closedAt = now();
          this.journal.commit(system, s.closedAt, [{ type: 'closed', summary: 'The restore window ended' }]);
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
    this.journal.commit({ actor: { id: 'system', role: 'system' } }, at, [
      { type: 'result_issued', summary: `Result issued, verification code ${result.verificationCode}`, data: { ...result } },
      ...this.setStatus('completed'),
    ]);
  }

  // -- helpers ----------------------------------------------------------------------

  private expire(reason: string, summary: string): void {
    const at = now();
    this.s.closedAt = at;
    this.journal.commit({ actor: { id: 'system', role: 'system' } }, at, [
      { type: 'expired', summary, data: { reason } },
      ...this.setStatus('expired'),
    ]);
  }

  private assignTo(assigneeId: string, meta: ActionMeta, how: string): number {
    const at = now();
    this.s.assigneeId = assigneeId;
    const entries: EntryDraft[] = [
      {
        type: how,
        summary: `Case ${how} to reviewer ${assigneeId}`,
        data: { assigneeId },
        notify:
          assigneeId === meta.actor.id ? undefined : [{ recipient: assigneeId, type: 'status_changed', title: `${this.s.number}: назначено вам` }],
      },
    ];
    if (this.s.status === 'submitted' || this.s.status === 'resubmitted') entries.push(...this.setStatus('in_review'));
    return this.journal.commit(meta, at, entries);
  }

  private invoiceFor(amount: number, at: string): EntryDraft[] {
    const invoice: Invoice = {
      id: `${this.s.number}-F${++this.s.fee.invoices}`,
      amount,
      issuedAt: at,
      dueAt: addDays(at, this.s.service.paymentTermDays),
    };
    this.s.fee.invoice = invoice;
    return [
      {
        type: 'invoice_issued',
        summary: `Invoice ${invoice.id} for ${amount} RUB, due by ${invoice.dueAt.slice(0, 10)}`,
        data: { invoiceId: invoice.id, amount, dueAt: invoice.dueAt },
      },
      ...this.setStatus('awaiting_payment'),
    ];
  }

  private setStatus(status: ApplicationStatus): EntryDraft[] {
    if (status === this.s.status) return [];
    const from = this.s.status;
    this.s.status = status;
    return [
      {
        type: 'status_changed',
        summary: `Status: ${from} → ${status}`,
        data: { from, to: status },
        notify: [{ recipient: this.s.applicantId, type: 'status_changed', title: `${this.s.number}: ${status}` }],
      },
    ];
  }

  private requireStatus(allowed: readonly ApplicationStatus[], action: string): void {
    if (!allowed.includes(this.s.status)) {
      refuse(FailureType.InvalidState, `an application that is ${this.s.status} cannot be ${action}`, {
        currentStatus: this.s.status,
      });
    }
  }

  projection(): CaseProjection {
    const s = this.s;
    const view = s.deadline.view;
    return {
      number: s.number,
      kind: 'application',
      version: s.journal.version,
      status: s.status,
      serviceCode: s.service.code,
      agency: s.service.agency,
      applicantId: s.applicantId,
      assigneeId: s.assigneeId,
      submittedAt: s.submittedAt,
      updatedAt: now(),
      legalDueDate: view?.legalDue ?? null,
      expectedDueDate: view?.expectedDue ?? null,
      dueAt: view && !view.paused ? view.dueAt : null,
      overdue: s.deadline.breachedAt !== null,
      closedAt: s.closedAt,
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
      },
    };
  }
}

// ---- the workflow ---------------------------------------------------------------

export async function applicationWorkflow(input: ApplicationInput): Promise<ActionResult> {
  const c = input.resume ? new ApplicationCase(input.resume) : ApplicationCase.file(input);
  const answer = async (version: number): Promise<ActionResult> => {
    await c.journal.projected(version);
    return { number: c.s.number, status: c.s.status, version: c.journal.version };
  };

  setHandler(stateQuery, () => c.s);
  setHandler(registeredUpdate, () => answer(1));
  setHandler(paymentSignal, (p) => c.onPayment(p));
  setHandler(editUpdate, (i, m) => answer(c.doEdit(i, m)), { validator: (i, m) => c.checkEdit(i, m) });
  setHandler(cancelUpdate, (m) => answer(c.doCancel(m)), { validator: (m) => c.checkCancel(m) });
  setHandler(restoreUpdate, (m) => answer(c.doRestore(m)), { validator: (m) => c.checkRestore(m) });
  setHandler(answerInfoUpdate, (i, m) => answer(c.doAnswer(i, m)), { validator: (i, m) => c.checkAnswer(i, m) });
  setHandler(claimUpdate, (m) => answer(c.doClaim(m)), { validator: (m) => c.checkClaim(m) });
  setHandler(assignUpdate, (i, m) => answer(c.doAssign(i, m)), { validator: (i, m) => c.checkAssign(i, m) });
  setHandler(requestInfoUpdate, (i, m) => answer(c.doRequestInfo(i, m)), {
    validator: (i, m) => c.checkRequestInfo(i, m),
  });
  setHandler(decideUpdate, (i, m) => answer(c.doDecide(i, m)), { validator: (i, m) => c.checkDecide(i, m) });

  void c.journal.runProjector();

  const outcome = await runDeadlines(
    c.journal,
    () => c.closed || c.s.status === 'approved',
    () => c.dueTimers(),
    () => workflowInfo().continueAsNewSuggested,
  );
  if (outcome === 'continue_as_new') {
    await c.journal.drained();
    await continueAsNew<typeof applicationWorkflow>({ ...input, resume: c.s });
  }
  if (c.s.status === 'approved') await c.issueResult();
  await c.journal.drained();
  return { number: c.s.number, status: c.s.status, version: c.journal.version };
}
