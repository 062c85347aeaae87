/**
 * Read your writes, action by action: every action of every case kind over HTTP, each
 * answer compared with the GET that follows it at once (no polling). The answer states the
 * case after the action and everything it set off (a result issued, a passport written, a
 * vehicle released, the contested case acting on an appeal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { seedDemoVehicles } from '../../db/seed';
import { createSimulatedRegistry } from '../../identity/registry';
import { createTestCa, issueTestCertificate, type TestCa, type TestCertificate } from '../support/certificates';
import { HONDA, LADA } from '../support/fixtures';
import { detail, FORM, get, lastCode, lastLetterCode, post, requestChange, type Answer, type Change } from '../support/http';
import { alice, bob, erik, igor, olga, rita, rob, sam } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let stack: Stack;
let ca: TestCa;
let aliceCert: TestCertificate;
let bobCert: TestCertificate;
// Slow enough that a GET right after the filing finds the check still running.
const registry = createSimulatedRegistry({ latencyMs: 1500, failureRate: 0 });
const free = testService();
const paid = testService({ fee: { base: 700, byField: { field: 'urgency', amounts: { urgent: 1000 } } } });

beforeAll(async () => {
  ca = await createTestCa();
  aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
  bobCert = await issueTestCertificate(ca, { name: 'Борис', snils: '11223344596' });
  stack = await startStack({ registry, trust: { caPem: ca.pem } });
  for (const s of [free, paid]) await stack.addService(s);
  await seedDemoVehicles(stack.database.db);
  for (const [who, cert] of [[alice, aliceCert], [bob, bobCert]] as const) {
    const res = await post(stack, who, '/certificates', { certificatePem: cert.pem });
    expect(res.statusCode, res.body).toBe(201);
  }
});
afterAll(async () => stack?.close());

/** The answer, checked against the read that follows it; `reader` reads it back. */
async function answered(res: { statusCode: number; body: string; json(): unknown }, reader: Principal): Promise<Answer> {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const answer = res.json() as Answer;
  const next = await detail(stack, reader, answer.number);
  expect({ number: next.number, status: next.status, version: next.version }, `read after ${answer.status}`).toEqual({
    number: answer.number,
    status: answer.status,
    version: answer.version,
  });
  if (answer.contested) {
    const contested = await detail(stack, reader.role === 'citizen' ? reader : alice, answer.contested.number);
    expect({ number: contested.number, status: contested.status, version: contested.version }).toEqual(answer.contested);
  }
  return answer;
}

/** An action on a case by `as`, based on the version the last answer gave. */
const act = (as: Principal, last: Answer, action: string, payload: object = {}, reader: Principal = as) =>
  post(stack, as, `/cases/${last.number}/${action}`, { version: last.version, ...payload }).then((res) => answered(res, reader));
const file = (serviceCode: string, form: object = FORM) =>
  post(stack, alice, '/cases', { serviceCode, form, documents: [] }).then((res) => answered(res, alice));

describe('applications', () => {
  it('filing, editing, paying, cancelling, restoring, the desk and an approval that issues the result', async () => {
    let c = await file(paid.code, { purpose: 'для работы', copies: 1, urgency: 'urgent' });
    expect(c).toMatchObject({ status: 'awaiting_payment', version: 1 });
    c = await act(alice, c, 'edit', { form: { purpose: 'для работы', copies: 2 }, documents: [] });
    expect(c.status).toBe('awaiting_payment');

    const invoice = (await detail(stack, alice, c.number)).fee.invoice as { id: string; amount: number };
    const paidRes = await stack.signedPost('/payments/callback', stack.config.auth.paymentWebhookSecret, {
      invoiceId: invoice.id,
      amount: invoice.amount,
      transactionId: `tx-${c.number}`,
      paidAt: new Date().toISOString(),
    });
    // A gateway's callback is a signal: it states no case status, the citizen polls.
    expect(paidRes.statusCode, paidRes.body).toBe(202);
    await expect.poll(async () => (await detail(stack, alice, c.number)).status, { timeout: 10_000, interval: 50 }).toBe('submitted');
    c = { ...c, version: (await detail(stack, alice, c.number)).version };

    c = await act(alice, c, 'cancel');
    expect(c.status).toBe('cancelled');
    c = await act(alice, c, 'restore');
    expect(c.status).toBe('submitted');
    c = await act(rita, c, 'claim');
    expect(c.status).toBe('in_review');
    c = await act(sam, c, 'assign', { assigneeId: 'rob' });
    c = await act(rob, c, 'request-info', { message: 'Приложите копию паспорта' });
    expect(c.status).toBe('awaiting_info');
    const { version: _v, ...answer } = { version: 0, comment: 'Копия приложена', documents: [] };
    c = await post(stack, alice, `/cases/${c.number}/answer`, answer).then((res) => answered(res, alice));
    expect(c.status).toBe('in_review');
    c = await act(rob, c, 'decide', { outcome: 'approve', comment: 'Оснований для отказа нет' });
    // The approval's answer is the case with its result: what the next read shows.
    expect(c.status).toBe('completed');
    const done = await detail(stack, alice, c.number);
    expect(done.result).toMatchObject({ verificationCode: expect.any(String), issuedAt: expect.stringMatching(ISO_UTC) });
    expect(done.closedAt).toMatch(ISO_UTC);
  });

  it('approvals in a row, each answered with the completed case', async () => {
    for (let i = 0; i < 4; i++) {
      let c = await file(free.code);
      c = await act(rita, c, 'claim');
      c = await act(rita, c, 'decide', { outcome: 'approve', comment: 'Одобрено' });
      expect(c.status).toBe('completed');
    }
  });

  it('a rejection and the re-sent case', async () => {
    let c = await file(free.code);
    c = await act(rita, c, 'claim');
    c = await act(rita, c, 'decide', { outcome: 'reject', reasonCode: 'invalid_documents', comment: 'Нечитаемо' });
    expect(c.status).toBe('rejected');
    const resent = await post(stack, alice, `/cases/${c.number}/resend`, {}).then((res) => answered(res, alice));
    expect(resent.status).toBe('submitted');
    expect((await detail(stack, alice, c.number)).resentAs).toBe(resent.number);
  });
});

describe('appeals', () => {
  const rejected = async () => {
    let c = await file(free.code);
    c = await act(rita, c, 'claim');
    return act(rita, c, 'decide', { outcome: 'reject', reasonCode: 'not_eligible', comment: 'Не положено' });
  };
  const appeal = async (contested: Answer, payload: object = {}) => {
    const filed = await post(stack, alice, `/cases/${contested.number}/appeals`, { ground: 'rejection', reasons: 'Основания были', ...payload }).then((res) =>
      answered(res, alice),
    );
    // Filing changes the contested case too: it is under appeal.
    expect(filed.contested).toMatchObject({ number: contested.number, status: 'rejected' });
    expect((await detail(stack, alice, contested.number)).underAppeal).toBe(filed.number);
    return filed;
  };

  it('the desk, and an upheld appeal that reopens the case: both cases as the next reads show them', async () => {
    const a = await rejected();
    let j = await appeal(a);
    expect(j.status).toBe('submitted');
    j = await act(erik, j, 'claim');
    j = await act(erik, j, 'request-info', { message: 'Пришлите решение' });
    j = await post(stack, alice, `/cases/${j.number}/answer`, { comment: 'Вот оно', documents: [] }).then((res) => answered(res, alice));
    expect(j.status).toBe('in_review');
    j = await act(erik, j, 'appeal-decision', { outcome: 'upheld', remedy: 'reopen', reasons: 'Отказ не обоснован' });
    expect(j.status).toBe('upheld');
    expect(j.contested).toMatchObject({ number: a.number, status: 'reopened' });
    // The reopened application goes on as any other.
    let reopened = { ...j.contested! };
    reopened = await act(rob, reopened, 'claim');
    reopened = await act(rob, reopened, 'decide', { outcome: 'approve', comment: 'Пересмотрено' });
    expect(reopened.status).toBe('completed');
  });

  it('an upheld appeal that replaces the rejection: the contested case answers with its result issued', async () => {
    const a = await rejected();
    let j = await appeal(a);
    j = await act(erik, j, 'claim');
    j = await act(erik, j, 'appeal-decision', { outcome: 'upheld', remedy: 'replace', reasons: 'Заявитель имеет право' });
    expect(j.contested).toMatchObject({ number: a.number, status: 'completed' });
  });

  it('a dismissal and a withdrawal', async () => {
    const a = await rejected();
    let j = await appeal(a);
    j = await act(erik, j, 'claim');
    j = await act(erik, j, 'appeal-decision', { outcome: 'dismissed', reasons: 'Отказ обоснован' });
    expect(j).toMatchObject({ status: 'dismissed', contested: { number: a.number, status: 'rejected' } });

    const b = await rejected();
    const k = await appeal(b);
    const withdrawn = await act(alice, k, 'withdraw');
    expect(withdrawn).toMatchObject({ status: 'withdrawn', contested: { number: b.number, status: 'rejected' } });
  });
});

describe('passport changes', () => {
  const change = (as: Principal, cert: TestCertificate, vin: string, body: Change) =>
    requestChange(stack, as, vin, { ...body, documents: [] }, cert).then((res) => answered(res, as));
  const vehicleOf = async (as: Principal, vin: string) => (await get(stack, as, `/vehicles/${vin}`)).json();

  it('a plate change approved: the passport is written and the vehicle free for the next change when the answer comes', async () => {
    let e = await change(alice, aliceCert, LADA, { kind: 'plate', payload: { plate: 'м123ор 77' } });
    expect(e.status).toBe('submitted');
    e = await act(igor, e, 'claim', {}, alice);
    e = await act(igor, e, 'decide', { outcome: 'approve', comment: 'Проверено' }, alice);
    expect(e.status).toBe('completed');
    expect(await vehicleOf(alice, LADA)).toMatchObject({ currentVersion: 2, openChange: null });
  });

  it('a sale confirmed by the buyer and approved: the car is the buyer’s when the answer comes', async () => {
    let e = await change(bob, bobCert, HONDA, { kind: 'sale', payload: { buyerId: 'alice', contractDate: '2026-11-20' } });
    expect(e.status).toBe('awaiting_buyer');
    const form = await post(stack, bob, `/vehicles/${HONDA}/signing-form`, {
      kind: 'sale',
      payload: { buyerId: 'alice', contractDate: '2026-11-20' },
      basedOnVersion: (await vehicleOf(bob, HONDA)).currentVersion,
      documents: [],
    });
    const signature = (await aliceCert.sign(Buffer.from(form.json().base64, 'base64'))).toString('base64');
    e = await post(stack, alice, `/cases/${e.number}/confirm-sale`, { signature }).then((res) => answered(res, bob));
    expect(e.status).toBe('submitted');
    e = await act(igor, e, 'claim', {}, bob);
    e = await act(igor, e, 'decide', { outcome: 'approve', comment: 'Сделка проверена' }, bob);
    expect(e.status).toBe('completed');
    expect((await vehicleOf(alice, HONDA)).passport.owners.at(-1)).toMatchObject({ ownerId: 'alice' });
  });

  it('a withdrawn change frees the vehicle at once', async () => {
    let e = await change(alice, aliceCert, LADA, { kind: 'technical', payload: { technical: { color: 'синий' } } });
    e = await act(alice, e, 'withdraw');
    expect(e.status).toBe('withdrawn');
    expect((await vehicleOf(alice, LADA)).openChange).toBeNull();
  });
});

describe('identity cases', () => {
  it('registration, a restart, the code; the standard check; confirmation in person and by letter; a changed e-mail', async () => {
    const phone = '+79125557001';
    const started = await post(stack, undefined, '/identity/registrations', { name: 'Вера Новикова', phone, password: 'Secret123' });
    const accountId = started.json().accountId as string;
    const citizen: Principal = { id: accountId, role: 'citizen', level: 'simplified' };
    let r = await answered(started, citizen);
    expect(r.status).toBe('awaiting_code');
    r = await post(stack, undefined, `/identity/registrations/${r.number}/restart`, { accountId, channel: 'sms' }).then((res) => answered(res, citizen));
    r = await post(stack, undefined, `/identity/registrations/${r.number}/code`, { accountId, code: await lastCode(stack, '+79125557001') }).then((res) =>
      answered(res, citizen),
    );
    expect(r.status).toBe('confirmed');
    expect((await detail(stack, citizen, r.number)).statusLabel).toBe('Подтверждено');

    const standard = await post(stack, citizen, '/identity/upgrades/standard', {
      snils: '789-012-345 23',
      passportSeries: '4511',
      passportNumber: '222333',
      birthDate: '1988-03-03',
      citizenship: 'RU',
    }).then((res) => answered(res, citizen));
    expect(standard.status).toBe('checking');
    // The registries answer later, on their own: the citizen polls for that.
    await expect.poll(async () => (await detail(stack, citizen, standard.number)).status, { timeout: 15_000, interval: 100 }).toBe('confirmed');

    const upgraded: Principal = { ...citizen, level: 'standard' };
    const inPerson = await post(stack, upgraded, '/identity/upgrades/confirmed', { method: 'in_person', place: 'МФЦ на Тверской' }).then((res) =>
      answered(res, upgraded),
    );
    const decided = await post(stack, olga, `/identity/in-person/${inPerson.number}/decision`, {
      decision: 'refuse',
      office: 'МФЦ на Тверской',
      reason: 'Паспорт просрочен',
      version: inPerson.version,
    }).then((res) => answered(res, upgraded));
    expect(decided.status).toBe('refused');

    const address = '190000, Санкт-Петербург, Невский пр., д. 5';
    const letter = await post(stack, upgraded, '/identity/upgrades/confirmed', { method: 'letter', place: address }).then((res) => answered(res, upgraded));
    const entered = await post(stack, upgraded, `/identity/upgrades/confirmed/${letter.number}/letter-code`, { code: await lastLetterCode(stack, address) }).then((res) =>
      answered(res, upgraded),
    );
    expect(entered.status).toBe('confirmed');

    // A changed e-mail: the code's answer is the case and the contacts as the next reads show them.
    const email = 'vera.novikova@example.ru';
    const change = await post(stack, upgraded, '/me/contacts', { email }).then((res) => answered(res, upgraded));
    expect(change.status).toBe('awaiting_code');
    const changed = await post(stack, upgraded, `/me/contacts/${change.number}/code`, { code: await lastCode(stack, email) });
    expect((await answered(changed, upgraded)).status).toBe('confirmed');
    expect(changed.json().contacts).toEqual((await get(stack, upgraded, '/me/contacts')).json());
  });
});
