/**
 * Application for a catalogue service (SPEC §4.1): one workflow per case, from filing
 * to result, with every deadline a durable timer. The rules are `ApplicationCase`'s.
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
import type { Activities } from '../activities';
import { BRIEF_ACTIVITY } from './machinery/brief-activity';
import type { ApplicationStatus } from '../core/application';
import type { ContestedDecision, ContestInput } from '../core/appeal';
import { caseWorkflowId, type ActionMeta, type CaseActionResult } from '../core/case-model';
import type { Payment } from '../core/fee-account';
import type { appealWorkflow } from './appeal';
import { appealOutcomeAppliedSignal, appealOutcomeSignal } from './appeal-protocol';
import { ApplicationCase, type ApplicationFiling, type ApplicationState, type EditInput } from './application-case';
import { decideUpdate, type DecideInput } from './machinery/review-desk';
import { CaseSearchAttributes } from './machinery/search-attributes';
import { runDeadlines } from './machinery/timers';

// ---- messages -------------------------------------------------------------------

export interface ActionResult extends CaseActionResult {
  status: ApplicationStatus;
}

/** Waits until the case's first projection is written; used with update-with-start. */
export const registeredUpdate = defineUpdate<ActionResult, []>('registered');
export const editUpdate = defineUpdate<ActionResult, [EditInput, ActionMeta]>('edit');
export const cancelUpdate = defineUpdate<ActionResult, [ActionMeta]>('cancel');
export const restoreUpdate = defineUpdate<ActionResult, [ActionMeta]>('restore');
/** The citizen appeals a decision of this case; the case starts the appeal as its child. */
export const contestUpdate = defineUpdate<ActionResult, [ContestInput, ActionMeta]>('contest');
export const paymentSignal = defineSignal<[Payment]>('paymentReceived');
export const stateQuery = defineQuery<ApplicationState>('state');

export interface ApplicationInput extends ApplicationFiling {
  /** Set by continue-as-new only. */
  resume?: ApplicationState;
}

const { issueApplicationResult, revokeApplicationResult } = proxyActivities<Activities>(BRIEF_ACTIVITY);

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
  setHandler(appealOutcomeSignal, async (o) => {
    const standing = c.s.result;
    c.applyAppealOutcome(o);
    // The overturned decision's document no longer stands; a new decision's supersedes it.
    if (standing && !c.s.result && patched('revoke-overturned-result')) {
      await revokeApplicationResult({ number: c.s.number, verificationCode: standing.verificationCode, appeal: o.appealNumber });
    }
    if (!o.acknowledge) return;
    // The appeal's answer waits for what its outcome made of this case.
    await getExternalWorkflowHandle(caseWorkflowId(o.appealNumber)).signal(appealOutcomeAppliedSignal, await c.journal.settled());
  });
  setHandler(
    contestUpdate,
    async (i, m) => {
      if (c.appeals.knows(i.appealNumber)) return c.answer();
      const { version, contested } = c.doContest(i, m);
      await startAppeal(c, i, m, contested);
      return c.answer(version);
    },
    { validator: (i, m) => c.checkContest(i, m) },
  );

  c.startProjector();
  try {
    return await runApplication(c, input);
  } catch (err) {
    return await c.ended(err);
  }
}

async function runApplication(c: ApplicationCase, input: ApplicationInput): Promise<ActionResult> {
  const continueAsNewSuggested = () => workflowInfo().continueAsNewSuggested;
  const carryOn = async () => {
    await c.journal.drained();
    return continueAsNew<typeof applicationWorkflow>({ ...input, resume: c.s });
  };
  for (;;) {
    const outcome = await runDeadlines(c.journal, () => c.closed || c.s.status === 'approved', () => c.dueTimers(), continueAsNewSuggested);
    if (outcome === 'continue_as_new') await carryOn();
    if (c.s.status === 'approved') c.resultIssued(await issueApplicationResult(c.resultRequest()));
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
