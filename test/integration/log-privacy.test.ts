/**
 * No personal data in the logs (SPEC §10), over whole lifecycles: every line the API
 * (the product's logger, at debug level) and a `node worker.ts` process (at debug level,
 * the Temporal SDK's lines included) write is kept, while citizens register, raise their
 * level with passport, SNILS and INN, upload a scan under a telling file name, file a
 * form, answer a request for information and get a decision; while bad requests full of
 * personal data are refused; and while database errors that quote a whole row fail a
 * request with a 500 and a worker's activity (retried until the fault is lifted). Then none of the values may appear anywhere in what was written.
 */
import type { ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger';
import { act, detail, eventually, get, lastCode, officially, ok, post, withToken } from '../support/http';
import { alice, bob, rita } from '../support/personas';
import { pdfScan, testService } from '../support/fixtures';
import { startStack, type Stack } from '../support/stack';
import { exited, startWorkerProcess } from '../support/worker-process';

const PERSON = {
  name: 'Зыкина-Шмидт Вольдемара Аполлинарьевна',
  phone: '+79127770123',
  phoneTyped: '+7 (912) 777-01-23',
  email: 'voldemara.zykina@example.ru',
  password: 'Zyk1na-Secret-77',
  snils: '112-233-445 95',
  passportSeries: '45 06',
  passportNumber: '731942',
  inn: '500100732259',
  birthDate: '1979-11-23',
  address: 'г. Кострома, ул. Гончарная, д. 17, кв. 204',
  fileName: 'Паспорт Зыкиной 4506 731942.pdf',
  purpose: 'справка для Зыкиной о несудимости',
  answer: 'Прикладываю: проживаю по адресу г. Кострома, ул. Гончарная, д. 17',
  request: 'Вольдемара Аполлинарьевна, уточните СНИЛС 112-233-445 95',
};
/** A name a CHECK constraint refuses: its insert fails with the whole row in the error's detail. */
const FAILING_NAME = 'Непроходимов Аристарх Феофилактович';
const FAILING_EMAIL = 'aristarkh.neprokhodimov@example.ru';

let stack: Stack;
let worker: ChildProcess;
/** Each process's output apart: a worker's chunk may end mid-line. */
const output = { api: '', worker: '' };
const apiLog = new Writable({
  write(chunk: Buffer, _enc, done) {
    output.api += chunk.toString();
    done();
  },
});
const service = testService({ formSchema: { type: 'object', required: ['purpose', 'copies'], properties: { purpose: { type: 'string' }, copies: { type: 'integer', maximum: 5 }, address: { type: 'string' } } } });

beforeAll(async () => {
  stack = await startStack({ inProcessWorker: false, logger: createLogger({ logLevel: 'debug' }, apiLog) });
  worker = await startWorkerProcess(stack.workerEnv, { logLevel: 'debug', output: (text) => (output.worker += text) });
  await stack.addService(service);
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  if (worker) await exited(worker);
  await stack?.close();
});

/** The complete JSON lines written so far. */
const lines = () =>
  [output.api, output.worker]
    .flatMap((text) => text.split('\n').slice(0, -1))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the logs of whole lifecycles', () => {
  it('hold none of the personal data that went through them, and still tell what happened', async () => {
    // Refused input full of personal data: a bad phone, a form over its limits.
    const bad = await post(stack, undefined, '/identity/registrations', { name: PERSON.name, phone: `8${PERSON.phone.slice(2)}`, email: PERSON.email, password: 'short' });
    expect(bad.statusCode).toBe(400);
    const badForm = await post(stack, alice, '/cases', { serviceCode: service.code, form: { purpose: PERSON.purpose, copies: 9, address: PERSON.address }, documents: [] });
    expect(badForm.statusCode, badForm.body).toBe(400);

    // A registration: a wrong code, then the right one; sign in.
    const started = ok(await post(stack, undefined, '/identity/registrations', { name: PERSON.name, phone: PERSON.phoneTyped, email: PERSON.email, password: PERSON.password }), 201);
    const code = await lastCode(stack, PERSON.phone);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect((await post(stack, undefined, `/identity/registrations/${started.number}/code`, { accountId: started.accountId, code: wrong })).statusCode).toBe(400);
    ok(await post(stack, undefined, `/identity/registrations/${started.number}/code`, { accountId: started.accountId, code }), 200);
    const { token } = ok(await post(stack, undefined, '/auth/login', { login: PERSON.phone, password: PERSON.password }), 200);
    expect((await post(stack, undefined, '/auth/login', { login: PERSON.email, password: PERSON.password })).statusCode).toBe(401);

    // Passport, SNILS, INN and birth date, checked by the worker against the registry. Its
    // first attempts to bind the SNILS fail on a CHECK constraint: the driver's error quotes
    // the whole account row, and the Temporal SDK logs the failed activity.
    await stack.database.sql.unsafe(`alter table accounts add constraint log_probe_snils check (snils is null or name <> '${PERSON.name}')`);
    const upgrade = { snils: PERSON.snils, passportSeries: PERSON.passportSeries, passportNumber: PERSON.passportNumber, birthDate: PERSON.birthDate, citizenship: 'RU', inn: PERSON.inn };
    const raised = ok(await withToken(stack, token, { method: 'POST', url: '/identity/upgrades/standard', payload: upgrade }), 202);
    await expect.poll(() => lines().some((l) => JSON.stringify(l).includes('log_probe_snils')), { timeout: 30_000 }).toBe(true);
    await stack.database.sql`alter table accounts drop constraint log_probe_snils`;
    await expect
      .poll(async () => (await withToken(stack, token, { method: 'GET', url: `/cases/${raised.number}` })).json().status, { timeout: 60_000 })
      .toBe('confirmed');

    // An application with a scan, a request for information, an answer and a decision.
    const scan = ok(await stack.upload(alice, 'passport', pdfScan(1777), PERSON.fileName), 201);
    const filed = ok(await post(stack, alice, '/cases', { serviceCode: service.code, form: { purpose: PERSON.purpose, copies: 1, address: PERSON.address }, documents: [scan.id] }), 201);
    await officially(stack, rita, filed.number, 'claim');
    await officially(stack, rita, filed.number, 'request-info', { message: PERSON.request, dueDays: 10 });
    ok(await act(stack, alice, filed.number, 'answer', { comment: PERSON.answer, documents: [] }), 200);
    await officially(stack, rita, filed.number, 'decide', { outcome: 'approve', comment: `Выдать ${PERSON.name}` });
    await eventually(stack, alice, filed.number, 'completed');
    expect((await detail(stack, alice, filed.number)).status).toBe('completed');
    // Someone else's case: a refused read.
    expect((await get(stack, bob, `/cases/${filed.number}`)).statusCode).toBe(404);

    // A database error that quotes the failing row (name, phone, e-mail, password hash).
    await stack.database.sql.unsafe(`alter table accounts add constraint log_probe_name check (name <> '${FAILING_NAME}')`);
    const failed = await post(stack, undefined, '/identity/registrations', { name: FAILING_NAME, email: FAILING_EMAIL, password: PERSON.password });
    expect(failed.statusCode).toBe(500);
    expect(failed.json().detail).toBe('an unexpected error occurred; it has been logged');
    await stack.database.sql`alter table accounts drop constraint log_probe_name`;

    const written = lines();
    const logs = `${output.api}\n${output.worker}`;
    const secrets = [
      ...Object.values(PERSON),
      PERSON.phone.slice(2),
      PERSON.passportNumber,
      PERSON.snils.replace(/\D/g, ''),
      code,
      wrong,
      'Зыкин',
      'Гончарная',
      FAILING_NAME,
      FAILING_EMAIL,
    ];
    // Digits alone are matched whole: a timestamp may hold any six digits in a row.
    for (const value of secrets) {
      const found = /^\d+$/.test(value) ? new RegExp(`(^|\\D)${value}(\\D|$)`).test(logs) : logs.includes(value);
      expect(found, `"${value}" is in the logs`).toBe(false);
    }

    // Still useful: every request has its line with route, status and timing; the 500 names the error by type, code and constraint.
    const requests = written.filter((l) => l.msg === 'request');
    const failedRequest = requests.find((l) => l.route === '/identity/registrations' && l.status === 500);
    expect(failedRequest).toMatchObject({ method: 'POST', reqId: expect.any(String), ms: expect.any(Number) });
    const ofCase = requests.filter((l) => l.caseNumber === filed.number);
    expect(ofCase.length).toBeGreaterThan(3);
    // Reads answered well are logged at debug (this stack logs at debug), actions and refusals at info.
    const levels = (method: string, ok: boolean) => new Set(ofCase.filter((l) => l.method === method && (Number(l.status) < 400) === ok).map((l) => l.level));
    expect(levels('GET', true)).toEqual(new Set([20]));
    expect(levels('GET', false)).toEqual(new Set([30]));
    expect(levels('POST', true)).toEqual(new Set([30]));
    expect(failedRequest?.level).toBe(30);
    // The request's own line about its failure names the same request as its closing line.
    expect(written.find((l) => l.msg === 'request failed')?.reqId).toBe(failedRequest?.reqId);
    const crash = written.find((l) => l.msg === 'request failed')?.err as { stack?: string; cause?: Record<string, unknown> } | undefined;
    // drizzle wraps the driver's error; either way the database's own facts are kept.
    const database = crash && ('cause' in crash ? crash.cause : crash);
    expect(database).toMatchObject({ type: 'PostgresError', code: '23514', constraint_name: 'log_probe_name', table_name: 'accounts' });
    expect(crash?.stack).toMatch(/^at /);
    // The worker's failed activity: the database error by its facts.
    const activityFailed = written.find((l) => l.component === 'temporal' && JSON.stringify(l).includes('log_probe_snils'));
    expect(JSON.stringify(activityFailed)).toMatch(/"code":"23514"/);
    // The worker's lines are there too (the Temporal SDK's among them).
    expect(written.some((l) => l.msg === 'worker started')).toBe(true);
    expect(written.some((l) => l.component === 'temporal' && typeof l.workflowId === 'string')).toBe(true);
  });
});
