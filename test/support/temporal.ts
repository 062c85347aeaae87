/**
 * Workflow tests on the Java time-skipping test server.
 *
 * Facts about that server (temporal-test-server 1.40, checked with SDK 1.24):
 * - Its command line is `<port> [--enable-time-skipping]`, nothing else: there is no flag
 *   for search attributes, and the SDK's `extraArgs` cannot declare them either.
 * - It rejects a workflow task that upserts an unknown search attribute
 *   (`BadSearchAttributes: search attribute CaseDueAt is not defined`) and retries it
 *   forever, so an application case never gets past its first task. The case attributes
 *   must be registered first: `OperatorService.AddSearchAttributes` works (a second add
 *   of the same name is ALREADY_EXISTS); `ListSearchAttributes` is UNIMPLEMENTED, which
 *   `ensureSearchAttributes` tolerates.
 * - Once registered, upserted values are visible through `handle.describe()`
 *   (`typedSearchAttributes`), and the memo too; list queries by attribute
 *   (`client.workflow.list({ query })`) are not supported.
 * - Time is global to one server; `env.sleep` skips it, awaiting `handle.result()` skips
 *   it too, waiting on an update's result does not. Time does not move while a workflow
 *   or activity task is outstanding, so a timer's consequences are written before
 *   `env.sleep` returns past it.
 * - An activity that is scheduled but never started (its worker is gone) stops the clock,
 *   and terminating its workflow does not release it: every later `env.sleep` of that
 *   server hangs. So a test must not shut its worker down under a case that still has an
 *   activity pending, not even when the test fails: `withWorker`'s `cleanup` runs while the
 *   worker still serves, and `terminateSettled` lets pending tasks finish first.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Activities } from '../../activities';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { workerOptions } from '../../worker';
import { testDataConverter } from './codec';
import { workflowBundle } from './workflow-bundle';

const LOG_LEVEL = (process.env.TEST_LOG_LEVEL?.toUpperCase() ?? 'WARN') as LogLevel;

/** The SDK's own warnings stay visible; core's notes about the test server's age do not. */
function installQuietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger(LOG_LEVEL),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: LOG_LEVEL === 'WARN' ? 'ERROR' : LOG_LEVEL }) } },
    });
  } catch {
    // Another helper of the same test file installed the runtime first; keep theirs.
  }
}
installQuietRuntime();

/** The Java time-skipping test server from the local binary (the SDK's download is unavailable here). */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } },
    client: { dataConverter: testDataConverter },
  });
  // Workflows upsert the case search attributes on every change; the server must know them.
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

export function newTaskQueue(prefix = 'wf'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A worker with the production options (`workerOptions`) and the given (fake) activities. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  activities: Partial<Activities>,
  taskQueue = newTaskQueue(),
): Promise<Worker> {
  return Worker.create({
    ...workerOptions(taskQueue),
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    workflowBundle: workflowBundle(),
    dataConverter: testDataConverter,
    activities,
  });
}

/**
 * Runs `fn` while a worker with the given (fake) activities serves a fresh task queue.
 * `cleanup` runs after `fn`, whether it passed or failed, while the worker still serves.
 */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  activities: Partial<Activities>,
  fn: (taskQueue: string) => Promise<T>,
  opts: { cleanup?: () => Promise<void> } = {},
): Promise<T> {
  const taskQueue = newTaskQueue();
  const worker = await createTestWorker(env, activities, taskQueue);
  return worker.runUntil(async () => {
    try {
      return await fn(taskQueue);
    } finally {
      await opts.cleanup?.();
    }
  });
}

/** No activity pending and every workflow task that was scheduled has ended. */
async function settled(handle: WorkflowHandle): Promise<'closed' | boolean> {
  const { status, raw } = await handle.describe();
  if (status.name !== 'RUNNING') return 'closed';
  if ((raw.pendingActivities?.length ?? 0) > 0) return false;
  // The test server does not report `pendingWorkflowTask`: count them in the history.
  let open = 0;
  for (const e of (await handle.fetchHistory()).events ?? []) {
    if (e.workflowTaskScheduledEventAttributes) open++;
    if (e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) open--;
  }
  return open === 0;
}

/**
 * Terminates the still running workflows among `handles`, each once no activity or
 * workflow task of it is pending (waits up to `settleMs`), so none holds the test server's
 * clock. Call it while their worker still serves them.
 */
export async function terminateSettled(handles: WorkflowHandle[], settleMs = 10_000): Promise<void> {
  for (const handle of handles) {
    const until = Date.now() + settleMs;
    let state = await settled(handle);
    while (state === false && Date.now() < until) {
      await delay(20);
      state = await settled(handle);
    }
    if (state !== 'closed') await handle.terminate('test finished').catch(() => undefined);
  }
}

/**
 * The shared frame of a workflow test file: one time-skipping server for the file, and
 * every case a test starts (`track`) terminated once settled, while its worker still
 * serves, so a failing test cannot stop the server's clock for the next one.
 */
export function timeSkippingSuite() {
  let env: TestWorkflowEnvironment | undefined;
  const started: WorkflowHandle[] = [];
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => env?.teardown());
  const current = () => {
    if (!env) throw new Error('the time-skipping server is not up yet');
    return env;
  };
  return {
    get env(): TestWorkflowEnvironment {
      return current();
    },
    track<H extends WorkflowHandle>(handle: H): H {
      started.push(handle);
      return handle;
    },
    run<T>(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
      return withWorker(current(), activities, fn, { cleanup: () => terminateSettled(started.splice(0)) });
    },
  };
}
