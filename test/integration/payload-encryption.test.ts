/**
 * Personal data in Temporal: what workflows carry is encrypted by the payload codec, an
 * administrator reads it through the codec endpoint (the Web UI's codec server), nobody
 * else; keys rotate without a case noticing.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { caseWorkflowId } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { createLocalStorage } from '../../documents/local-storage';
import { startCodecRelay, type CodecRelay } from '../../temporal/dev-codec-relay';
import { dataConverter } from '../../temporal/data-converter';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';
import { testPayloadCodec } from '../support/codec';
import { pdfScan, testFormSchema } from '../support/fixtures';
import { historyText, recordHistory } from '../support/histories';
import { act, detail, file, officially, ok, post } from '../support/http';
import { alice, rita } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';
import { exited, startWorkerProcess } from '../support/worker-process';

const admin: Principal = { id: 'root', role: 'admin' };
const UI_ORIGIN = 'http://localhost:8233';
const service = testService({ formSchema: testFormSchema({ fullName: { type: 'string' }, passport: { type: 'string' } }) });
/** What a citizen writes into a case, each of it personal: none may reach Temporal in clear. */
const PERSONAL = {
  fullName: 'Смирнова Анна Петровна',
  passport: '4510 987654',
  purpose: 'трудоустройство в ООО «Ромашка»',
  fileName: 'паспорт-смирновой.pdf',
  answer: 'Прикладываю справку с места жительства',
};

type JsonPayload = { metadata: Record<string, string>; data: string };
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromBase64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/**
 * The SDK core's own markers keep their bookkeeping in clear (a patch's id; a local
 * activity's type, attempt and times), never what the workflow passes; results are sealed.
 */
const BOOKKEEPING = /\/markerRecordedEventAttributes\/details\/(patch-data|data)\//;

/**
 * Every payload of a history that carries the workflow's data: its encoding and key id.
 * Not the search attributes (the server indexes them, so they are never encoded), nor the
 * core's bookkeeping.
 */
function payloadsOf(value: unknown, under = ''): { path: string; encoding: string; keyId?: string }[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => payloadsOf(v, `${under}/${i}`));
  const object = value as Record<string, unknown>;
  const metadata = object.metadata as Record<string, Uint8Array> | undefined;
  if ('data' in object && metadata?.encoding instanceof Uint8Array) {
    const keyId = metadata['encryption-key-id'];
    if (BOOKKEEPING.test(`${under}/`)) return [];
    return [{ path: under, encoding: Buffer.from(metadata.encoding).toString(), keyId: keyId && Buffer.from(keyId).toString() }];
  }
  return Object.entries(object)
    .filter(([k]) => k !== 'searchAttributes')
    .flatMap(([k, v]) => payloadsOf(v, `${under}/${k}`));
}

/** An application with a name, a passport number, a named scan and an answer in it, walked to completion. */
async function personalCase(stack: Stack): Promise<string> {
  const upload = ok(await stack.upload(alice, 'passport', pdfScan(1234), PERSONAL.fileName), 201);
  const form = { purpose: PERSONAL.purpose, copies: 1, fullName: PERSONAL.fullName, passport: PERSONAL.passport };
  const { number } = ok(await post(stack, alice, '/cases', { serviceCode: service.code, form, documents: [upload.id] }), 201);
  await officially(stack, rita, number, 'claim');
  await officially(stack, rita, number, 'request-info', { message: 'Приложите справку', dueDays: 10 });
  ok(await act(stack, alice, number, 'answer', { comment: PERSONAL.answer, documents: [] }), 200);
  await officially(stack, rita, number, 'decide', { outcome: 'approve', comment: 'ok' });
  await vi.waitFor(async () => expect((await detail(stack, alice, number)).status).toBe('completed'), { timeout: 15_000, interval: 100 });
  return number;
}

describe('a case in Temporal', () => {
  let stack: Stack;
  let raw: Client;
  let number: string;
  beforeAll(async () => {
    stack = await startStack({ listen: true, env: { CODEC_CORS_ORIGINS: UI_ORIGIN } });
    await stack.addService(service);
    // The server's view: a client with no codec at all.
    raw = new Client({ connection: stack.client.connection, namespace: stack.config.temporal.namespace });
    number = await personalCase(stack);
  });
  afterAll(async () => stack?.close());

  it('holds no form value, name, passport, file name or answer in clear, every payload sealed with the current key', async () => {
    const stored = await historyText(raw, number);
    for (const value of Object.values(PERSONAL)) expect(stored).not.toContain(value);
    const history = await raw.workflow.getHandle(caseWorkflowId(number)).fetchHistory();
    const payloads = payloadsOf(history.events);
    expect(payloads.length).toBeGreaterThan(20);
    expect(payloads.filter((p) => p.encoding !== 'binary/encrypted' || p.keyId !== 'test-2026')).toEqual([]);
    // The memo is a payload too, sealed like the rest: a client without the codec cannot read it.
    const described = await raw.workflowService.describeWorkflowExecution({ namespace: stack.config.temporal.namespace, execution: { workflowId: caseWorkflowId(number) } });
    const { memo, searchAttributes } = described.workflowExecutionInfo!;
    expect(Object.keys(memo?.fields ?? {})).toEqual(expect.arrayContaining(['number', 'status']));
    expect(payloadsOf(memo).map((p) => p.encoding)).toEqual(Object.keys(memo!.fields!).map(() => 'binary/encrypted'));
    await expect(raw.workflow.getHandle(caseWorkflowId(number)).describe()).rejects.toThrow('Unknown encoding: binary/encrypted');
    // Search attributes are indexed in clear by the server: kinds, statuses, codes and ids only.
    const indexed = JSON.stringify(Object.values(searchAttributes?.indexedFields ?? {}).map((p) => Buffer.from(p.data ?? []).toString()));
    for (const value of Object.values(PERSONAL)) expect(indexed).not.toContain(value);
    await recordHistory(stack.client, number, 'application-approved-encrypted');
  });

  it('reads back every value through the codec, memo included', async () => {
    const decoded = await historyText(raw, number, { codec: testPayloadCodec });
    for (const value of Object.values(PERSONAL)) expect(decoded).toContain(value);
    const withCodec = await stack.client.workflow.getHandle(caseWorkflowId(number)).describe();
    expect(withCodec.memo).toMatchObject({ number, status: 'completed', serviceCode: service.code });
  });

  describe('the codec endpoint over HTTP', () => {
    let sealed: JsonPayload;
    beforeAll(async () => {
      const history = await raw.workflow.getHandle(caseWorkflowId(number)).fetchHistory();
      sealed = toJson(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
    });
    const codec = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${stack.config.http.apiUrl}/codec/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify(body) });
    const bearer = async (p: Principal) => ({ authorization: `Bearer ${await stack.token(p)}` });

    it('decodes for an admin, and answers a citizen 403, a reviewer 403, no token 401 and a bad token 401', async () => {
      const res = await codec('decode', { payloads: [sealed] }, await bearer(admin));
      expect(res.status).toBe(200);
      const [opened] = ((await res.json()) as { payloads: JsonPayload[] }).payloads;
      expect(fromBase64(opened!.metadata.encoding!)).toBe('json/plain');
      const input = JSON.parse(fromBase64(opened!.data));
      expect(input.form).toMatchObject({ fullName: PERSONAL.fullName, passport: PERSONAL.passport });
      expect(input.documents[0].fileName).toBe(PERSONAL.fileName);

      for (const [who, status] of [[alice, 403], [rita, 403]] as const) {
        const refused = await codec('decode', { payloads: [sealed] }, await bearer(who));
        expect(refused.status).toBe(status);
        expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await refused.text()).not.toContain(PERSONAL.fullName);
      }
      expect((await codec('decode', { payloads: [sealed] })).status).toBe(401);
      expect((await codec('decode', { payloads: [sealed] }, { authorization: 'Bearer nope' })).status).toBe(401);
      expect((await codec('encode', { payloads: [sealed] }, await bearer(alice))).status).toBe(403);
    });

    it('encodes with the current key what it then decodes, passes a plain payload through, and refuses another key naming the payload', async () => {
      const plain: JsonPayload = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"note":"привет"}').toString('base64') };
      const encoded = ((await (await codec('encode', { payloads: [plain] }, await bearer(admin))).json()) as { payloads: JsonPayload[] }).payloads;
      expect(fromBase64(encoded[0]!.metadata['encryption-key-id']!)).toBe('test-2026');
      const decoded = ((await (await codec('decode', { payloads: [encoded[0], plain] }, await bearer(admin))).json()) as { payloads: JsonPayload[] }).payloads;
      expect(decoded).toEqual([plain, plain]);

      const [foreign] = await new AesGcmPayloadCodec([{ id: 'elsewhere', key: randomBytes(32) }]).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') }]);
      const refused = await codec('decode', { payloads: [plain, toJson(foreign!)] }, await bearer(admin));
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ code: 'Unprocessable', errors: [{ path: '/body/payloads/1', message: expect.stringContaining('"elsewhere"') }] });
      const malformed = await codec('decode', { payloads: [{ data: 'not base64!' }] }, await bearer(admin));
      expect(malformed.status).toBe(400);
    });

    it("lets the Web UI's origin call it from a browser, no other origin, and opens no other route to that origin", async () => {
      const preflight = (url: string, origin: string) =>
        fetch(`${stack.config.http.apiUrl}${url}`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
        });
      const allowed = await preflight('/codec/decode', UI_ORIGIN);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-namespace');
      expect((await preflight('/codec/decode', 'https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
      expect((await preflight('/cases', UI_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
      const decoded = await codec('decode', { payloads: [sealed] }, { ...(await bearer(admin)), origin: UI_ORIGIN });
      expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    });

    it("serves npm start's development UI through a relay that acts as an admin, for the UI's origin only", async () => {
      const relay: CodecRelay = await startCodecRelay({ uiOrigins: [UI_ORIGIN], adminToken: () => stack.token(admin) });
      try {
        const through = (headers: Record<string, string>, path = '/decode') =>
          fetch(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads: [sealed] }) });
        expect((await through({ origin: UI_ORIGIN })).status).toBe(503);
        relay.target = stack.config.http.apiUrl;
        const res = await through({ origin: UI_ORIGIN, 'x-namespace': 'default' });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
        const [opened] = ((await res.json()) as { payloads: JsonPayload[] }).payloads;
        expect(JSON.parse(fromBase64(opened!.data)).form.fullName).toBe(PERSONAL.fullName);
        expect((await through({})).status).toBe(403);
        expect((await through({ origin: 'https://evil.example.com' })).status).toBe(403);
        expect((await through({ origin: UI_ORIGIN }, '/other')).status).toBe(404);
        const preflight = await fetch(`${relay.url}/decode`, { method: 'OPTIONS', headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST' } });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, x-namespace');
      } finally {
        await relay.close();
      }
    });
  });

  it('keeps a registration\'s name and phone out of its history altogether (they stay in Postgres)', async () => {
    const registration = { name: 'Пахомова Ирина Сергеевна', phone: '+79125557733', password: 'Secret123' };
    const started = ok(await post(stack, undefined, '/identity/registrations', registration), 201);
    await expect
      .poll(async () => (await stack.database.sql`select type from journal where case_number = ${started.number}`).map((r) => r.type), { timeout: 10_000 })
      .toContain('code_sent');
    const decoded = await historyText(raw, started.number, { codec: testPayloadCodec });
    for (const value of [registration.name, registration.phone, registration.password]) expect(decoded).not.toContain(value);
  });
});

const codecOf = (keys: string) => new AesGcmPayloadCodec(loadConfig({ PAYLOAD_CODEC_KEYS: keys }).temporal.codec.keys!);

describe('rotating the payload key', () => {
  const OLD = `2026-06:${randomBytes(32).toString('base64')}`;
  const NEW = `2026-12:${randomBytes(32).toString('base64')}`;
  let stack: Stack;
  let worker: ChildProcess | undefined;
  beforeAll(async () => {
    stack = await startStack({ inProcessWorker: false, env: { PAYLOAD_CODEC_KEYS: OLD } });
    await stack.addService(service);
  });
  afterAll(async () => {
    worker?.kill('SIGTERM');
    if (worker) await exited(worker);
    await stack?.close();
  });

  it('continues a case begun under the old key with the new one first: the old key still decrypts, the new one encrypts from then on', { timeout: 180_000 }, async () => {
    // At info level: the process says when it polls.
    worker = await startWorkerProcess({ ...stack.workerEnv, LOG_LEVEL: 'info' });
    const { number } = await file(stack, alice, service.code, { purpose: PERSONAL.purpose, copies: 1 });
    await officially(stack, rita, number, 'claim');
    worker.kill('SIGTERM');
    await exited(worker);

    // The new key put first, the old one kept, in the worker and in the API: a worker that never saw the case replays it from its start.
    const keys = `${NEW},${OLD}`;
    worker = await startWorkerProcess({ ...stack.workerEnv, LOG_LEVEL: 'info', PAYLOAD_CODEC_KEYS: keys });
    const rotated = codecOf(keys);
    const client = new Client({ connection: stack.client.connection, namespace: stack.config.temporal.namespace, dataConverter: dataConverter(rotated) });
    const storage = await createLocalStorage(stack.config.documents.dir);
    const api = await buildApp({ config: stack.config, database: stack.database, temporal: client, storage, payloadCodec: rotated, logger: pino({ level: 'silent' }) });
    try {
      const as = async (who: Principal, method: 'GET' | 'POST', url: string, payload?: object) =>
        ok(await api.inject({ method, url, payload, headers: { authorization: `Bearer ${await stack.token(who)}` } }), 200);
      const { version } = await as(rita, 'GET', `/cases/${number}`);
      await as(rita, 'POST', `/cases/${number}/decide`, { version, outcome: 'approve', comment: 'ok' });
      await expect.poll(async () => (await as(alice, 'GET', `/cases/${number}`)).status, { timeout: 15_000 }).toBe('completed');
    } finally {
      await api.close();
    }

    const raw = new Client({ connection: stack.client.connection, namespace: stack.config.temporal.namespace });
    const payloads = payloadsOf((await raw.workflow.getHandle(caseWorkflowId(number)).fetchHistory()).events);
    const keyIds = new Set(payloads.map((p) => p.keyId));
    expect(keyIds).toEqual(new Set(['2026-06', '2026-12']));
    // The last payloads (the decision and its result) are the new key's.
    expect(payloads.at(-1)?.keyId).toBe('2026-12');
    expect(await historyText(raw, number, { codec: rotated })).toContain(PERSONAL.purpose);
    await expect(historyText(raw, number, { codec: codecOf(NEW) })).rejects.toThrow('encrypted with key "2026-06", which is not among');
  });
});
