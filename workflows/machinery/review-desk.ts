import { defineUpdate } from '@temporalio/workflow';
import { REJECTION_REASONS, type RejectionReason } from '../../core/application';
import type { ActionMeta, CaseActionResult, DocumentRef, EntryDraft } from '../../core/case-model';
import { addDays } from '../../core/deadline-clock';
import { FailureType } from '../../core/failures';
import type { AdminReassignInput } from './admin-actions';
import { refuse, requireVersion } from './case-journal';
import { citizenReminders, type DueTimer } from './timers';

/**
 * The official's side of a reviewable case, shared by every kind an official decides
 * (applications by reviewers, appeals by experts): who may act, claiming and assigning,
 * asking the citizen for more and the citizen's answer. Each kind keeps its own statuses
 * and clock; the desk returns journal entries for the kind to commit.
 */

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
/** A reviewer's decision on a case they hold; a rejection names its reason. */
export interface DecideInput {
  outcome: 'approve' | 'reject';
  reasonCode?: RejectionReason;
  comment: string;
}

export const claimUpdate = defineUpdate<CaseActionResult, [ActionMeta]>('claim');
export const assignUpdate = defineUpdate<CaseActionResult, [AssignInput, ActionMeta]>('assign');
export const requestInfoUpdate = defineUpdate<CaseActionResult, [RequestInfoInput, ActionMeta]>('requestInfo');
export const answerInfoUpdate = defineUpdate<CaseActionResult, [AnswerInput, ActionMeta]>('answerInfo');
export const decideUpdate = defineUpdate<CaseActionResult, [DecideInput, ActionMeta]>('decide');

export interface InfoRequest {
  message: string;
  requestedBy: string;
  requestedAt: string;
  dueAt: string;
  remindersSent: number[];
}

/** An official who may not act on this case, and why (told to them when they try). */
export interface Recusal {
  id: string;
  reason: string;
}

export interface DeskState {
  number: string;
  applicantId: string;
  assigneeId: string | null;
  infoRequest: InfoRequest | null;
  /** Absent in cases started before recusals existed. */
  recused?: Recusal[];
}

export interface DeskPolicy {
  role: 'reviewer' | 'expert';
  /** Reviewers act only on their agency's cases; experts on any. */
  agency: string | null;
  /** "reviewers of mvd", "appeal experts": who is told they may act. */
  officials: string;
}

export class ReviewDesk {
  constructor(
    private readonly s: DeskState,
    private readonly policy: DeskPolicy,
  ) {}

  get assigneeId(): string | null {
    return this.s.assigneeId;
  }

  recusalOf(id: string): Recusal | undefined {
    return this.s.recused?.find((r) => r.id === id);
  }

  recuse(r: Recusal): void {
    if (this.recusalOf(r.id)) return;
    this.s.recused = [...(this.s.recused ?? []), r];
  }

  checkOfficial(meta: ActionMeta, version: number): void {
    const { actor } = meta;
    const { role, agency, officials } = this.policy;
    if (actor.role !== role || (agency !== null && actor.agency !== agency)) {
      refuse(FailureType.Forbidden, `only ${officials} work this case`);
    }
    if (actor.id === this.s.applicantId) refuse(FailureType.Forbidden, 'an official never handles their own case');
    const recusal = this.recusalOf(actor.id);
    if (recusal) refuse(FailureType.Forbidden, `you may not act on ${this.s.number}: ${recusal.reason}`, { recused: actor.id });
    if (meta.expectedVersion === undefined) refuse(FailureType.Invalid, 'official actions must carry the case version');
    requireVersion(meta, version);
  }

  checkAssignee(meta: ActionMeta, version: number): void {
    this.checkOfficial(meta, version);
    if (this.s.assigneeId !== meta.actor.id) {
      refuse(FailureType.Forbidden, this.s.assigneeId ? 'the case is assigned to another official' : 'claim the case first');
    }
  }

  checkClaim(meta: ActionMeta, version: number): void {
    this.checkOfficial(meta, version);
    if (this.s.assigneeId && this.s.assigneeId !== meta.actor.id) {
      refuse(FailureType.InvalidState, 'the case is already assigned to another official');
    }
  }

  checkAssign(input: AssignInput, meta: ActionMeta, version: number): void {
    this.checkOfficial(meta, version);
    if (!meta.actor.supervisor && this.s.assigneeId !== meta.actor.id) {
      refuse(FailureType.Forbidden, 'only a supervisor or the current assignee may assign the case');
    }
    if (input.assigneeId === this.s.applicantId) refuse(FailureType.Invalid, 'the applicant cannot review their own case');
    const recusal = this.recusalOf(input.assigneeId);
    if (recusal) refuse(FailureType.Forbidden, `${input.assigneeId} may not act on ${this.s.number}: ${recusal.reason}`);
    if (input.assigneeId === this.s.assigneeId) refuse(FailureType.InvalidState, 'the case is already assigned to them');
  }

  /** An administrator moves the case between two officials of its desk. */
  checkAdminReassign(input: AdminReassignInput): void {
    if (this.policy.agency !== input.agency) {
      refuse(FailureType.Forbidden, `the case is worked by ${this.policy.officials}, not at ${input.agency === null ? 'the appeal experts' : `agency ${input.agency}`}`, {
        agency: this.policy.agency,
      });
    }
    if (this.s.assigneeId !== input.from) {
      refuse(FailureType.InvalidState, `the case is no longer assigned to ${input.from}`, { assigneeId: this.s.assigneeId });
    }
    if (input.to === input.from) refuse(FailureType.Invalid, 'the case is already assigned to them');
    if (input.to === this.s.applicantId) refuse(FailureType.Invalid, 'the applicant cannot review their own case');
    const recusal = this.recusalOf(input.to);
    if (recusal) refuse(FailureType.Forbidden, `${input.to} may not act on ${this.s.number}: ${recusal.reason}`, { recused: input.to });
  }

  /** `how`: claimed, assigned or reassigned. */
  assign(assigneeId: string, meta: ActionMeta, how: string): EntryDraft {
    this.s.assigneeId = assigneeId;
    return {
      type: how,
      summary: `Case ${how} to ${this.policy.role} ${assigneeId}`,
      data: { assigneeId },
      notify:
        assigneeId === meta.actor.id ? undefined : [{ recipient: assigneeId, type: 'status_changed', title: `${this.s.number}: назначено вам` }],
    };
  }

  /** Takes the case off its assignee's desk (back to the queue). */
  release(): void {
    this.s.assigneeId = null;
  }

  checkDecide(input: DecideInput, meta: ActionMeta, version: number): void {
    this.checkAssignee(meta, version);
    if (input.outcome === 'reject' && (!input.reasonCode || !REJECTION_REASONS.includes(input.reasonCode))) {
      refuse(FailureType.Invalid, `a rejection needs a reason code: one of ${REJECTION_REASONS.join(', ')}`);
    }
  }

  checkRequestInfo(input: RequestInfoInput, meta: ActionMeta, version: number): void {
    this.checkAssignee(meta, version);
    if (input.dueDays !== undefined && (!Number.isInteger(input.dueDays) || input.dueDays < 1 || input.dueDays > 60)) {
      refuse(FailureType.Invalid, 'dueDays must be a whole number from 1 to 60');
    }
  }

  requestInfo(input: RequestInfoInput, meta: ActionMeta, at: string, defaultDays: number): EntryDraft {
    const dueAt = addDays(at, input.dueDays ?? defaultDays);
    this.s.infoRequest = { message: input.message, requestedBy: meta.actor.id, requestedAt: at, dueAt, remindersSent: [] };
    return {
      type: 'information_requested',
      summary: `Information requested; answer due by ${dueAt.slice(0, 10)}`,
      data: { message: input.message, dueAt },
      notify: [{ recipient: this.s.applicantId, type: 'documents_requested', title: `${this.s.number}: требуется уточнение` }],
    };
  }

  checkAnswer(input: AnswerInput): void {
    if (!input.comment.trim() && input.documents.length === 0) {
      refuse(FailureType.Invalid, 'an answer needs a comment or at least one document');
    }
  }

  answer(input: AnswerInput): EntryDraft {
    this.s.infoRequest = null;
    return {
      type: 'information_provided',
      summary: `The applicant answered the request (${input.documents.length} document(s))`,
      data: { comment: input.comment, documents: input.documents.map((d) => d.id) },
      notify: this.s.assigneeId
        ? [{ recipient: this.s.assigneeId, type: 'status_changed', title: `${this.s.number}: ответ заявителя` }]
        : undefined,
    };
  }

  /**
   * The open information request's reminders and its deadline. `commit` records a
   * reminder; `lapse` is what the kind does when the citizen never answered.
   */
  infoTimers(commit: (entries: EntryDraft[]) => void, lapse: () => void): DueTimer[] {
    const req = this.s.infoRequest;
    if (!req) return [];
    return [
      { at: req.dueAt, fire: lapse },
      ...citizenReminders({
        number: this.s.number,
        recipient: this.s.applicantId,
        dueAt: req.dueAt,
        since: req.requestedAt,
        sent: req.remindersSent,
        what: 'answer the information request',
        commit,
      }),
    ];
  }
}
