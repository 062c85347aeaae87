import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Activities } from '../../activities';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { workerOptions } from '../../worker';
import { workflowBundle } from './stack';

/** The Java time-skipping test server from the local binary (the SDK's download is unavailable here). */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } },
  });
  // Workflows upsert the case search attributes on every change; the server must know them.
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** Runs `fn` while a worker with the given (fake) activities serves a fresh task queue. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  activities: Partial<Activities>,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    ...workerOptions(taskQueue),
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    workflowBundle: await workflowBundle(),
    activities,
  });
  return worker.runUntil(fn(taskQueue));
}
