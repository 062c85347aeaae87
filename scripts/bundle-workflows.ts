/**
 * Bundles the case workflows into the file named by its argument: the child process of
 * `bundleWorkflowsApart` (temporal/workflow-bundle.ts), so that webpack's memory leaves
 * with it instead of staying in the worker.
 */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflows } from '../temporal/workflow-bundle';

const out = process.argv[2];
if (!out) {
  console.error('usage: tsx scripts/bundle-workflows.ts <output file>');
  process.exit(2);
}
const { code } = await bundleWorkflows();
await writeFile(out, code);
