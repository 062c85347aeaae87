import { CancellationScope, isCancellation, patched, setHandler } from '@temporalio/workflow';
import { now, type ActionMeta, type Actor, type CaseActionResult, type DocumentRef, type EntryDraft } from '../../core/case-model';
import type { CaseProjection } from '../../core/case-projection';
import type { WorkCalendar } from '../../core/deadline-clock';
import { FailureType } from '../../core/failures';
import {
  adminCloseUpdate,
  adminExtendUpdate,
  adminReassignUpdate,
  checkAdminAction,
  MAX_EXTENSION_DAYS,
  TEMPORAL_ACTOR,
  type AdminCloseInput,
  type AdminExtendInput,
  type AdminReassignInput,
} from './admin-actions';
import { CaseJournal, refuse, requireVersion, type JournalCounters } from './case-journal';
import { moveStatus, requireStatus, type StatusHolder } from './case-status';
import { ProcessingDeadline, type DeadlineState } from './processing-deadline';
import {
  answerInfoUpdate,
  assignUpdate,
  claimUpdate,
  requestInfoUpdate,
  ReviewDesk,
  type AnswerInput,
  type AssignInput,
  type DeskPolicy,
  type DeskState,
  type RequestInfoInput,
} from './review-desk';

/** What every case an official decides keeps. */
export interface ReviewableState<S extends string> extends DeskState, StatusHolder<S> {
  documents: DocumentRef[];
  submittedAt: string;
  closedAt: string | null;
  /** Who ended it outside its course (an administrator; Temporal, for a cancellation); absent otherwise, and in cases so ended before it was kept. */
  closedBy?: Actor;
  calendar: WorkCalendar;
  deadline: DeadlineState;
  journal: JournalCounters;
}

/** How a kind's statuses meet the desk. */
export interface ReviewFlow<S extends string> {
  /** "an application": how refusals name the case. */
  what: string;
  /** The portal's name of each status, as the applicant is told of a change. */
  labels: Readonly<Record<S, string>>;
  /** "the applicant": who files it and answers for it. */
  applicant: string;
  inReview: S;
  awaitingInfo: S;
  /** Ended outside its course: by an administrator, or its workflow cancelled in Temporal. */
  closed: S;
  /** Waiting for an official: a claim (or a first assignment) moves these to `inReview`. */
  claimable: readonly S[];
  assignable: readonly S[];
  /** Days the citizen has to answer when the official names none. */
  infoTermDays: () => number;
}

/**
 * The shared course of a case that a citizen files and an official decides: claiming,
 * assigning, asking the citizen (the clock stops) and the answer (it runs again). Kinds
 * add their own filing, decisions and timers; `check*` methods are update validators,
 * the others change state and commit one version.
 */
export abstract class ReviewableCase<S extends string, St extends ReviewableState<S>> {
  readonly journal: CaseJournal;
  readonly deadline: ProcessingDeadline;
  readonly desk: ReviewDesk;
  /** The run closes the case when its workflow is cancelled (patch cancellation-closes-case). */
  private closesOnCancellation = false;

  constructor(
    readonly s: St,
    policy: DeskPolicy,
    private readonly flow: ReviewFlow<S>,
  ) {
    this.journal = new CaseJournal(s.journal, () => this.projection(), () => this.settling());
    this.deadline = new ProcessingDeadline(s.deadline, s.calendar);
    this.desk = new ReviewDesk(s, policy);
  }

  abstract projection(): CaseProjection;

  /** True while the case works out a consequence of an accepted action on its own. */
  protected settling(): boolean {
    return false;
  }

  /** The read-model fields every reviewable kind fills the same way. */
  protected commonProjection(): Omit<CaseProjection, 'kind' | 'serviceCode' | 'agency' | 'relatedNumber' | 'detail'> {
    const s = this.s;
    const view = s.deadline.view;
    return {
      number: s.number,
      version: s.journal.version,
      status: s.status,
      applicantId: s.applicantId,
      assigneeId: s.assigneeId,
      submittedAt: s.submittedAt,
      updatedAt: new Date().toISOString(),
      legalDueDate: view?.legalDue ?? null,
      expectedDueDate: view?.expectedDue ?? null,
      // A closed case, or one whose clock stands, has no due instant to sort or filter by.
      dueAt: view && !view.paused && !this.closed ? view.dueAt : null,
      overdue: s.deadline.breachedAt !== null,
      closedAt: s.closedAt,
    };
  }

  get closed(): boolean {
    return this.s.closedAt !== null;
  }

  /** An accepted action's answer: the case once the action and its consequences are in the read model. */
  async answer(committed?: number): Promise<CaseActionResult & { status: S }> {
    return (await this.journal.settled(committed)) as CaseActionResult & { status: S };
  }

  /** An update handler: the action commits a version, the caller gets `answer()`. */
  act<A extends unknown[]>(action: (...args: A) => number): (...args: A) => Promise<CaseActionResult & { status: S }> {
    return (...args: A) => this.answer(action(...args));
  }

  /** Refuses anyone but the citizen whose case this is. */
  protected checkApplicant(meta: ActionMeta): void {
    if (meta.actor.role !== 'citizen' || meta.actor.id !== this.s.applicantId) refuse(FailureType.Forbidden, `only ${this.flow.applicant} may do this`);
    requireVersion(meta, this.journal.version);
  }

  protected setStatus(status: S): EntryDraft[] {
    return moveStatus(this.s, status, this.flow.labels);
  }

  protected requireStatus(allowed: readonly S[], action: string): void {
    requireStatus(this.s, allowed, this.flow.what, action);
  }

  checkClaim(meta: ActionMeta): void {
    this.desk.checkClaim(meta, this.journal.version);
    this.requireStatus(this.flow.claimable, 'claimed');
  }

  checkAssign(input: AssignInput, meta: ActionMeta): void {
    this.desk.checkOfficial(meta, this.journal.version);
    this.requireStatus(this.flow.assignable, 'assigned');
    this.desk.checkAssign(input, meta, this.journal.version);
  }

  /** `how`: claimed, assigned or reassigned. */
  assignTo(assigneeId: string, meta: ActionMeta, how: string): number {
    const entries: EntryDraft[] = [this.desk.assign(assigneeId, meta, how)];
    if (this.flow.claimable.includes(this.s.status)) entries.push(...this.setStatus(this.flow.inReview));
    return this.journal.commit(meta, new Date().toISOString(), entries);
  }

  checkRequestInfo(input: RequestInfoInput, meta: ActionMeta): void {
    this.desk.checkAssignee(meta, this.journal.version);
    this.requireStatus([this.flow.inReview], 'sent an information request');
    this.desk.checkRequestInfo(input, meta, this.journal.version);
  }

  doRequestInfo(input: RequestInfoInput, meta: ActionMeta): number {
    const at = new Date().toISOString();
    return this.journal.commit(meta, at, [
      this.desk.requestInfo(input, meta, at, this.flow.infoTermDays()),
      ...this.deadline.pause(at, 'information_request', meta.actor),
      ...this.setStatus(this.flow.awaitingInfo),
    ]);
  }

  checkAnswer(input: AnswerInput, meta: ActionMeta): void {
    this.checkApplicant(meta);
    this.requireStatus([this.flow.awaitingInfo], 'answered');
    this.desk.checkAnswer(input);
  }

  doAnswer(input: AnswerInput, meta: ActionMeta): number {
    const at = new Date().toISOString();
    this.s.documents = [...this.s.documents, ...input.documents];
    return this.journal.commit(meta, at, [this.desk.answer(input), ...this.deadline.resume(at), ...this.setStatus(this.flow.inReview)]);
  }

  // -- administrators (issue 12) ----------------------------------------------------------

  checkAdminReassign(input: AdminReassignInput, meta: ActionMeta): void {
    checkAdminAction(meta, input.reason, this.closed, this.journal.version);
    this.desk.checkAdminReassign(input);
  }

  doAdminReassign(input: AdminReassignInput, meta: ActionMeta): number {
    const entry: EntryDraft = {
      ...this.desk.assign(input.to, meta, 'reassigned'),
      summary: `Case reassigned from ${input.from} to ${input.to} by an administrator: ${input.reason}`,
      data: { assigneeId: input.to, previousAssignee: input.from, reason: input.reason },
    };
    const entries = [entry, ...(this.flow.claimable.includes(this.s.status) ? this.setStatus(this.flow.inReview) : [])];
    return this.journal.commit(meta, now(), entries);
  }

  checkAdminExtend(input: AdminExtendInput, meta: ActionMeta): void {
    checkAdminAction(meta, input.reason, this.closed, this.journal.version);
    if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_EXTENSION_DAYS) {
      refuse(FailureType.Invalid, `days must be a whole number from 1 to ${MAX_EXTENSION_DAYS}`);
    }
    const { clock, breachedAt } = this.s.deadline;
    if (!clock) refuse(FailureType.InvalidState, 'no processing deadline runs for this case yet');
    if (breachedAt) refuse(FailureType.InvalidState, `the processing deadline was breached on ${breachedAt}; an extension does not undo a breach`, { breachedAt });
  }

  doAdminExtend(input: AdminExtendInput, meta: ActionMeta): number {
    const at = now();
    return this.journal.commit(meta, at, [
      {
        type: 'deadline_extended',
        summary: `Processing deadline extended by ${input.days} day(s) by an administrator: ${input.reason}`,
        data: { days: input.days, reason: input.reason },
      },
      ...this.deadline.extendBy(at, input.days, meta.actor),
    ]);
  }

  checkAdminClose(input: AdminCloseInput, meta: ActionMeta): void {
    checkAdminAction(meta, input.reason, this.closed, this.journal.version);
    if (this.settling()) refuse(FailureType.InvalidState, 'the case is carrying out its decision and closes by itself');
  }

  doAdminClose(input: AdminCloseInput, meta: ActionMeta): number {
    return this.closeOutside(meta, { type: 'closed_by_admin', summary: `Closed by an administrator: ${input.reason}`, data: { reason: input.reason } });
  }

  /** Ends the case where it stands, without a decision; the kind's workflow then releases what it holds. */
  private closeOutside(meta: Pick<ActionMeta, 'actor' | 'clientAddress'>, entry: EntryDraft): number {
    const at = now();
    entry.data = { ...entry.data, previousStatus: this.s.status };
    this.s.closedAt = at;
    this.s.closedBy = meta.actor;
    this.s.infoRequest = null;
    return this.journal.commit(meta, at, [entry, ...this.setStatus(this.flow.closed)]);
  }

  /**
   * Starts the projector. From patch cancellation-closes-case on it runs outside
   * cancellation, so a case cancelled in Temporal still writes its closing projection.
   */
  startProjector(): void {
    this.closesOnCancellation = patched('cancellation-closes-case');
    const run = () => this.journal.runProjector();
    void (this.closesOnCancellation ? CancellationScope.nonCancellable(run) : run());
  }

  /**
   * What the workflow's course threw. A cancellation (the Temporal UI's Cancel button,
   * `temporal workflow cancel`) closes the case like an administrator's close: journaled,
   * `release` of what the case holds, projected; then the workflow ends cancelled.
   */
  async ended(err: unknown, release?: () => Promise<void>): Promise<never> {
    if (!this.closesOnCancellation || !isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      if (!this.closed) {
        this.closeOutside({ actor: TEMPORAL_ACTOR }, {
          type: 'cancelled_in_temporal',
          summary: 'Its workflow was cancelled in Temporal (the Web UI or the CLI): closed without a decision',
        });
      }
      await release?.();
      await this.journal.drained();
    });
    throw err;
  }

  /** Registers the desk's updates on this case's workflow. */
  serveDesk(): void {
    setHandler(claimUpdate, this.act((m: ActionMeta) => this.assignTo(m.actor.id, m, 'claimed')), { validator: (m) => this.checkClaim(m) });
    setHandler(
      assignUpdate,
      this.act((i: AssignInput, m: ActionMeta) => this.assignTo(i.assigneeId, m, this.s.assigneeId ? 'reassigned' : 'assigned')),
      { validator: (i, m) => this.checkAssign(i, m) },
    );
    setHandler(requestInfoUpdate, this.act((i: RequestInfoInput, m: ActionMeta) => this.doRequestInfo(i, m)), {
      validator: (i, m) => this.checkRequestInfo(i, m),
    });
    setHandler(answerInfoUpdate, this.act((i: AnswerInput, m: ActionMeta) => this.doAnswer(i, m)), { validator: (i, m) => this.checkAnswer(i, m) });
    setHandler(adminReassignUpdate, this.act((i: AdminReassignInput, m: ActionMeta) => this.doAdminReassign(i, m)), {
      validator: (i, m) => this.checkAdminReassign(i, m),
    });
    setHandler(adminExtendUpdate, this.act((i: AdminExtendInput, m: ActionMeta) => this.doAdminExtend(i, m)), {
      validator: (i, m) => this.checkAdminExtend(i, m),
    });
    setHandler(adminCloseUpdate, this.act((i: AdminCloseInput, m: ActionMeta) => this.doAdminClose(i, m)), {
      validator: (i, m) => this.checkAdminClose(i, m),
    });
  }
}
