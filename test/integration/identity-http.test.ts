import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHistory } from '../support/histories';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
const simple = testService({ minLevel: 'simplified' });
const needsConfirmed = testService({ minLevel: 'confirmed' });

beforeAll(async () => {
  stack = await startStack();
  for (const s of [simple, needsConfirmed]) await stack.addService(s);
});
afterAll(async () => stack?.close());

const post = (url: string, payload: object) => stack.app.inject({ method: 'POST', url, payload });

/** What the simulated SMS / e-mail gateway was handed for this address, newest first. */
async function lastCode(recipient: string): Promise<string> {
  const [row] = await stack.database.sql`select body from outbox where recipient = ${recipient} order by id desc limit 1`;
  const code = /(\d{6})/.exec(String(row?.body))?.[1];
  if (!code) throw new Error(`no code sent to ${recipient}`);
  return code;
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('registration with a one-time code', () => {
  it('registers by phone, confirms the code, signs in at level simplified and files a service', async () => {
    const phone = '+7 (912) 555-01-01';
    const started = await post('/identity/registrations', { name: 'Анна Петрова', phone, password: 'Secret123' });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId, attemptsLeft } = started.json();
    expect(attemptsLeft).toBe(3);

    const pendingLogin = await post('/auth/login', { login: phone, password: 'Secret123' });
    expect(pendingLogin.statusCode).toBe(403);

    const code = await lastCode('+79125550101');
    const bad = await post(`/identity/registrations/${number}/code`, { accountId, code: wrong(code) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ detail: 'wrong code; 2 attempt(s) left', errors: [{ path: '/body/code' }] });
    const good = await post(`/identity/registrations/${number}/code`, { accountId, code });
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json()).toMatchObject({ status: 'confirmed', accepted: true });

    expect((await post('/auth/login', { login: phone, password: 'Wrong1234' })).statusCode).toBe(401);
    const login = await post('/auth/login', { login: '+79125550101', password: 'Secret123' });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json()).toMatchObject({ accountId, level: 'simplified' });
    const token = login.json().token as string;

    const auth = { authorization: `Bearer ${token}` };
    const form = { purpose: 'проверка', copies: 1 };
    const filed = await stack.app.inject({ method: 'POST', url: '/cases', headers: auth, payload: { serviceCode: simple.code, form, documents: [] } });
    expect(filed.statusCode, filed.body).toBe(201);
    const refused = await stack.app.inject({ method: 'POST', url: '/cases', headers: auth, payload: { serviceCode: needsConfirmed.code, form, documents: [] } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toMatch(/needs a confirmed account; yours is simplified/);

    // The registration is a case of its own in the citizen's list, journaled with client addresses.
    const rows = await stack.database.sql`select type, client_address from journal where case_number = ${number} order by seq`;
    expect(rows.map((r) => r.type)).toEqual(['registration_started', 'code_sent', 'code_rejected', 'code_accepted']);
    expect(rows.every((r) => r.client_address === '127.0.0.1')).toBe(true);
    await recordHistory(stack.client, number, 'registration-confirmed');
  });

  it('locks after three wrong codes, then restarts on the other channel', async () => {
    const started = await post('/identity/registrations', {
      name: 'Иван Сидоров',
      phone: '+7 912 555 02 02',
      email: 'Ivan.Sidorov@example.ru',
      password: 'Passw0rdX',
    });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId } = started.json();
    const code = await lastCode('+79125550202');
    for (let i = 0; i < 3; i++) await post(`/identity/registrations/${number}/code`, { accountId, code: wrong(code) });
    const locked = await post(`/identity/registrations/${number}/code`, { accountId, code });
    expect(locked.statusCode).toBe(409);
    expect(locked.json().detail).toMatch(/locked/);

    const restarted = await post(`/identity/registrations/${number}/restart`, { accountId, channel: 'email' });
    expect(restarted.statusCode, restarted.body).toBe(200);
    expect(restarted.json()).toMatchObject({ status: 'awaiting_code', attemptsLeft: 3 });
    const emailed = await lastCode('ivan.sidorov@example.ru');
    const ok = await post(`/identity/registrations/${number}/code`, { accountId, code: emailed });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await post('/auth/login', { login: 'ivan.sidorov@example.ru', password: 'Passw0rdX' })).statusCode).toBe(200);
    await recordHistory(stack.client, number, 'registration-locked-restarted');
  });

  it('refuses bad input by field and rule, a taken phone, and strangers entering codes', async () => {
    const bad = await post('/identity/registrations', { name: 'Пётр', phone: '8 912 555 03 03', password: 'short' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([
      { path: '/body/phone', message: 'phone is +7 followed by 10 digits, e.g. +7 912 345-67-89' },
      { path: '/body/password', message: 'password has at least 8 characters' },
    ]);
    const none = await post('/identity/registrations', { name: 'Пётр', password: 'Secret123' });
    expect(none.json().errors[0]).toEqual({ path: '/body', message: 'a phone or an e-mail is required' });

    const first = await post('/identity/registrations', { name: 'Ольга', phone: '+79125550404', password: 'Secret123' });
    expect(first.statusCode).toBe(201);
    const again = await post('/identity/registrations', { name: 'Ольга 2', phone: '+7 912 555-04-04', password: 'Secret123' });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toMatch(/phone number already belongs to an account/);

    const stranger = await post(`/identity/registrations/${first.json().number}/code`, {
      accountId: '00000000-0000-4000-8000-000000000000',
      code: '123456',
    });
    expect(stranger.statusCode).toBe(404);
    // Codes and passwords never reach a response or the projection.
    const [row] = await stack.database.sql`select detail::text as d from cases where number = ${first.json().number}`;
    expect(row!.d).not.toMatch(/\d{6}"|Secret/);
  });
});
