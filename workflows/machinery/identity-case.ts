import { workflowInfo } from '@temporalio/workflow';
import { now, type ActionMeta, type EntryDraft } from '../../core/case-model';
import type { CaseProjectionOf, IdentityDetail } from '../../core/case-projection';
import { FailureType } from '../../core/failures';
import { CaseJournal, refuse, type JournalCounters } from './case-journal';
import { runDeadlines, type DueTimer } from './timers';

/** What every identity case keeps about itself. */
export interface IdentityState<S extends string> {
  number: string;
  accountId: string;
  status: S;
  startedAt: string;
  closedAt: string | null;
  journal: JournalCounters;
}

/** A new identity case's common state, started now. */
export function startedIdentity<S extends string>(input: { number: string; accountId: string }, status: S): IdentityState<S> {
  return { number: input.number, accountId: input.accountId, status, startedAt: now(), closedAt: null, journal: { version: 0, seq: 0 } };
}

/** The read-model fields an identity kind fills itself; the rest is the same for all. */
export type IdentityView<D extends IdentityDetail> = Partial<Pick<CaseProjectionOf<'identity'>, 'legalDueDate' | 'expectedDueDate' | 'dueAt' | 'overdue'>> & {
  detail: D;
};

/**
 * The shared frame of an identity case (SPEC §4.2): the account is the applicant, no
 * service, agency or reviewer; the citizen (or an operator, a bank) acts, timers expire
 * codes and requests. Kinds add their statuses and steps; `check*` methods are update
 * validators, the others change state and commit one version.
 */
export abstract class IdentityCase<S extends string, St extends IdentityState<S>, D extends IdentityDetail> {
  readonly journal: CaseJournal;

  constructor(readonly s: St) {
    this.journal = new CaseJournal(s.journal, () => this.projection());
  }

  protected abstract view(): IdentityView<D>;

  /** The deadlines the case waits for now. */
  abstract dueTimers(): Array<DueTimer | null>;

  get closed(): boolean {
    return this.s.closedAt !== null;
  }

  projection(): CaseProjectionOf<'identity'> {
    const s = this.s;
    const own = this.view();
    return {
      number: s.number,
      kind: 'identity',
      version: s.journal.version,
      status: s.status,
      serviceCode: null,
      agency: null,
      applicantId: s.accountId,
      assigneeId: null,
      submittedAt: s.startedAt,
      updatedAt: new Date().toISOString(),
      legalDueDate: own.legalDueDate ?? null,
      expectedDueDate: own.expectedDueDate ?? null,
      dueAt: own.dueAt ?? null,
      overdue: own.overdue ?? false,
      closedAt: s.closedAt,
      relatedNumber: null,
      detail: own.detail,
    };
  }

  /** Refuses anyone but the citizen whose account this is, with `refusal`. */
  protected checkCitizen(meta: ActionMeta, refusal: string): void {
    if (meta.actor.id !== this.s.accountId) refuse(FailureType.Forbidden, refusal);
  }

  /** Ends the case in `status` with its closing entry. */
  protected close(status: S, meta: Pick<ActionMeta, 'actor' | 'clientAddress'>, entry: EntryDraft): number {
    this.s.status = status;
    this.s.closedAt = now();
    return this.journal.commit(meta, this.s.closedAt, [entry]);
  }

  /** The case's timer loop until `isDone`, or until the history grows long enough to continue as new. */
  waitUntil(isDone: () => boolean): Promise<'done' | 'continue_as_new'> {
    return runDeadlines(this.journal, isDone, () => this.dueTimers(), () => workflowInfo().continueAsNewSuggested);
  }
}
