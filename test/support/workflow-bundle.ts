import type { WorkflowBundlePath } from '@temporalio/worker';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This checkout's workflows, bundled once for the run by test/global-setup.ts. */
    workflowBundlePath: string;
  }
}

/**
 * This checkout's workflows for a test's worker or replayer. Bundled once for the whole
 * run: bundling takes seconds of webpack, and most test files start a worker.
 */
export function workflowBundle(): WorkflowBundlePath {
  return { codePath: inject('workflowBundlePath') };
}
