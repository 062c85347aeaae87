import { WithStartWorkflowOperation, type Client, type UpdateDefinition, type WorkflowStartOptions } from '@temporalio/client';
import type { SearchAttributePair, Workflow } from '@temporalio/common';
import { caseWorkflowId, type CaseKind } from '../core/case-model';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';

interface CaseStart<W extends Workflow> {
  workflow: W;
  kind: CaseKind;
  number: string;
  applicantId: string;
  status: string;
  taskQueue: string;
  input: Parameters<W>[0];
  searchAttributes: SearchAttributePair[];
  memo: Record<string, unknown>;
}

function startOptions<W extends Workflow>(opts: CaseStart<W>) {
  const options = {
    workflowId: caseWorkflowId(opts.number),
    taskQueue: opts.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    args: [opts.input],
    typedSearchAttributes: [
      { key: CaseSearchAttributes.kind, value: opts.kind },
      { key: CaseSearchAttributes.status, value: opts.status },
      { key: CaseSearchAttributes.applicant, value: opts.applicantId },
      ...opts.searchAttributes,
    ],
    memo: { number: opts.number, ...opts.memo },
  };
  // Every case workflow takes one input object; TypeScript cannot see that through W.
  return options as unknown as WorkflowStartOptions<W> & { workflowIdConflictPolicy: 'USE_EXISTING' };
}

/**
 * Starts a case's workflow and waits, in the same round trip (update-with-start), for its
 * `registered` update: the case is in the read model when this returns. A retried start
 * joins the running case; a closed case is never started again.
 */
export async function startCaseWorkflow<W extends Workflow, R>(temporal: Client, opts: CaseStart<W> & { registered: UpdateDefinition<R, []> }): Promise<R> {
  const start = new WithStartWorkflowOperation(opts.workflow, startOptions(opts));
  return temporal.workflow.executeUpdateWithStart(opts.registered, { startWorkflowOperation: start });
}

/**
 * Starts a case's workflow and returns once the server has stored the start, before the
 * workflow has run: for a caller that writes the case's first projection itself.
 */
export async function launchCaseWorkflow<W extends Workflow>(temporal: Client, opts: CaseStart<W>): Promise<void> {
  await temporal.workflow.start(opts.workflow, startOptions(opts));
}
