/**
 * A case that outgrows its history continues as new and goes on where it was. The server
 * suggests continue-as-new after `limit.historyCount.suggestContinueAsNew` events; this
 * file runs its own dev server with that threshold lowered so a few actions cross it.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { recordHistory } from '../support/histories';
import { act, detail, file, lastCode, officially, ok, post, timelineOf } from '../support/http';
import { alice, rita } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const SUGGEST_AFTER_EVENTS = 60;

let server: DevServer;
let stack: Stack;
const free = testService();

beforeAll(async () => {
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    port: 19233 + (process.pid % 1000),
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AFTER_EVENTS },
  });
  stack = await startStack({ temporalAddress: server.address });
  await stack.addService(free);
});
afterAll(async () => {
  await stack?.close();
  await server?.stop();
});

describe('an application with a long history', () => {
  it('continues as new after repeated information requests, keeping its state, journal and deadline', async () => {
    const { number } = await file(stack, alice, free.code);
    const handle = stack.client.workflow.getHandle(caseWorkflowId(number));
    const firstRunId = (await handle.describe()).runId;

    await officially(stack, rita, number, 'claim');
    const legalDue = (await detail(stack, alice, number)).legalDueDate;
    let cycles = 0;
    // Each request and answer adds events; stop once the server had the case carry on.
    while ((await handle.describe()).runId === firstRunId) {
      expect(cycles, 'the case never continued as new').toBeLessThan(15);
      cycles++;
      await officially(stack, rita, number, 'request-info', { message: `Уточните, раз ${cycles}`, dueDays: 10 });
      expect((await detail(stack, alice, number)).status).toBe('awaiting_info');
      ok(await act(stack, alice, number, 'answer', { comment: `Ответ ${cycles}`, documents: [] }), 200);
      await expect.poll(async () => (await detail(stack, rita, number)).status, { timeout: 15_000 }).toBe('in_review');
    }
    expect(cycles).toBeGreaterThan(1);

    const first = await stack.client.workflow.getHandle(caseWorkflowId(number), firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    const firstEvents = (await stack.client.workflow.getHandle(caseWorkflowId(number), firstRunId).fetchHistory()).events ?? [];
    expect(firstEvents.length).toBeGreaterThan(SUGGEST_AFTER_EVENTS);
    expect(firstEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();

    // The continued run is the same case: state, version and deadline carried over.
    let d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'in_review', assigneeId: rita.id, legalDueDate: legalDue });
    const approved = ok(await act(stack, rita, number, 'decide', { version: d.version, outcome: 'approve', comment: 'ok' }), 200);
    expect(approved.status).toMatch(/approved|completed/);
    await expect.poll(async () => (await detail(stack, alice, number)).status, { timeout: 15_000 }).toBe('completed');
    d = await detail(stack, alice, number);
    expect(d.result.verificationCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const timeline = await timelineOf(stack, alice, number);
    const types = timeline.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'information_requested')).toHaveLength(cycles);
    expect(types.filter((t: string) => t === 'information_provided')).toHaveLength(cycles);
    expect(types).toEqual(expect.arrayContaining(['submitted', 'claimed', 'approved', 'result_issued']));
    const seqs = timeline.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Decided, the continued run stays open for the appeal period.
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await recordHistory(stack.client, number, 'application-continued-as-new-first-run', { runId: firstRunId });
    await recordHistory(stack.client, number, 'application-continued-as-new-resumed');
  });
});

describe('an identity case with a long history', () => {
  it('a registration restarted again and again continues as new, and its code still confirms it', async () => {
    const phone = '+79125558001';
    const started = await post(stack, undefined, '/identity/registrations', { name: 'Ольга Долгая', phone, password: 'Secret123' });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId } = started.json() as { number: string; accountId: string };
    const handle = stack.client.workflow.getHandle(caseWorkflowId(number));
    const firstRunId = (await handle.describe()).runId;
    let restarts = 0;
    while ((await handle.describe()).runId === firstRunId) {
      expect(restarts, 'the registration never continued as new').toBeLessThan(20);
      restarts++;
      const res = await post(stack, undefined, `/identity/registrations/${number}/restart`, { accountId });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await stack.client.workflow.getHandle(caseWorkflowId(number), firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');

    const code = await lastCode(stack, phone);
    const entered = await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code });
    expect(entered.statusCode, entered.body).toBe(200);
    expect(entered.json()).toMatchObject({ status: 'confirmed', accepted: true });
    const citizen: Principal = { id: accountId, role: 'citizen', level: 'simplified' };
    const d = await detail(stack, citizen, number);
    expect({ status: d.status, version: d.version }).toEqual({ status: 'confirmed', version: entered.json().version });
    const types = (await timelineOf(stack, citizen, number)).map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'code_sent')).toHaveLength(restarts + 1);
    expect(types.at(-1)).toBe('code_accepted');
  });
});
