import { bundleWorkflowCode, type WorkflowBundle, type WorkflowBundlePath } from '@temporalio/worker';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This checkout's workflows, bundled once for the run by test/global-setup.ts. */
    workflowBundlePath: string;
  }
}

/** The workflow code at `workflowsPath` bundled for a worker: this checkout's, or another commit's (the hand-off test). */
export function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
}

/**
 * This checkout's workflows for a test's worker or replayer. Bundled once for the whole
 * run: bundling takes seconds of webpack, and most test files start a worker.
 */
export function workflowBundle(): WorkflowBundlePath {
  return { codePath: inject('workflowBundlePath') };
}
