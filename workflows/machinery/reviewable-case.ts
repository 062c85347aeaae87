import { setHandler } from '@temporalio/workflow';
import type { ActionMeta, CaseActionResult, DocumentRef, EntryDraft } from '../../core/case-model';
import type { CaseProjection } from '../../core/case-projection';
import type { WorkCalendar } from '../../core/deadline-clock';
import { FailureType } from '../../core/failures';
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
  }
}
