import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { and, count, inArray, isNotNull, isNull } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { writeProjection } from '../../db/queries/projection';
import { accounts, journal, outbox } from '../../db/schema';
import { freePort } from '../../lib/free-port';
import { createCaseMetrics } from '../../metrics/case-metrics';
import { detail, file, get, officially, ok, post } from '../support/http';
import { erik, rita } from '../support/personas';
import { parseExposition, sampleValue, type Sample } from '../support/prometheus';
import { startStack, testService, type Stack } from '../support/stack';
import { exited, startWorkerProcess } from '../support/worker-process';

/**
 * Metrics on real servers, as production runs them: the API in this process, the worker
 * in a process of its own with its two endpoints (the cases' counters, the Temporal SDK's),
 * all behind the scrape token but the SDK's.
 */
const TOKEN = 'metrics-scrape-token-for-tests';

let stack: Stack;
let worker: ChildProcess;
let workerMetrics: string;
let sdkMetrics: string;

beforeAll(async () => {
  stack = await startStack({ inProcessWorker: false, env: { METRICS_TOKEN: TOKEN } });
  const [port, sdkPort] = [await freePort(), await freePort()];
  worker = await startWorkerProcess({
    ...stack.workerEnv,
    LOG_LEVEL: 'info',
    WORKER_METRICS_HOST: '127.0.0.1',
    WORKER_METRICS_PORT: String(port),
    TEMPORAL_METRICS_PORT: String(sdkPort),
  });
  workerMetrics = `http://127.0.0.1:${port}/metrics`;
  sdkMetrics = `http://127.0.0.1:${sdkPort}/metrics`;
}, 120_000);
afterAll(async () => {
  worker?.kill('SIGTERM');
  if (worker) await exited(worker);
  await stack?.close();
});

/** Polls `check` until it holds; expect.poll is for tests, and the lifecycle is set up before them. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const started = Date.now(); !(await check()); await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() - started > 30_000) throw new Error(`still not ${what}`);
  }
}

const scrape = async (url: string): Promise<Sample[]> => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseExposition(await res.text());
};

const apiMetrics = async (): Promise<Sample[]> => {
  const res = await stack.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return parseExposition(res.body);
};

describe('a lifecycle: an application approved, one rejected, an appeal against it dismissed', () => {
  let anna: Principal;
  const numbers: string[] = [];

  beforeAll(async () => {
    // A registered citizen: notices go out by e-mail and push, and are counted.
    const id = `citizen-${randomBytes(4).toString('hex')}`;
    await stack.database.db.insert(accounts).values({ id, name: 'Анна Петрова', email: `${id}@example.ru`, phone: '+79120000002', passwordHash: 'x', status: 'active', level: 'confirmed' });
    anna = { id, role: 'citizen', level: 'confirmed' };
    const service = testService();
    await stack.addService(service);

    const approved = (await file(stack, anna, service.code)).number;
    await officially(stack, rita, approved, 'claim');
    await officially(stack, rita, approved, 'decide', { outcome: 'approve', comment: 'всё верно' });
    await until(`${approved} completed`, async () => (await detail(stack, anna, approved)).status === 'completed');

    const rejected = (await file(stack, anna, service.code)).number;
    await officially(stack, rita, rejected, 'claim');
    await officially(stack, rita, rejected, 'decide', { outcome: 'reject', reasonCode: 'not_eligible', comment: 'не положено' });
    const appeal = ok(await post(stack, anna, `/cases/${rejected}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), 201).number as string;
    await officially(stack, erik, appeal, 'claim');
    await officially(stack, erik, appeal, 'appeal-decision', { outcome: 'dismissed', reasons: 'Доводы не подтверждены' });
    expect((await detail(stack, anna, rejected)).status).toBe('rejected');
    numbers.push(approved, rejected, appeal);

    // Every notice sent or given up: the counters are final.
    const open = () => stack.database.db.select().from(outbox).where(and(inArray(outbox.caseNumber, numbers), isNull(outbox.sentAt), isNull(outbox.failedAt)));
    await until('every notice delivered', async () => (await open()).length === 0);
  }, 120_000);

  it('counts each case once, where its first projection was written, and each decision and closing once, by kind and outcome', async () => {
    const m = await scrape(workerMetrics);
    const api = await apiMetrics();
    // The API writes a filing's first version itself; the worker the appeal's, whose workflow the case starts.
    const started = (samples: Sample[]) => ['application', 'appeal', 'identity', 'epts_change'].map((kind) => sampleValue(samples, 'cases_started_total', { kind }));
    expect(started(api)).toEqual([2, 0, 0, 0]);
    expect(started(m)).toEqual([0, 1, 0, 0]);
    const finished = (kind: string, outcome: string) => sampleValue(m, 'cases_finished_total', { kind, outcome });
    expect([finished('application', 'completed'), finished('application', 'rejected'), finished('appeal', 'dismissed')]).toEqual([1, 1, 1]);
    expect(m.filter((s) => s.name === 'cases_finished_total').reduce((sum, s) => sum + s.value, 0)).toBe(3);
    const decided = (kind: string, outcome: string) => sampleValue(m, 'cases_decisions_total', { kind, outcome });
    expect([decided('application', 'approved'), decided('application', 'rejected'), decided('appeal', 'dismissed')]).toEqual([1, 1, 1]);
    expect(m.filter((s) => s.name === 'cases_decisions_total').reduce((sum, s) => sum + s.value, 0)).toBe(3);
    // Nothing in this lifecycle waited for a deadline.
    for (const name of ['cases_deadline_warnings_total', 'cases_deadline_breaches_total', 'cases_reminders_total']) {
      expect(m.filter((s) => s.name === name).map((s) => s.value)).toEqual([0, 0, 0, 0]);
    }
  });

  it('the projection lag is observed once per journal entry written, by whoever wrote it', async () => {
    const [m, api] = [await scrape(workerMetrics), await apiMetrics()];
    const rows = await stack.database.db.select({ n: count() }).from(journal).where(inArray(journal.caseNumber, numbers));
    const observed = (samples: Sample[]) => ['application', 'appeal'].map((kind) => sampleValue(samples, 'cases_projection_lag_seconds_count', { kind }) ?? 0);
    // The filings' first entries (submitted, the clock started: two each) are the API's.
    expect(observed(api)).toEqual([4, 0]);
    expect([...observed(m), ...observed(api)].reduce((sum, n) => sum + n, 0)).toBe(rows[0]!.n);
    expect(sampleValue(m, 'cases_projection_lag_seconds_bucket', { kind: 'application', le: '+Inf' })).toBe(observed(m)[0]);
  });

  it('messages are counted by channel as the outbox marks them sent', async () => {
    const m = await scrape(workerMetrics);
    const sent = await stack.database.db
      .select({ channel: outbox.channel, n: count() })
      .from(outbox)
      .where(and(inArray(outbox.caseNumber, numbers), isNotNull(outbox.sentAt)))
      .groupBy(outbox.channel);
    const byChannel = Object.fromEntries(sent.map((r) => [r.channel, r.n]));
    expect(byChannel.email).toBeGreaterThan(0);
    expect(byChannel.push).toBe(byChannel.email);
    for (const channel of ['email', 'sms', 'push']) {
      expect(sampleValue(m, 'cases_notification_deliveries_total', { channel })).toBe(byChannel[channel] ?? 0);
      expect(sampleValue(m, 'cases_notification_failures_total', { channel })).toBe(0);
    }
    expect(sampleValue(m, 'cases_notification_attempts_total', { channel: 'email', outcome: 'accepted' })).toBe(byChannel.email);
  });

  it('the API measures latency by route pattern and status, never by URL', async () => {
    await get(stack, anna, '/no-such-route');
    const m = await apiMetrics();
    const served = (method: string, route: string, status: string) =>
      sampleValue(m, 'cases_http_request_duration_seconds_count', { method, route, status });
    expect(served('POST', '/cases', '201')).toBe(2);
    expect(served('POST', '/cases/:number/decide', '200')).toBe(2);
    expect(served('POST', '/cases/:number/claim', '200')).toBe(3);
    expect(served('POST', '/cases/:number/appeals', '201')).toBe(1);
    expect(served('GET', 'unmatched', '404')).toBe(1);
    expect(sampleValue(m, 'cases_http_request_duration_seconds_bucket', { method: 'POST', route: '/cases', status: '201', le: '+Inf' })).toBe(2);
    const routes = new Set(m.filter((s) => s.name.startsWith('cases_http_')).map((s) => s.labels.route));
    for (const number of numbers) expect([...routes].some((r) => r?.includes(number))).toBe(false);
    // No decision is the API's to count: the workflows' projections write them.
    expect(m.filter((s) => s.name === 'cases_decisions_total').reduce((sum, s) => sum + s.value, 0)).toBe(0);
  });
});

describe('who reads the metrics', () => {
  it('the API and the worker answer only the bearer of the scrape token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${await stack.token(erik)}`]) {
      const api = await stack.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(api.statusCode).toBe(401);
      expect(api.headers['content-type']).toContain('application/problem+json');
      expect((await fetch(workerMetrics, { headers: authorization ? { authorization } : {} })).status).toBe(401);
    }
  });

  it('the OpenAPI document declares /metrics as text/plain, or a problem', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const route = doc.paths['/metrics'].get;
    expect(Object.keys(route.responses).sort()).toEqual(['200', '400', '401', '500']);
    expect(Object.keys(route.responses['200'].content)).toEqual(['text/plain']);
    expect(Object.keys(route.responses['401'].content)).toEqual(['application/problem+json']);
  });

  it("the worker's Temporal SDK endpoint serves the SDK's own metrics", async () => {
    const res = await fetch(sdkMetrics);
    expect(res.status).toBe(200);
    const names = new Set(parseExposition(await res.text()).map((s) => s.name));
    expect([...names].filter((n) => n.startsWith('temporal_')).length).toBeGreaterThan(5);
    expect(names).toContain('temporal_worker_task_slots_available');
  });
});

it('a projection written again (a retry, a replay) counts nothing again', async () => {
  const number = `A-2026-${String(Math.floor(Math.random() * 9e6) + 1e6)}`;
  const at = new Date().toISOString();
  const head = {
    number, kind: 'application' as const, version: 1, status: 'rejected', serviceCode: null, agency: 'mvd', applicantId: 'x', assigneeId: null,
    submittedAt: at, updatedAt: at, legalDueDate: null, expectedDueDate: null, dueAt: null, overdue: false, closedAt: at, relatedNumber: null,
  };
  const batch = {
    projection: { ...head, detail: {} } as never,
    entries: [{ seq: 1, at, type: 'rejected', actor: { id: 'rita', role: 'reviewer' as const }, summary: 'Rejected' }],
  };
  const registry = new Registry();
  const metrics = createCaseMetrics(registry);
  const first = await writeProjection(stack.database.db, batch, {});
  const again = await writeProjection(stack.database.db, batch, {});
  expect(first).toMatchObject({ started: true, closedAs: 'rejected', entries: [{ type: 'rejected', at }] });
  expect(again).toEqual({ kind: 'application', started: false, closedAs: null, entries: [], queuedNotices: [] });
  metrics.projected(first);
  metrics.projected(again);
  const m = parseExposition(await registry.metrics());
  expect(sampleValue(m, 'cases_started_total', { kind: 'application' })).toBe(1);
  expect(sampleValue(m, 'cases_finished_total', { kind: 'application', outcome: 'rejected' })).toBe(1);
  expect(sampleValue(m, 'cases_decisions_total', { kind: 'application', outcome: 'rejected' })).toBe(1);
  expect(sampleValue(m, 'cases_projection_lag_seconds_count', { kind: 'application' })).toBe(1);
});
