import { defineUpdate } from '@temporalio/workflow';
import type { ActionMeta, Actor, CaseActionResult } from '../../core/case-model';
import { FailureType } from '../../core/failures';
import { refuse, requireVersion } from './case-journal';

/**
 * What an administrator does to a case that its officials cannot (issue 12): move it to
 * another official, give its deadline more days, close it when it is broken. Each is an
 * update of the case's own workflow, so the journal, the clock, the timers and the
 * projection follow as for any action; each names its reason, which the journal keeps.
 */

/** Moves the case from the official who has it to another of the same desk. */
export interface AdminReassignInput {
  from: string;
  to: string;
  /** The desk both officials work at: an agency, or null for the appeal experts. */
  agency: string | null;
  reason: string;
}
/** The clock stands for `days` calendar days from today on. */
export interface AdminExtendInput {
  days: number;
  reason: string;
}
export interface AdminCloseInput {
  reason: string;
}

export const adminReassignUpdate = defineUpdate<CaseActionResult, [AdminReassignInput, ActionMeta]>('adminReassign');
export const adminExtendUpdate = defineUpdate<CaseActionResult, [AdminExtendInput, ActionMeta]>('adminExtend');
export const adminCloseUpdate = defineUpdate<CaseActionResult, [AdminCloseInput, ActionMeta]>('adminClose');

/** The longest extension one action may grant. */
export const MAX_EXTENSION_DAYS = 365;

/** Who closes a case whose workflow was cancelled in Temporal: no user of this API, so no token to name. */
export const TEMPORAL_ACTOR: Actor = { id: 'temporal', role: 'system' };

/** Refuses anyone but an administrator, an action without a reason, an ended case, a stale version. */
export function checkAdminAction(meta: ActionMeta, reason: string, closed: boolean, version: number): void {
  if (meta.actor.role !== 'admin') refuse(FailureType.Forbidden, 'only an administrator may do this');
  if (!reason.trim()) refuse(FailureType.Invalid, 'an administrator states the reason for the action');
  if (closed) refuse(FailureType.InvalidState, 'the case is closed', { closed: true });
  requireVersion(meta, version);
}
