import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { PROJECT_ROOT } from './binaries';

/** The case workflows' entry point: what every worker runs. */
export const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows', 'index.ts');

const BUNDLER = path.join(PROJECT_ROOT, 'scripts', 'bundle-workflows.ts');
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The workflow code at `workflowsPath` bundled (webpack) in this process. */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: silent });
}

/**
 * The workflows bundled by a short-lived child process, for a worker that runs for long.
 * Bundled in the worker's own process, webpack's heap stayed in its resident memory for
 * its whole life: an idle worker held 355 MB, 197 MB with the bundle made apart (README,
 * Benchmark), and a worker's memory is what bounds how many cases it keeps cached.
 */
export async function bundleWorkflowsApart(): Promise<WorkflowBundle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cases-workflows-'));
  try {
    const out = path.join(dir, 'workflows.js');
    try {
      await promisify(execFile)(process.execPath, ['--import', 'tsx', BUNDLER, out], { cwd: PROJECT_ROOT });
    } catch (err) {
      const { stderr } = err as { stderr?: string };
      throw new Error(`the workflows could not be bundled: ${(stderr || (err as Error).message).trim().slice(-2000)}`);
    }
    return { code: await readFile(out, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
