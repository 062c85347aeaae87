/**
 * Idempotency-Key on every acting route (issue 13): for each kind of route (an upload, a
 * registration, a reviewer's action, a citizen's action, a signed callback) the same key
 * twice acts once and answers the same; the key with a different request is refused 422;
 * without a key nothing changes. A retry while the first attempt still acts gets 409 and
 * Retry-After; an outage's 503 gives the key back; a refusal is kept.
 */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { caseWorkflowId } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { claimRequestKey, deleteExpiredRequestKeys } from '../../db/queries/idempotent-requests';
import { createLocalStorage } from '../../documents/local-storage';
import { signPayload } from '../../lib/hmac-signature';
import { detail, file, lastCode, officially } from '../support/http';
import { pdfScan } from '../support/fixtures';
import { projectionGate } from '../support/projection-gate';
import { alice, bob, rita } from '../support/personas';
import { testPayloadCodec } from '../support/codec';
import { startStack, testService, type Stack } from '../support/stack';

const service = testService();
const paid = testService({ fee: { base: 500 } });
let stack: Stack;
const projections = projectionGate();

beforeAll(async () => {
  stack = await startStack({ wrapActivities: projections.wrap });
  for (const s of [service, paid]) await stack.addService(s);
});
afterAll(async () => {
  projections.releaseAll();
  await stack?.close();
});

let keys = 0;
/** A key of the test's own: keys belong to their caller and route, but each test starts clean. */
const newKey = () => `test-key-${Date.now()}-${++keys}`;

const keyed = (who: Principal | undefined, key: string | undefined, opts: InjectOptions) =>
  stack.call(who, { ...opts, headers: { ...opts.headers, ...(key ? { 'idempotency-key': key } : {}) } });

async function journalCount(number: string): Promise<number> {
  const [row] = await stack.database.sql`select count(*)::int as n from journal where case_number = ${number}`;
  return row!.n as number;
}

/** The second answer is the first one again, marked as a replay. */
function expectReplay(first: LightMyRequestResponse, second: LightMyRequestResponse) {
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  expect(second.headers['idempotent-replayed']).toBe('true');
  expect(second.statusCode).toBe(first.statusCode);
  expect(second.headers['content-type']).toBe(first.headers['content-type']);
  expect(second.body).toBe(first.body);
}

function expectOtherRequest(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(422);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status: 422, code: 'Unprocessable', errors: [{ path: '/headers/idempotency-key' }] });
  expect(res.json().detail).toMatch(/different request/);
}

describe('a document upload', () => {
  const documentsOf = async (owner: string) =>
    (await stack.database.sql`select id from documents where owner_id = ${owner}`).map((r) => r.id as string).sort();

  it('stores one document for the same file under one key, refuses another file under it, and uploads as before without a key', async () => {
    const key = newKey();
    const before = await documentsOf(bob.id);
    const first = await stack.upload(bob, 'passport', pdfScan(2001), 'scan.pdf', { 'idempotency-key': key });
    expect(first.statusCode, first.body).toBe(201);
    const second = await stack.upload(bob, 'passport', pdfScan(2001), 'scan.pdf', { 'idempotency-key': key });
    expectReplay(first, second);
    expect(await documentsOf(bob.id)).toEqual([...before, first.json().id].sort());

    expectOtherRequest(await stack.upload(bob, 'passport', pdfScan(2002), 'scan.pdf', { 'idempotency-key': key }));
    expect(await documentsOf(bob.id)).toHaveLength(before.length + 1);

    const plain = [await stack.upload(bob, 'passport', pdfScan(2001)), await stack.upload(bob, 'passport', pdfScan(2001))];
    for (const res of plain) expect(res.statusCode, res.body).toBe(201);
    expect(new Set(plain.map((r) => r.json().id)).size).toBe(2);
    expect(await documentsOf(bob.id)).toHaveLength(before.length + 3);
  });
});

describe('a registration', () => {
  const accountsWith = async (phone: string) => (await stack.database.sql`select id from accounts where phone = ${phone}`).length;

  it('opens one account and one case for the same request under one key, and confirms its code once', async () => {
    const key = newKey();
    const body = { name: 'Вера Ключникова', phone: '+7 912 555 77 01', password: 'Secret123' };
    const first = await keyed(undefined, key, { method: 'POST', url: '/identity/registrations', payload: body });
    expect(first.statusCode, first.body).toBe(201);
    const second = await keyed(undefined, key, { method: 'POST', url: '/identity/registrations', payload: body });
    expectReplay(first, second);
    expect(await accountsWith('+79125557701')).toBe(1);
    const { number, accountId } = first.json();
    const [cases] = await stack.database.sql`select count(*)::int as n from case_registry where applicant_id = ${accountId}`;
    expect(cases!.n).toBe(1);

    expectOtherRequest(await keyed(undefined, key, { method: 'POST', url: '/identity/registrations', payload: { ...body, name: 'Вера Другая' } }));

    const code = await lastCode(stack, '+79125557701');
    const codeKey = newKey();
    const entered = { method: 'POST', url: `/identity/registrations/${number}/code`, payload: { accountId, code } } as const;
    const accepted = await keyed(undefined, codeKey, entered);
    expect(accepted.statusCode, accepted.body).toBe(200);
    const entries = await journalCount(number);
    expectReplay(accepted, await keyed(undefined, codeKey, entered));
    expect(await journalCount(number)).toBe(entries);
  });

  it('registers as before without a key: the same request again is a second registration', async () => {
    // A pending registration holds its phone against nobody (the first to confirm gets it): each unkeyed request acts.
    const body = { name: 'Без Ключа', phone: '+7 912 555 77 02', password: 'Secret123' };
    const first = await keyed(undefined, undefined, { method: 'POST', url: '/identity/registrations', payload: body });
    const second = await keyed(undefined, undefined, { method: 'POST', url: '/identity/registrations', payload: body });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.json().accountId).not.toBe(first.json().accountId);
    expect(await accountsWith('+79125557702')).toBe(2);
  });
});

describe("a reviewer's action", () => {
  it('claims once under one key, answers the same again, refuses the key on another case, and claims as before without one', async () => {
    const { number } = await file(stack, alice, service.code);
    const { version } = await detail(stack, rita, number);
    const key = newKey();
    const claim = { method: 'POST', url: `/cases/${number}/claim`, payload: { version } } as const;
    const first = await keyed(rita, key, claim);
    expect(first.statusCode, first.body).toBe(200);
    const entries = await journalCount(number);
    const second = await keyed(rita, key, claim);
    expectReplay(first, second);
    expect(await journalCount(number)).toBe(entries);
    // Read-your-writes: the stored answer is what the case showed after the claim.
    expect(await detail(stack, rita, number)).toMatchObject(first.json());

    const other = await file(stack, alice, service.code);
    expectOtherRequest(await keyed(rita, key, { method: 'POST', url: `/cases/${other.number}/claim`, payload: { version: 1 } }));
    expect(await detail(stack, rita, other.number)).toMatchObject({ status: 'submitted', assigneeId: null });

    const plain = await keyed(rita, undefined, { method: 'POST', url: `/cases/${other.number}/claim`, payload: { version: other.version } });
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keeps a refusal: the same stale claim is refused again from the store, not acted on', async () => {
    const { number } = await file(stack, alice, service.code);
    await officially(stack, rita, number, 'claim');
    const key = newKey();
    const stale = { method: 'POST', url: `/cases/${number}/claim`, payload: { version: 1 } } as const;
    const first = await keyed(rita, key, stale);
    expect(first.statusCode, first.body).toBe(409);
    expectReplay(first, await keyed(rita, key, stale));
  });

  it('answers a retry while the first attempt still acts with 409 and Retry-After, and the first answer once it is done', async () => {
    const { number, version } = await file(stack, alice, service.code);
    const letGo = projections.hold([number]);
    const key = newKey();
    const claim = { method: 'POST', url: `/cases/${number}/claim`, payload: { version } } as const;
    const first = keyed(rita, key, claim);
    try {
      await expect
        .poll(async () => (await stack.database.sql`select 1 from idempotent_requests where key = ${key} and status is null`).length, { timeout: 10_000, interval: 20 })
        .toBe(1);
      const overtaking = await keyed(rita, key, claim);
      expect(overtaking.statusCode, overtaking.body).toBe(409);
      expect(overtaking.headers['retry-after']).toBe('1');
      expect(overtaking.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(overtaking.json()).toMatchObject({ status: 409, code: 'InProgress' });
    } finally {
      letGo();
    }
    const answered = await first;
    expect(answered.statusCode, answered.body).toBe(200);
    expectReplay(answered, await keyed(rita, key, claim));
    expect(await stack.database.sql`select 1 from journal where case_number = ${number} and type = 'claimed'`).toHaveLength(1);
  });

  it('gives the key back after a 503 (Temporal away), so the retry acts', async () => {
    const { number, version } = await file(stack, alice, service.code);
    // A real client of a Temporal server that is not there: nothing listens on the port.
    const away = new Client({
      connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))] }),
    });
    const storage = await createLocalStorage(stack.config.documents.dir);
    const outage = await buildApp({ config: stack.config, database: stack.database, temporal: away, storage, logger: pino({ level: 'silent' }) });
    const key = newKey();
    const claim = { method: 'POST', url: `/cases/${number}/claim`, payload: { version }, headers: { authorization: `Bearer ${await stack.token(rita)}`, 'idempotency-key': key } } as const;
    try {
      const refused = await outage.inject(claim);
      expect(refused.statusCode, refused.body).toBe(503);
    } finally {
      await outage.close();
      await away.connection.close();
    }
    expect(await stack.database.sql`select 1 from idempotent_requests where key = ${key}`).toHaveLength(0);
    const retried = await stack.app.inject(claim);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.json()).toMatchObject({ number, status: 'in_review' });
  });
});

describe("a citizen's action", () => {
  it('answers an information request once under one key, and refuses the key with another answer', async () => {
    const { number } = await file(stack, alice, service.code);
    await officially(stack, rita, number, 'claim');
    await officially(stack, rita, number, 'request-info', { message: 'Приложите копию' });
    const key = newKey();
    const answer = { method: 'POST', url: `/cases/${number}/answer`, payload: { comment: 'Прилагаю', documents: [] } } as const;
    const first = await keyed(alice, key, answer);
    expect(first.statusCode, first.body).toBe(200);
    const entries = await journalCount(number);
    expectReplay(first, await keyed(alice, key, answer));
    expect(await journalCount(number)).toBe(entries);
    const provided = await stack.database.sql`select 1 from journal where case_number = ${number} and type = 'information_provided'`;
    expect(provided).toHaveLength(1);
    expectOtherRequest(await keyed(alice, key, { ...answer, payload: { comment: 'Другой ответ', documents: [] } }));
  });

  it("keeps each caller's keys apart: bob's key is not alice's", async () => {
    const key = newKey();
    const mine = await keyed(alice, key, { method: 'POST', url: '/cases', payload: { serviceCode: service.code, form: { purpose: 'для работы', copies: 1 }, documents: [] } });
    const his = await keyed(bob, key, { method: 'POST', url: '/cases', payload: { serviceCode: service.code, form: { purpose: 'для работы', copies: 1 }, documents: [] } });
    for (const res of [mine, his]) {
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(his.json().number).not.toBe(mine.json().number);
  });
});

describe('a signed callback', () => {
  const paymentCallback = (body: object, key?: string) => {
    const payload = JSON.stringify(body);
    const headers = { 'content-type': 'application/json', 'x-signature': signPayload(stack.config.auth.paymentWebhookSecret, payload), ...(key ? { 'idempotency-key': key } : {}) };
    return stack.app.inject({ method: 'POST', url: '/payments/callback', payload, headers });
  };
  /** The transactions signalled to the case, in the order its history took them. */
  const signalled = async (number: string) =>
    ((await stack.client.workflow.getHandle(caseWorkflowId(number)).fetchHistory()).events ?? []).flatMap((e) => {
      const input = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
      return input ? [defaultPayloadConverter.fromPayload<{ transactionId: string }>(testPayloadCodec.decrypt(input)).transactionId] : [];
    });

  it("signals the case once under the gateway's key, and refuses the key with another payment", async () => {
    const { number } = await file(stack, alice, paid.code);
    const { invoice } = (await detail(stack, alice, number)).fee;
    const payment = { paymentId: invoice.paymentId, amount: 500, transactionId: `tx-${newKey()}`, paidAt: new Date().toISOString() };
    const key = newKey();
    const first = await paymentCallback(payment, key);
    expect(first.statusCode, first.body).toBe(202);
    expectReplay(first, await paymentCallback(payment, key));
    expectOtherRequest(await paymentCallback({ ...payment, transactionId: `tx-${newKey()}` }, key));

    // Without a key the gateway is answered as before. A signal waits while the case is
    // busy, but in order: once this one is in the history, so is anything sent before it.
    const unkeyed = { ...payment, transactionId: `tx-${newKey()}` };
    expect((await paymentCallback(unkeyed)).statusCode).toBe(202);
    await expect.poll(async () => (await signalled(number)).includes(unkeyed.transactionId), { timeout: 10_000, interval: 50 }).toBe(true);
    expect(await signalled(number)).toEqual([payment.transactionId, unkeyed.transactionId]);
  });
});

describe('the OpenAPI document', () => {
  it('declares Idempotency-Key, 409 and 422 on every POST but the sign-in and the two that only read', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; responses: Record<string, unknown> }>>;
    };
    const posts = Object.entries(doc.paths).flatMap(([p, ops]) => (ops.post ? [{ path: p, op: ops.post }] : []));
    const withKey = posts.filter(({ op }) => op.parameters?.some((x) => x.in === 'header' && x.name === 'idempotency-key'));
    expect(posts.filter((p) => !withKey.includes(p)).map((p) => p.path).sort()).toEqual(['/auth/login', '/results/verify', '/vehicles/{vin}/signing-form']);
    expect(withKey.length).toBeGreaterThan(30);
    for (const { path, op } of withKey) expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(['409', '422']));
  });
});

describe('the key store', () => {
  const terms = { leaseSeconds: 0, retentionHours: 24 };

  it('lets a retry take over a key whose attempt stopped renewing its lease, as attempt 2', async () => {
    const k = { scope: 'subject:test', route: 'POST /test', key: newKey() };
    expect(await claimRequestKey(stack.database.db, k, 'f1', terms)).toEqual({ outcome: 'claimed', attempt: 1 });
    expect(await claimRequestKey(stack.database.db, k, 'f2', terms)).toEqual({ outcome: 'other_request' });
    expect(await claimRequestKey(stack.database.db, k, 'f1', terms)).toEqual({ outcome: 'claimed', attempt: 2 });
  });

  it('forgets keys older than the retention: the sweep deletes them and a claim treats one as new', async () => {
    const old = { scope: 'subject:test', route: 'POST /test', key: newKey() };
    await claimRequestKey(stack.database.db, old, 'f1', { leaseSeconds: 10, retentionHours: 24 });
    await stack.database.sql`update idempotent_requests set created_at = now() - interval '25 hours' where key = ${old.key}`;
    expect(await claimRequestKey(stack.database.db, old, 'f2', { leaseSeconds: 10, retentionHours: 24 })).toEqual({ outcome: 'claimed', attempt: 1 });

    await stack.database.sql`update idempotent_requests set created_at = now() - interval '25 hours' where key = ${old.key}`;
    expect(await deleteExpiredRequestKeys(stack.database.db, 24)).toBeGreaterThanOrEqual(1);
    expect(await stack.database.sql`select 1 from idempotent_requests where key = ${old.key}`).toHaveLength(0);
  });
});
