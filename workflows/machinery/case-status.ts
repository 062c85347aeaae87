import { defineUpdate } from '@temporalio/workflow';
import type { ActionMeta, CaseActionResult, EntryDraft } from '../../core/case-model';
import { FailureType } from '../../core/failures';
import { refuse } from './case-journal';

/** The applicant takes back an appeal or a passport change before it is decided. */
export const withdrawUpdate = defineUpdate<CaseActionResult, [ActionMeta]>('withdraw');

/** The part of a case's state its status rules need. */
export interface StatusHolder<S extends string> {
  number: string;
  applicantId: string;
  status: S;
}

/** Moves the case to `to`: journaled, and the applicant is told (by the status's label). No entry when nothing changes. */
export function moveStatus<S extends string>(s: StatusHolder<S>, to: S, labels: Readonly<Record<S, string>>): EntryDraft[] {
  if (to === s.status) return [];
  const from = s.status;
  s.status = to;
  return [
    {
      type: 'status_changed',
      summary: `Status: ${from} → ${to}`,
      data: { from, to },
      notify: [{ recipient: s.applicantId, type: 'status_changed', title: `${s.number}: ${labels[to]}` }],
    },
  ];
}

/** Refuses an action the case's status does not allow; `what` names the kind ("an application"). */
export function requireStatus<S extends string>(s: StatusHolder<S>, allowed: readonly S[], what: string, action: string): void {
  if (!allowed.includes(s.status)) {
    refuse(FailureType.InvalidState, `${what} that is ${s.status} cannot be ${action}`, { currentStatus: s.status });
  }
}
