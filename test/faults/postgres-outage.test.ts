/**
 * Postgres goes away and comes back under a running system (issue 13). The stack runs on
 * a Postgres of this file's own, which the test stops and starts; the API and the worker
 * stay up throughout. While it is away, reads and actions answer 503 problem+json with
 * Retry-After within seconds and /readyz says so; a reviewer's decision already on its way
 * to the workflow waits in its projection's retries; once Postgres is back the read model
 * shows the decision with a contiguous journal and every notice delivered, with no
 * restart of anything.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';
import { actorOf, type Principal } from '../../core/principal';
import { accounts } from '../../db/schema';
import { readReceived } from '../../notifications/sinks/received';
import { decideUpdate } from '../../workflows/machinery/review-desk';
import { detail, file, get, officially, post, FORM } from '../support/http';
import { rita } from '../support/personas';
import { restartablePostgres, type RestartableServer } from '../support/restartable-servers';
import { startStack, testService, type Stack } from '../support/stack';

const service = testService();
let postgres: RestartableServer;
let stack: Stack;

beforeAll(async () => {
  postgres = await restartablePostgres();
  // A delivery cut off by the outage holds its message for three times this (the lease)
  // before it is tried again: 2 s instead of 10 keeps the catch-up within the test's time.
  stack = await startStack({ adminDatabaseUrl: postgres.address, env: { DELIVERY_TIMEOUT_MS: '2000' } });
  await stack.addService(service);
});
afterAll(async () => {
  // Closing drops the test database: Postgres must be up, whatever the test left.
  await postgres?.start().catch(() => undefined);
  await stack?.close();
  await postgres?.remove();
});

/** A citizen whose account has an e-mail and a phone, so the case's notices really leave. */
async function registeredCitizen(): Promise<Principal> {
  const id = `citizen-${randomBytes(4).toString('hex')}`;
  await stack.database.db.insert(accounts).values({ id, name: 'Анна Петрова', email: `${id}@example.ru`, phone: '+79120000001', passwordHash: 'x', status: 'active', level: 'confirmed' });
  return { id, role: 'citizen', level: 'confirmed' };
}

/** An outage answer: fast, problem+json, with when to come back. */
async function expectUnavailable(request: () => Promise<LightMyRequestResponse>) {
  const startedAt = Date.now();
  const res = await request();
  expect(Date.now() - startedAt).toBeLessThan(5_000);
  expect(res.statusCode, res.body).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.json()).toMatchObject({ status: 503, title: 'Service Unavailable', code: 'Unavailable' });
}

const readiness = async () => {
  const res = await get(stack, undefined, '/readyz');
  return { status: res.statusCode, body: res.json() };
};

it('answers 503 with Retry-After while Postgres is away, then shows every action projected in order and every notice delivered', { timeout: 90_000 }, async () => {
  const alice = await registeredCitizen();
  const { number } = await file(stack, alice, service.code);
  const { version } = await officially(stack, rita, number, 'claim');
  expect(await readiness()).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: true, temporal: true } } });

  await postgres.stop();
  expect(await readiness()).toEqual({ status: 503, body: { status: 'unavailable', checks: { postgres: false, temporal: true } } });
  await expectUnavailable(() => get(stack, alice, `/cases/${number}`));
  await expectUnavailable(() => get(stack, rita, '/queue'));
  await expectUnavailable(() => post(stack, alice, '/cases', { serviceCode: service.code, form: FORM, documents: [] }));

  // A decision that reached the workflow just before: its projection cannot be written yet.
  const decided = stack.client.workflow
    .getHandle(caseWorkflowId(number))
    .executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'ok' }, { actor: actorOf(rita), expectedVersion: version }] });
  const settled = await Promise.race([decided.then(() => 'answered'), delay(4_000, 'waiting')]);
  expect(settled).toBe('waiting');
  await expectUnavailable(() => get(stack, alice, `/cases/${number}`));

  await postgres.start();
  const answer = await decided;
  expect(answer.number).toBe(number);
  expect(answer.version).toBeGreaterThan(version);
  expect(await readiness()).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: true, temporal: true } } });
  await expect.poll(async () => (await detail(stack, alice, number)).status, { timeout: 30_000, interval: 200 }).toBe('completed');

  const journal = await stack.database.sql`select seq, type from journal where case_number = ${number} order by seq`;
  expect(journal.map((r) => r.seq as number)).toEqual(journal.map((_, i) => i + 1));
  expect(journal.map((r) => r.type)).toEqual(['submitted', 'deadline_changed', 'claimed', 'status_changed', 'approved', 'status_changed', 'result_issued', 'status_changed']);

  // Deliveries retried through the outage too: every message sent, none given up. A message
  // the provider took just as Postgres went, before it was marked sent, is sent again under
  // its key once its lease ends (the README's one gap; the provider recognises the key).
  await expect
    .poll(async () => (await stack.database.sql`select count(*)::int as n from outbox where case_number = ${number} and sent_at is null`)[0]!.n, { timeout: 60_000, interval: 200 })
    .toBe(0);
  const keys = (await stack.database.sql`select message_key from outbox where case_number = ${number}`).map((r) => `${number}:${r.message_key as string}`);
  expect(keys.length).toBeGreaterThan(0);
  const received = (await readReceived(stack.config.notifications.sinks.dir)).map((m) => m.idempotencyKey).filter((k) => k?.startsWith(`${number}:`));
  expect(new Set(received)).toEqual(new Set(keys));
  console.log(`postgres outage: ${journal.length} journal entries in order, ${keys.length} messages delivered (${received.length - keys.length} resent under their key)`);
});
