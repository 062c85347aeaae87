/**
 * The Temporal dev server restarted on its SQLite file under a running system (issue 13).
 * The stack runs on a dev server of this file's own, which the test stops and starts on
 * the same file and port; the API and the worker stay up throughout. While it is away,
 * actions answer 503 problem+json with Retry-After within seconds, reads (Postgres) go on,
 * and /readyz says so; once it is back the API and the worker reconnect by themselves,
 * the open cases and their pending timers are still there, and the cases act on.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';
import { act, detail, file, get, officially } from '../support/http';
import { alice, rita } from '../support/personas';
import { restartableTemporal, type RestartableServer } from '../support/restartable-servers';
import { startStack, testService, type Stack } from '../support/stack';

const service = testService();
/** Long enough for a client's reconnect backoff to grow past its first steps. */
const OUTAGE_MS = 15_000;
let temporal: RestartableServer;
let stack: Stack;

beforeAll(async () => {
  temporal = await restartableTemporal();
  stack = await startStack({ temporalAddress: temporal.address });
  await stack.addService(service);
});
afterAll(async () => {
  await temporal?.start().catch(() => undefined);
  await stack?.close();
  await temporal?.remove();
});

/** The ids of the timers a case has started and neither fired nor cancelled, from its history. */
async function pendingTimers(handle: WorkflowHandle): Promise<string[]> {
  const pending = new Set<string>();
  for (const e of (await handle.fetchHistory()).events ?? []) {
    if (e.timerStartedEventAttributes) pending.add(e.timerStartedEventAttributes.timerId!);
    if (e.timerFiredEventAttributes) pending.delete(e.timerFiredEventAttributes.timerId!);
    if (e.timerCanceledEventAttributes) pending.delete(e.timerCanceledEventAttributes.timerId!);
  }
  return [...pending].sort();
}

const readiness = async () => {
  const res = await get(stack, undefined, '/readyz');
  return { status: res.statusCode, body: res.json() };
};

it('answers actions 503 with Retry-After while Temporal is away, then reconnects and the open cases and their timers carry on', { timeout: 90_000 }, async () => {
  // One case waits for the citizen's answer (its deadline and reminders), one for a reviewer.
  const asked = (await file(stack, alice, service.code)).number;
  await officially(stack, rita, asked, 'claim');
  await officially(stack, rita, asked, 'request-info', { message: 'Приложите скан', dueDays: 10 });
  const waiting = (await file(stack, alice, service.code)).number;
  const handles = [asked, waiting].map((n) => stack.client.workflow.getHandle(caseWorkflowId(n)));
  // A filing answers before its workflow's first task: wait until both have armed their timers.
  for (const handle of handles) await expect.poll(async () => (await pendingTimers(handle)).length, { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
  const timersBefore = await Promise.all(handles.map(pendingTimers));

  await temporal.stop();
  const stoppedAt = Date.now();
  expect(await readiness()).toEqual({ status: 503, body: { status: 'unavailable', checks: { postgres: true, temporal: false } } });
  const { version } = await detail(stack, rita, waiting);
  const startedAt = Date.now();
  const refused = await act(stack, rita, waiting, 'claim', { version });
  const refusedIn = Date.now() - startedAt;
  expect(refusedIn).toBeLessThan(10_000);
  expect(refused.statusCode, refused.body).toBe(503);
  expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(refused.headers['retry-after']).toBe('5');
  expect(refused.json()).toMatchObject({ status: 503, title: 'Service Unavailable', code: 'Unavailable' });
  // Reads come from Postgres: the case is still there as it was.
  expect(await detail(stack, alice, asked)).toMatchObject({ status: 'awaiting_info' });

  // An orchestrator probes throughout, which is also what grows a client's reconnect backoff.
  while (Date.now() < stoppedAt + OUTAGE_MS) {
    expect((await readiness()).status).toBe(503);
    await delay(500);
  }
  expect((await act(stack, rita, waiting, 'claim', { version })).statusCode).toBe(503);
  await temporal.start();
  const restartedAt = Date.now();
  await expect.poll(async () => (await readiness()).status, { timeout: 20_000, interval: 250 }).toBe(200);
  expect(await Promise.all(handles.map(pendingTimers))).toEqual(timersBefore);
  for (const handle of handles) expect((await handle.describe()).status.name).toBe('RUNNING');
  console.log(`temporal restart: the API answered 503 in ${refusedIn} ms; ready again ${Date.now() - restartedAt} ms after the server was`);

  // The worker serves both cases again: each action answers once the read model shows it.
  const claimed = await act(stack, rita, waiting, 'claim', { version });
  expect(claimed.statusCode, claimed.body).toBe(200);
  expect(claimed.json()).toMatchObject({ number: waiting, status: 'in_review' });
  const answered = await act(stack, alice, asked, 'answer', { comment: 'Прикладываю', documents: [] });
  expect(answered.statusCode, answered.body).toBe(200);
  expect(await detail(stack, alice, asked)).toMatchObject({ status: 'in_review' });
});
