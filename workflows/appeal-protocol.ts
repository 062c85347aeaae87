/**
 * The messages an appeal and the case it contests exchange. The appeal sends its outcome;
 * the contested case acts on it and, once that is in its read model, answers with its
 * own number, status and version, so the expert's answer covers both cases.
 */
import { defineSignal } from '@temporalio/workflow';
import type { AppealOutcome } from '../core/appeal';
import type { CaseActionResult } from '../core/case-model';

/** The appeal's end (decided or withdrawn), to the contested case. */
export const appealOutcomeSignal = defineSignal<[AppealOutcome]>('appealOutcome');
/** The contested case has applied the outcome: what its read model now shows. */
export const appealOutcomeAppliedSignal = defineSignal<[CaseActionResult]>('appealOutcomeApplied');
