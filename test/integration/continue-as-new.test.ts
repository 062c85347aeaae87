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

async function detail(as: Principal, number: string) {
  const res = await stack.call(as, { method: 'GET', url: `/cases/${number}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function act(as: Principal, number: string, action: string, payload: Record<string, unknown> = {}) {
  const res = await stack.call(as, { method: 'POST', url: `/cases/${number}/${action}`, payload });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('an application with a long history', () => {
  it('continues as new after repeated information requests, keeping its state, journal and deadline', async () => {
    const filed = await stack.call(alice, { method: 'POST', url: '/cases', payload: { serviceCode: free.code, form: { purpose: 'для работы', copies: 1 }, documents: [] } });
    expect(filed.statusCode, filed.body).toBe(201);
    const { number } = filed.json() as { number: string };
    const handle = stack.client.workflow.getHandle(caseWorkflowId(number));
    const firstRunId = (await handle.describe()).runId;

    await act(rita, number, 'claim', { version: (await detail(rita, number)).version });
    const legalDue = (await detail(alice, number)).legalDueDate;
    let cycles = 0;
    // Each request and answer adds events; stop once the server had the case carry on.
    while ((await handle.describe()).runId === firstRunId) {
      expect(cycles, 'the case never continued as new').toBeLessThan(15);
      cycles++;
      await act(rita, number, 'request-info', { version: (await detail(rita, number)).version, message: `Уточните, раз ${cycles}`, dueDays: 10 });
      expect((await detail(alice, number)).status).toBe('awaiting_info');
      await act(alice, number, 'answer', { comment: `Ответ ${cycles}`, documents: [] });
      await expect.poll(async () => (await detail(rita, number)).status, { timeout: 15_000 }).toBe('in_review');
    }
    expect(cycles).toBeGreaterThan(1);

    const first = await stack.client.workflow.getHandle(caseWorkflowId(number), firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    const firstEvents = (await stack.client.workflow.getHandle(caseWorkflowId(number), firstRunId).fetchHistory()).events ?? [];
    expect(firstEvents.length).toBeGreaterThan(SUGGEST_AFTER_EVENTS);
    expect(firstEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();

    // The continued run is the same case: state, version and deadline carried over.
    let d = await detail(alice, number);
    expect(d).toMatchObject({ status: 'in_review', assigneeId: rita.id, legalDueDate: legalDue });
    const approved = await act(rita, number, 'decide', { version: d.version, outcome: 'approve', comment: 'ok' });
    expect(approved.status).toMatch(/approved|completed/);
    await expect.poll(async () => (await detail(alice, number)).status, { timeout: 15_000 }).toBe('completed');
    d = await detail(alice, number);
    expect(d.result.verificationCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const timeline = (await stack.call(alice, { method: 'GET', url: `/cases/${number}/timeline` })).json().items;
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
    const started = await stack.call(undefined, { method: 'POST', url: '/identity/registrations', payload: { name: 'Ольга Долгая', phone, password: 'Secret123' } });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId } = started.json() as { number: string; accountId: string };
    const handle = stack.client.workflow.getHandle(caseWorkflowId(number));
    const firstRunId = (await handle.describe()).runId;
    let restarts = 0;
    while ((await handle.describe()).runId === firstRunId) {
      expect(restarts, 'the registration never continued as new').toBeLessThan(20);
      restarts++;
      const res = await stack.call(undefined, { method: 'POST', url: `/identity/registrations/${number}/restart`, payload: { accountId } });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await stack.client.workflow.getHandle(caseWorkflowId(number), firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');

    const [row] = await stack.database.sql`select body from outbox where recipient = '+79125558001' order by id desc limit 1`;
    const code = /(\d{6})/.exec(String(row?.body))![1];
    const entered = await stack.call(undefined, { method: 'POST', url: `/identity/registrations/${number}/code`, payload: { accountId, code } });
    expect(entered.statusCode, entered.body).toBe(200);
    expect(entered.json()).toMatchObject({ status: 'confirmed', accepted: true });
    const citizen: Principal = { id: accountId, role: 'citizen', level: 'simplified' };
    const d = await detail(citizen, number);
    expect({ status: d.status, version: d.version }).toEqual({ status: 'confirmed', version: entered.json().version });
    const types = (await stack.call(citizen, { method: 'GET', url: `/cases/${number}/timeline` })).json().items.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'code_sent')).toHaveLength(restarts + 1);
    expect(types.at(-1)).toBe('code_accepted');
  });
});
