import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';
import { checkJournalChain } from '../../db/queries/journal-chain';
import { createSimulatedRegistry } from '../../identity/registry';
import { signPayload } from '../../lib/hmac-signature';
import { createTrust } from '../../signatures/trust';
import { createX509Verifier } from '../../signatures/verifier';
import { createTestCa, issueTestCertificate, type TestCa } from '../support/certificates';
import { testPayloadCodec } from '../support/codec';
import { historyText, recordHistory } from '../support/histories';
import { lastCode, lastLetterCode, post, withToken } from '../support/http';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
let ca: TestCa;
const revoked = new Set<string>();
// The registries are down for the first two calls: the check must be retried.
const registry = createSimulatedRegistry({ latencyMs: 5, failureRate: 0, failFirst: 2 });
const simple = testService({ minLevel: 'simplified' });
const needsConfirmed = testService({ minLevel: 'confirmed' });
/** Two online banks, each with its own key. */
const BANKS = {
  sber: { name: 'Сбербанк', secret: 'sber-callback-test-secret-0001' },
  tbank: { name: 'Т-Банк', secret: 'tbank-callback-test-secret-002' },
};

beforeAll(async () => {
  ca = await createTestCa();
  stack = await startStack({
    env: { BANKS: JSON.stringify(BANKS) },
    registry,
    verifier: createX509Verifier(createTrust({ trustedCaPems: [ca.pem], isRevoked: async (serial) => revoked.has(serial) })),
  });
  for (const s of [simple, needsConfirmed]) await stack.addService(s);
});
afterAll(async () => stack?.close());

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('registration with a one-time code', () => {
  it('registers by phone, confirms the code, signs in at level simplified and files a service', async () => {
    const phone = '+7 (912) 555-01-01';
    const started = await post(stack, undefined, '/identity/registrations', { name: 'Анна Петрова', phone, password: 'Secret123' });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId, attemptsLeft } = started.json();
    expect(attemptsLeft).toBe(3);

    const pendingLogin = await post(stack, undefined, '/auth/login', { login: phone, password: 'Secret123' });
    expect(pendingLogin.statusCode).toBe(403);

    const code = await lastCode(stack, '+79125550101');
    const bad = await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code: wrong(code) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ detail: 'wrong code; 2 attempt(s) left', errors: [{ path: '/body/code' }] });
    const good = await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code });
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json()).toMatchObject({ status: 'confirmed', accepted: true });

    expect((await post(stack, undefined, '/auth/login', { login: phone, password: 'Wrong1234' })).statusCode).toBe(401);
    const login = await post(stack, undefined, '/auth/login', { login: '+79125550101', password: 'Secret123' });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json()).toMatchObject({ accountId, level: 'simplified' });
    const token = login.json().token as string;

    const form = { purpose: 'проверка', copies: 1 };
    const filed = await withToken(stack, token, { method: 'POST', url: '/cases', payload: { serviceCode: simple.code, form, documents: [] } });
    expect(filed.statusCode, filed.body).toBe(201);
    const refused = await withToken(stack, token, { method: 'POST', url: '/cases', payload: { serviceCode: needsConfirmed.code, form, documents: [] } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ levelRequired: 'confirmed', level: 'simplified' });
    expect(refused.json().detail).toMatch(/needs a confirmed account; yours is simplified\. Confirm your passport and SNILS: POST \/identity\/upgrades\/standard/);

    // The registration is a case of its own in the citizen's list, journaled with client addresses.
    const rows = await stack.database.sql`select type, client_address from journal where case_number = ${number} order by seq`;
    expect(rows.map((r) => r.type)).toEqual(['registration_started', 'code_sent', 'code_rejected', 'code_accepted']);
    expect(rows.every((r) => r.client_address === '127.0.0.1')).toBe(true);
    await recordHistory(stack.client, number, 'registration-confirmed');
  });

  it('locks after three wrong codes, then restarts on the other channel', async () => {
    const started = await post(stack, undefined, '/identity/registrations', {
      name: 'Иван Сидоров',
      phone: '+7 912 555 02 02',
      email: 'Ivan.Sidorov@example.ru',
      password: 'Passw0rdX',
    });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId } = started.json();
    const code = await lastCode(stack, '+79125550202');
    for (let i = 0; i < 3; i++) await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code: wrong(code) });
    const locked = await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code });
    expect(locked.statusCode).toBe(409);
    expect(locked.json().detail).toMatch(/locked/);

    const restarted = await post(stack, undefined, `/identity/registrations/${number}/restart`, { accountId, channel: 'email' });
    expect(restarted.statusCode, restarted.body).toBe(200);
    expect(restarted.json()).toMatchObject({ status: 'awaiting_code', attemptsLeft: 3 });
    const emailed = await lastCode(stack, 'ivan.sidorov@example.ru');
    const ok = await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code: emailed });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await post(stack, undefined, '/auth/login', { login: 'ivan.sidorov@example.ru', password: 'Passw0rdX' })).statusCode).toBe(200);
    await recordHistory(stack.client, number, 'registration-locked-restarted');
  });

  it('refuses bad input by field and rule, a phone another account confirmed, and strangers entering codes', async () => {
    const bad = await post(stack, undefined, '/identity/registrations', { name: 'Пётр', phone: '8 912 555 03 03', password: 'short' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([
      { path: '/body/phone', message: 'phone is +7 followed by 10 digits, e.g. +7 912 345-67-89' },
      { path: '/body/password', message: 'password has at least 8 characters' },
    ]);
    const none = await post(stack, undefined, '/identity/registrations', { name: 'Пётр', password: 'Secret123' });
    expect(none.json().errors[0]).toEqual({ path: '/body', message: 'a phone or an e-mail is required' });

    const first = await post(stack, undefined, '/identity/registrations', { name: 'Ольга', phone: '+79125550404', password: 'Secret123' });
    expect(first.statusCode).toBe(201);
    const confirmed = await post(stack, undefined, `/identity/registrations/${first.json().number}/code`, {
      accountId: first.json().accountId,
      code: await lastCode(stack, '+79125550404'),
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const again = await post(stack, undefined, '/identity/registrations', { name: 'Ольга 2', phone: '+7 912 555-04-04', password: 'Secret123' });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toMatch(/phone number already belongs to an account/);

    const stranger = await post(stack, undefined, `/identity/registrations/${first.json().number}/code`, {
      accountId: '00000000-0000-4000-8000-000000000000',
      code: '123456',
    });
    expect(stranger.statusCode).toBe(404);
    // Codes and passwords never reach a response or the projection.
    const [row] = await stack.database.sql`select detail::text as d from cases where number = ${first.json().number}`;
    expect(row!.d).not.toMatch(/\d{6}"|Secret/);
  });
});

/** A citizen with a confirmed phone, signed in: their bearer token. */
async function simplifiedCitizen(phone: string): Promise<{ token: string; accountId: string }> {
  const started = await post(stack, undefined, '/identity/registrations', { name: 'Гражданин Тестовый', phone, password: 'Secret123' });
  expect(started.statusCode, started.body).toBe(201);
  const { number, accountId } = started.json();
  const confirmed = await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code: await lastCode(stack, phone) });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  const login = await post(stack, undefined, '/auth/login', { login: phone, password: 'Secret123' });
  return { token: login.json().token, accountId };
}

const upgrade = (token: string, body: object) =>
  withToken(stack, token, { method: 'POST', url: '/identity/upgrades/standard', payload: body });

async function finalStatus(token: string, number: string): Promise<Record<string, unknown>> {
  let detail: Record<string, unknown> = {};
  await expect
    .poll(
      async () => {
        detail = (await withToken(stack, token, { method: 'GET', url: `/cases/${number}` })).json();
        return detail.status;
      },
      { timeout: 30_000, interval: 250 },
    )
    .not.toBe('checking');
  return detail;
}

describe('raising an account to standard', () => {
  const person = { snils: '112-233-445 95', passportSeries: '45 06', passportNumber: '123456', birthDate: '1985-04-12', citizenship: 'RU' };

  it('checks passport and SNILS against a registry that fails twice first, then raises the level', async () => {
    const { token } = await simplifiedCitizen('+79125551001');
    const started = await upgrade(token, person);
    expect(started.statusCode, started.body).toBe(202);
    const { number, status } = started.json();
    expect(status).toBe('checking');
    const detail = await finalStatus(token, number);
    expect(detail).toMatchObject({ status: 'confirmed', kind: 'identity', levelRequested: 'standard', method: 'registry_check' });
    expect(registry.calls).toBeGreaterThanOrEqual(3);
    const relogin = await post(stack, undefined, '/auth/login', { login: '+79125551001', password: 'Secret123' });
    expect(relogin.json().level).toBe('standard');
    // No personal data in the workflow's history: the check reads it from the database.
    const history = await historyText(stack.client, number, { codec: testPayloadCodec });
    expect(history).not.toMatch(/112-233-445|123456/);
    await recordHistory(stack.client, number, 'standard-upgrade-confirmed');
  });

  it('refuses a SNILS already confirmed for another account, leaving that account untouched', async () => {
    const { token } = await simplifiedCitizen('+79125551002');
    const dup = await upgrade(token, person);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().detail).toMatch(/already confirmed for another account/);
    const [holder] = await stack.database.sql`select level from accounts where snils = '112-233-445 95'`;
    expect(holder!.level).toBe('standard');
  });

  it('names the field and the rule of every bad checksum or format', async () => {
    const { token } = await simplifiedCitizen('+79125551003');
    const bad = await upgrade(token, { ...person, snils: '112-233-445 96', passportSeries: '45', birthDate: '2020-02-30', inn: '500100732258' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([
      { path: '/body/snils', message: 'SNILS control number does not match' },
      { path: '/body/passportSeries', message: 'passport series is 4 digits, e.g. 45 06' },
      { path: '/body/birthDate', message: 'no such calendar date' },
      { path: '/body/inn', message: 'INN control digits do not match' },
    ]);
    const young = await upgrade(token, { ...person, birthDate: new Date().toISOString().slice(0, 10), inn: '7707083893' });
    expect(young.json().errors).toEqual([
      { path: '/body/birthDate', message: expect.stringMatching(/^date must not be after/) },
      { path: '/body/inn', message: 'a person has a 12-digit INN' },
    ]);
    const unknown = await upgrade(token, { ...person, snils: '123-456-789 64', passportNumber: '000000' });
    expect(unknown.statusCode, unknown.body).toBe(202);
    const detail = await finalStatus(token, unknown.json().number);
    expect(detail).toMatchObject({ status: 'rejected', reason: 'the passport is not found in the MVD registry' });
    expect((await post(stack, undefined, '/auth/login', { login: '+79125551003', password: 'Secret123' })).json().level).toBe('simplified');
    await recordHistory(stack.client, unknown.json().number, 'standard-upgrade-rejected');
  });
});

/** A citizen whose passport and SNILS the registries confirmed, signed in again. */
async function standardCitizen(phone: string, snils: string): Promise<{ token: string; accountId: string }> {
  const { token, accountId } = await simplifiedCitizen(phone);
  const started = await upgrade(token, { snils, passportSeries: '4510', passportNumber: '654321', birthDate: '1979-09-30', citizenship: 'RU' });
  expect(started.statusCode, started.body).toBe(202);
  expect((await finalStatus(token, started.json().number)).status).toBe('confirmed');
  const login = await post(stack, undefined, '/auth/login', { login: phone, password: 'Secret123' });
  expect(login.json().level).toBe('standard');
  return { token: login.json().token, accountId };
}

/** Asks to be raised to confirmed by `method`; the raw answer. */
const confirmBy = (token: string, method: string, place: string) =>
  withToken(stack, token, { method: 'POST', url: '/identity/upgrades/confirmed', payload: { method, place } });

describe('raising an account to confirmed', () => {
  it('in person: an operator checks the documents and confirms', async () => {
    const { token } = await standardCitizen('+79125552001', '234-567-890 99');
    const started = await confirmBy(token, 'in_person', 'МФЦ «Мои документы», Тверская 8');
    expect(started.statusCode, started.body).toBe(202);
    const { number } = started.json();

    const operator = await stack.token({ id: 'operator-7', role: 'operator' });
    const view = await withToken(stack, operator, { method: 'GET', url: `/identity/in-person/${number}` });
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json()).toMatchObject({ citizenName: 'Гражданин Тестовый', status: 'awaiting_confirmation' });
    expect(Object.keys(view.json()).sort()).toEqual(['citizenName', 'expiresAt', 'number', 'status', 'version']);
    // A citizen cannot confirm themselves.
    expect((await withToken(stack, token, { method: 'POST', url: `/identity/in-person/${number}/decision`, payload: { decision: 'confirm', office: 'x', version: 1 } })).statusCode).toBe(403);

    const decided = await withToken(stack, operator, {
      method: 'POST',
      url: `/identity/in-person/${number}/decision`,
      payload: { decision: 'confirm', office: 'МФЦ Тверская', version: view.json().version },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json().status).toBe('confirmed');
    const relogin = await post(stack, undefined, '/auth/login', { login: '+79125552001', password: 'Secret123' });
    expect(relogin.json().level).toBe('confirmed');
    const filed = await withToken(stack, relogin.json().token, {
      method: 'POST',
      url: '/cases',
      payload: { serviceCode: needsConfirmed.code, form: { purpose: 'теперь можно', copies: 1 }, documents: [] },
    });
    expect(filed.statusCode, filed.body).toBe(201);
    await recordHistory(stack.client, number, 'confirmed-in-person');
  });

  it('online bank: only the bank of the request, signing with its own key, fresh and once, confirms; what a bank signed and was refused is journaled', async () => {
    const { token } = await standardCitizen('+79125552002', '345-678-901 23');
    const unknownBank = await confirmBy(token, 'bank', 'Сбербанк Онлайн');
    expect(unknownBank.statusCode).toBe(400);
    expect(unknownBank.json().errors).toEqual([{ path: '/body/place', message: "the bank's id, one of: sber, tbank" }]);
    const started = await confirmBy(token, 'bank', 'sber');
    expect(started.statusCode, started.body).toBe(202);
    const { number } = started.json();
    const body = { eventId: 'sber-ev-1', sentAt: new Date().toISOString(), caseNumber: number, confirmed: true, reference: 'sb-42' };
    const refused = async () => (await stack.database.sql`select actor_id, summary from journal where case_number = ${number} and type = 'bank_callback_refused' order by seq`).map((r) => `${r.actor_id}: ${r.summary}`);
    const problem = (res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> }, status: number, reason?: string) => {
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      if (reason) expect(res.json().reason).toBe(reason);
      return res.json().detail;
    };

    // Signed by no bank: refused, and nothing is written to the citizen's case.
    problem(await stack.signedPost('/identity/banks/sber/callback', 'not-the-bank-secret-at-all', body), 401);
    // The other bank's key on this bank's address; the other bank on its own address, for this bank's request.
    expect(problem(await stack.signedPost('/identity/banks/sber/callback', BANKS.tbank.secret, body), 401, 'another_banks_key')).toBe(
      'the callback is signed with the key of bank "tbank", not of bank "sber"',
    );
    expect(problem(await stack.signedPost('/identity/banks/tbank/callback', BANKS.tbank.secret, body), 403, 'another_banks_request')).toBe(
      `request ${number} is confirmed through another bank`,
    );
    // Sent an hour ago: a replay of an old callback.
    const stale = { ...body, eventId: 'sber-ev-0', sentAt: new Date(Date.now() - 3_600_000).toISOString() };
    expect(problem(await stack.signedPost('/identity/banks/sber/callback', BANKS.sber.secret, stale), 401, 'stale_callback')).toMatch(/more than 300 s from now/);
    // No such bank, no such request.
    for (const bank of ['nobank', '__proto__', 'constructor']) problem(await stack.signedPost(`/identity/banks/${bank}/callback`, BANKS.sber.secret, body), 404);
    problem(await stack.signedPost('/identity/banks/sber/callback', BANKS.sber.secret, { ...body, caseNumber: 'I-2026-9999999' }), 404);
    await expect.poll(refused, { timeout: 15_000 }).toHaveLength(3);
    expect(await refused()).toEqual([
      'bank:tbank: A callback to the address of Сбербанк signed with the key of Т-Банк was refused',
      `bank:tbank: A callback of Т-Банк (event sber-ev-1) was refused: request ${number} is confirmed through another bank`,
      expect.stringMatching(/^bank:sber: A callback of Сбербанк \(event sber-ev-0\) was refused: the callback was sent at/),
    ]);
    expect((await withToken(stack, token, { method: 'GET', url: `/cases/${number}` })).json().status).toBe('awaiting_confirmation');

    const signed = await stack.signedPost('/identity/banks/sber/callback', BANKS.sber.secret, body);
    expect(signed.statusCode, signed.body).toBe(202);
    // A callback is a signal: nobody waits for it, the citizen polls.
    await expect
      .poll(async () => (await withToken(stack, token, { method: 'GET', url: `/cases/${number}` })).json().status, {
        timeout: 15_000,
      })
      .toBe('confirmed');
    expect((await post(stack, undefined, '/auth/login', { login: '+79125552002', password: 'Secret123' })).json().level).toBe('confirmed');
    const rows = await stack.database.sql`select type, summary from journal where case_number = ${number} order by seq`;
    expect(rows.find((r) => r.type === 'level_granted')?.summary).toMatch(/^Identity confirmed by Сбербанк \(ref\. sb-42\)/);

    // The same event again is refused, and journaled on the case whose workflow has ended.
    await stack.client.workflow.getHandle(caseWorkflowId(number)).result();
    expect(problem(await stack.signedPost('/identity/banks/sber/callback', BANKS.sber.secret, body), 409, 'replayed_event')).toBe('event sber-ev-1 reached its case before');
    await expect.poll(refused, { timeout: 15_000 }).toHaveLength(4);
    expect((await refused())[3]).toBe('bank:sber: A callback of Сбербанк (event sber-ev-1) was refused: event sber-ev-1 reached its case before');
    expect((await checkJournalChain(stack.database.db, number))?.firstMismatch).toBeNull();
    await recordHistory(stack.client, number, 'confirmed-by-bank-after-refusals');
  });

  it('online bank: a delivery retried with its Idempotency-Key gets the first answer again', async () => {
    const { token } = await standardCitizen('+79125552007', '789-012-345 23');
    const { number } = (await confirmBy(token, 'bank', 'tbank')).json();
    const payload = JSON.stringify({ eventId: 'tb-1', sentAt: new Date().toISOString(), caseNumber: number, confirmed: false, reference: 'tb-9' });
    const deliver = () =>
      stack.app.inject({
        method: 'POST',
        url: '/identity/banks/tbank/callback',
        payload,
        headers: { 'content-type': 'application/json', 'x-signature': signPayload(BANKS.tbank.secret, payload), 'idempotency-key': 'tbank-delivery-0001' },
      });
    expect((await deliver()).statusCode).toBe(202);
    const again = await deliver();
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await expect.poll(async () => (await withToken(stack, token, { method: 'GET', url: `/cases/${number}` })).json(), { timeout: 15_000 }).toMatchObject({
      status: 'refused',
      reason: 'Т-Банк did not confirm the identity',
    });
  });

  it('registered letter: the code goes to the postal address, and the citizen enters it', async () => {
    const { token } = await standardCitizen('+79125552004', '456-789-012 38');
    const address = '190000, Санкт-Петербург, Невский пр., д. 1, кв. 2';
    const started = await confirmBy(token, 'letter', address);
    expect(started.statusCode, started.body).toBe(202);
    const { number } = started.json();
    const code = await lastLetterCode(stack, address);
    const enter = (c: string) =>
      withToken(stack, token, { method: 'POST', url: `/identity/upgrades/confirmed/${number}/letter-code`, payload: { code: c } });
    const bad = await enter(wrong(code));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toBe('wrong code; 2 attempt(s) left');
    const ok = await enter(code);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ accepted: true, status: 'confirmed' });
    // The address stays with the account, out of the workflow's history.
    const history = await historyText(stack.client, number, { codec: testPayloadCodec });
    expect(history).not.toContain('Невский');
    const rows = await stack.database.sql`select type from journal where case_number = ${number} order by seq`;
    expect(rows.filter((r) => r.type === 'code_rejected')).toHaveLength(1);
    expect((await post(stack, undefined, '/auth/login', { login: '+79125552004', password: 'Secret123' })).json().level).toBe('confirmed');
    await recordHistory(stack.client, number, 'confirmed-by-letter');
  });

  it('qualified electronic signature: only a valid, unrevoked certificate of this person confirms', async () => {
    const snils = '567-890-123 43';
    const { token } = await standardCitizen('+79125552005', snils);
    const started = await confirmBy(token, 'signature', 'qualified electronic signature');
    expect(started.statusCode, started.body).toBe(202);
    const { number } = started.json();
    const detail = (await withToken(stack, token, { method: 'GET', url: `/cases/${number}` })).json();
    const challenge = Buffer.from(detail.challenge as string);
    const submit = async (cert: { pem: string }, signature: Buffer) =>
      withToken(stack, token, {
        method: 'POST',
        url: `/identity/upgrades/confirmed/${number}/signature`,
        payload: { certificatePem: cert.pem, signature: signature.toString('base64') },
      });

    const own = await issueTestCertificate(ca, { name: 'Гражданин Тестовый', snils: '56789012343' });
    const someoneElse = await issueTestCertificate(ca, { name: 'Чужой', snils: '11223344595' });
    const forged = await submit(own, await someoneElse.sign(challenge));
    expect(forged.statusCode).toBe(422);
    expect(forged.json().detail).toMatch(/does not verify/);
    const foreign = await submit(someoneElse, await someoneElse.sign(challenge));
    expect(foreign.json().detail).toMatch(/belongs to another person/);
    const tampered = await submit(own, await own.sign(Buffer.concat([challenge, Buffer.from('!')])));
    expect(tampered.statusCode).toBe(422);
    const revokedCert = await issueTestCertificate(ca, { name: 'Гражданин Тестовый', snils: '56789012343' });
    revoked.add(revokedCert.serialNumber);
    expect((await submit(revokedCert, await revokedCert.sign(challenge))).json().detail).toMatch(/revoked/);

    const ok = await submit(own, await own.sign(challenge));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ accepted: true, status: 'confirmed' });
    const rows = await stack.database.sql`select type from journal where case_number = ${number} order by seq`;
    expect(rows.filter((r) => r.type === 'signature_rejected')).toHaveLength(4);
    expect((await post(stack, undefined, '/auth/login', { login: '+79125552005', password: 'Secret123' })).json().level).toBe('confirmed');
    await recordHistory(stack.client, number, 'confirmed-by-signature');
  });

  it('answers misdirected and malformed requests with 4xx, never a 500', async () => {
    const { token } = await simplifiedCitizen('+79125552006');
    const started = await upgrade(token, {
      snils: '678-901-234 38',
      passportSeries: '4512',
      passportNumber: '111111',
      birthDate: '1990-01-01',
      citizenship: 'RU',
    });
    const number = started.json().number as string;
    // Application actions on an identity case.
    const cancel = await withToken(stack, token, { method: 'POST', url: `/cases/${number}/cancel` });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().detail).toMatch(/for application cases/);
    // A token whose subject has no account here.
    const stranger = await stack.token({ id: 'no-such-account', role: 'citizen', level: 'standard' });
    const noAccount = await confirmBy(stranger, 'letter', 'где-то');
    expect(noAccount.statusCode).toBe(409);
    // NUL characters cannot be stored; malformed certificates are refused by the schema.
    const nul = await post(stack, undefined, '/identity/registrations', { name: 'a\u0000b', phone: '+79125559999', password: 'Secret123' });
    expect(nul.statusCode).toBe(400);
    const garbage = await withToken(stack, token, {
      method: 'POST',
      url: `/identity/upgrades/confirmed/${number}/signature`,
      payload: { certificatePem: 'x'.repeat(200), signature: '!!!notbase64!!!' },
    });
    expect(garbage.statusCode).toBe(400);
    expect([...new Set(garbage.json().errors.map((e: { path: string }) => e.path))].sort()).toEqual(['/body/certificatePem', '/body/signature']);
  });

  it('refuses a confirmation for an account that is not standard yet', async () => {
    const { token } = await simplifiedCitizen('+79125552003');
    const res = await confirmBy(token, 'bank', 'sber');
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/level standard/);
  });
});
