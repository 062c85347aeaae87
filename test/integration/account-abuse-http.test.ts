/**
 * What keeps accounts out of others' reach, over HTTP on the real stack: a registration
 * holds its phone against nobody and gives it up when it ends unconfirmed, codes cannot be
 * made to flood an address, and a password cannot be guessed faster from many addresses.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config';
import { caseWorkflowId } from '../../core/case-model';
import { recordHistory } from '../support/histories';
import { readReceived } from '../../notifications/sinks/received';
import { lastCode, ok, post } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { createTimeSkippingEnv } from '../support/temporal';

const PASSWORD = 'Secret123';
const HOUR = 3_600_000;

let phones = 0;
/** A phone number no other test of this file uses. */
const newPhone = () => `+7913${String(Date.now() % 1e5).padStart(5, '0')}${String(phones++).padStart(2, '0')}`;

const send = (app: FastifyInstance, url: string, payload: object, remoteAddress = '127.0.0.1') =>
  app.inject({ method: 'POST', url, payload, remoteAddress });

const register = (app: FastifyInstance, body: { phone?: string; email?: string; channel?: string }, name = 'Анна Петрова') =>
  send(app, '/identity/registrations', { name, password: PASSWORD, ...body });

/** Enters the code last sent to `phone` into registration `started`. */
async function confirm(stack: Stack, started: LightMyRequestResponse, phone: string): Promise<LightMyRequestResponse> {
  const { number, accountId } = ok(started, 201);
  return post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code: await lastCode(stack, phone) });
}

/** A 429 problem with Retry-After, the reason and the seconds: what a refused limit answers. */
function expectTooMany(res: LightMyRequestResponse, reason: string): number {
  expect(res.statusCode, res.body).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(res.json()).toMatchObject({ status: 429, title: 'Too Many Requests', code: 'TooManyRequests', reason, retryAfter });
  return retryAfter;
}

describe('a registration holds its phone against nobody', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.close());

  it("lets the owner register and confirm a phone a squatter registered and never confirmed; afterwards the phone is the owner's", async () => {
    const phone = newPhone();
    const squatter = ok(await register(stack.app, { phone }, 'Захватчик'), 201);
    const owner = await register(stack.app, { phone });
    expect(owner.statusCode, owner.body).toBe(201);
    expect(owner.json().accountId).not.toBe(squatter.accountId);

    expect((await confirm(stack, owner, phone)).statusCode).toBe(200);
    const login = ok(await send(stack.app, '/auth/login', { login: phone, password: PASSWORD }), 200);
    expect(login).toMatchObject({ accountId: owner.json().accountId, level: 'simplified' });
    // Now that the owner proved it, the phone is taken.
    const late = await register(stack.app, { phone }, 'Захватчик');
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toMatch(/phone number already belongs to an account/);
  });

  it('refuses the right code of a second registration once another confirmed the phone first, and releases its contacts', async () => {
    const phone = newPhone();
    const first = ok(await register(stack.app, { phone }), 201);
    const firstCode = await lastCode(stack, phone);
    const second = await register(stack.app, { phone });
    expect((await confirm(stack, second, phone)).statusCode).toBe(200);

    const refused = await post(stack, undefined, `/identity/registrations/${first.number}/code`, { accountId: first.accountId, code: firstCode });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().detail).toMatch(/another account confirmed this phone number or e-mail first/);
    await stack.client.workflow.getHandle(caseWorkflowId(first.number)).result();
    const [account] = await stack.database.sql`select status, phone, email from accounts where id = ${first.accountId}`;
    expect(account).toEqual({ status: 'released', phone: null, email: null });
    const journal = await stack.database.sql`select type from journal where case_number = ${first.number} order by seq`;
    expect(journal.map((r) => r.type).slice(-2)).toEqual(['registration_refused', 'contacts_released']);
    await recordHistory(stack.client, first.number, 'registration-refused-released');
  });
});

describe('each contact is bound by its own code', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.close());

  it("own phone beside another's e-mail: the SMS code binds the phone only, and the e-mail's owner registers it", async () => {
    const phone = newPhone();
    const victim = `victim-${phone.slice(-7)}@example.ru`;
    const started = await register(stack.app, { phone, email: victim }, 'Захватчик');
    const squatter = ok(started, 201);
    expect((await confirm(stack, started, phone)).statusCode).toBe(200);
    await stack.client.workflow.getHandle(caseWorkflowId(squatter.number)).result();

    // Nothing went to the e-mail, and the account holds none.
    expect(await readReceived(stack.config.notifications.sinks.dir, { to: victim })).toEqual([]);
    const [account] = await stack.database.sql`select status, phone, email from accounts where id = ${squatter.accountId}`;
    expect(account).toEqual({ status: 'active', phone, email: null });
    expect((await send(stack.app, '/auth/login', { login: victim, password: PASSWORD })).statusCode).toBe(401);
    const squatterLogin = ok(await send(stack.app, '/auth/login', { login: phone, password: PASSWORD }), 200);

    // The owner registers the e-mail with the code mailed to it, and signs in with it.
    const owner = ok(await register(stack.app, { email: victim }), 201);
    const code = await lastCode(stack, victim);
    ok(await post(stack, undefined, `/identity/registrations/${owner.number}/code`, { accountId: owner.accountId, code }), 200);
    const ownerLogin = ok(await send(stack.app, '/auth/login', { login: victim, password: PASSWORD }), 200);
    expect(ownerLogin.accountId).toBe(owner.accountId);

    // Now it is the owner's: the registrant cannot add it to their account either.
    const taken = await stack.app.inject({
      method: 'POST',
      url: '/me/contacts',
      payload: { email: victim },
      headers: { authorization: `Bearer ${squatterLogin.token}` },
    });
    expect(taken.statusCode, taken.body).toBe(409);
    expect(taken.json().detail).toMatch(/already belongs to another account/);
    await recordHistory(stack.client, squatter.number, 'registration-binds-confirmed-contact-only');
  });
});

describe('an abandoned registration, on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    stack = await startStack({ timeSkipping: env });
  });
  afterAll(async () => {
    await stack?.close();
    await env?.teardown();
  });

  it('gives up its phone when its 24 hours end unconfirmed: the real owner then registers it', async () => {
    const phone = newPhone();
    const abandoned = ok(await register(stack.app, { phone }, 'Захватчик'), 201);

    await env.sleep(24 * HOUR + 60_000);
    const result = await stack.client.workflow.getHandle(caseWorkflowId(abandoned.number)).result();
    expect(result.status).toBe('abandoned');
    const [account] = await stack.database.sql`select status, phone from accounts where id = ${abandoned.accountId}`;
    expect(account).toEqual({ status: 'released', phone: null });
    const journal = await stack.database.sql`select type from journal where case_number = ${abandoned.number} order by seq`;
    expect(journal.map((r) => r.type).slice(-2)).toEqual(['abandoned', 'contacts_released']);
    await recordHistory(stack.client, abandoned.number, 'registration-abandoned-released');

    const owner = await register(stack.app, { phone });
    expect((await confirm(stack, owner, phone)).statusCode).toBe(200);
    expect(ok(await send(stack.app, '/auth/login', { login: phone, password: PASSWORD }), 200)).toMatchObject({ accountId: owner.json().accountId });
  });
});

describe('one-time codes: a cooldown and a daily cap per address', () => {
  let stack: Stack;
  /** An instance with a cooldown of a minute, and one without a cooldown but a cap of 2 a day. */
  let cooling: FastifyInstance;
  let capped: FastifyInstance;
  const limits = (codeSends: Config['identity']['codeSends']): Config => ({ ...stack.config, identity: { ...stack.config.identity, codeSends } });

  beforeAll(async () => {
    stack = await startStack();
    cooling = await stack.instance(limits({ cooldownSeconds: 60, dailyCap: 10 }));
    capped = await stack.instance(limits({ cooldownSeconds: 0, dailyCap: 2 }));
  });
  afterAll(async () => stack?.close());

  it('refuses a restart, on either channel, and a registration of the same phone within the cooldown, telling when to come back', async () => {
    const phone = newPhone();
    const started = ok(await register(cooling, { phone, email: `cool-${phones}@example.ru` }), 201);
    const restart = (channel: string) => send(cooling, `/identity/registrations/${started.number}/restart`, { accountId: started.accountId, channel });
    const retryAfter = expectTooMany(await restart('sms'), 'cooldown');
    expect(retryAfter).toBeLessThanOrEqual(60);
    expectTooMany(await restart('email'), 'cooldown');
    // Someone else registering the same phone gets no code to it either.
    const other = await register(cooling, { phone });
    expectTooMany(other, 'cooldown');
    expect(other.json().detail).toMatch(/the next can be sent in \d+ s/);
    // Only one code reached the phone.
    const [sent] = await stack.database.sql`select count(*)::int as n from outbox where recipient = ${phone}`;
    expect(sent!.n).toBe(1);
  });

  it("holds back no code of the account's next case to another address", async () => {
    const phone = newPhone();
    const registered = await register(cooling, { phone });
    expect((await confirm(stack, registered, phone)).statusCode).toBe(200);
    const { token } = ok(await send(cooling, '/auth/login', { login: phone, password: PASSWORD }), 200);
    const change = await cooling.inject({ method: 'POST', url: '/me/contacts', payload: { email: `next-${phones}@example.ru` }, headers: { authorization: `Bearer ${token}` } });
    expect(change.statusCode, change.body).toBe(201);
  });

  it('caps the codes a phone gets a day, across registrations; another address has its own allowance', async () => {
    const phone = newPhone();
    const email = `cap-${phones}@example.ru`;
    const started = ok(await register(capped, { phone, email, channel: 'sms' }), 201);
    ok(await send(capped, `/identity/registrations/${started.number}/restart`, { accountId: started.accountId }), 200);
    const retryAfter = expectTooMany(await send(capped, `/identity/registrations/${started.number}/restart`, { accountId: started.accountId }), 'daily_cap');
    expect(retryAfter).toBeGreaterThan(23 * 3600);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    expectTooMany(await register(capped, { phone }), 'daily_cap');
    // The e-mail is another address: its code goes out.
    const byMail = ok(await send(capped, `/identity/registrations/${started.number}/restart`, { accountId: started.accountId, channel: 'email' }), 200);
    expect(byMail.status).toBe('awaiting_code');
    expect(await lastCode(stack, email)).toMatch(/^\d{6}$/);
  });

  it('counts the code of a contact change toward the cap of its new address', async () => {
    const phone = newPhone();
    const ownPhone = newPhone();
    expect((await confirm(stack, await register(stack.app, { phone: ownPhone }), ownPhone)).statusCode).toBe(200);
    const { token } = ok(await send(stack.app, '/auth/login', { login: ownPhone, password: PASSWORD }), 200);
    const changeTo = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/me/contacts', payload: { phone }, headers: { authorization: `Bearer ${token}` } });

    ok(await register(capped, { phone }), 201);
    ok(await changeTo(capped), 201);
    expectTooMany(await register(capped, { phone }), 'daily_cap');
    expectTooMany(await changeTo(capped), 'daily_cap');
  });

  it('keys the counts by a keyed digest: no address in clear', async () => {
    const phone = newPhone();
    ok(await register(capped, { phone }), 201);
    const rows = await stack.database.sql`select recipient_digest from code_sends`;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.recipient_digest).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(rows);
    expect(dump).not.toMatch(/\+7\d{10}|@example\.ru/);
  });
});

describe('sign-in guessing, counted per account', () => {
  let stack: Stack;
  /** Two free failures, then holds of 1 s doubling to at most 2 s. */
  let guarded: FastifyInstance;
  beforeAll(async () => {
    stack = await startStack();
    guarded = await stack.instance({ ...stack.config, identity: { ...stack.config.identity, signIn: { freeFailures: 2, lockSeconds: 1, lockMaxSeconds: 2 } } });
  });
  afterAll(async () => stack?.close());

  const signIn = (login: string, password: string, remoteAddress: string) => send(guarded, '/auth/login', { login, password }, remoteAddress);

  /** Waits out the hold: the first attempt after it is answered by the password again. */
  async function afterHold(login: string, password: string, remoteAddress: string): Promise<LightMyRequestResponse> {
    let res: LightMyRequestResponse | undefined;
    await expect
      .poll(async () => (res = await signIn(login, password, remoteAddress)).statusCode, { timeout: 10_000, interval: 200 })
      .not.toBe(429);
    return res!;
  }

  it('holds the account back after its free failures, from whatever address; the right password waits too, then gets in and starts afresh', async () => {
    const phone = newPhone();
    expect((await confirm(stack, await register(stack.app, { phone }), phone)).statusCode).toBe(200);

    expect((await signIn(phone, 'Wrong1234', '192.0.2.1')).statusCode).toBe(401);
    expect((await signIn(phone, 'Wrong1234', '192.0.2.2')).statusCode).toBe(401);
    const held = await signIn(phone, PASSWORD, '192.0.2.3');
    expect(expectTooMany(held, 'sign_in_failures')).toBeLessThanOrEqual(1);
    expect(held.json().detail).toMatch(/too many failed sign-ins/);

    expect((await afterHold(phone, PASSWORD, '192.0.2.3')).statusCode).toBe(200);
    // A success starts afresh: two failures are free again.
    expect((await signIn(phone, 'Wrong1234', '192.0.2.4')).statusCode).toBe(401);
    expect((await signIn(phone, 'Wrong1234', '192.0.2.4')).statusCode).toBe(401);
    expectTooMany(await signIn(phone, PASSWORD, '192.0.2.4'), 'sign_in_failures');
  });

  it('never holds an account longer than the cap, however long the guessing goes on', async () => {
    const phone = newPhone();
    expect((await confirm(stack, await register(stack.app, { phone }), phone)).statusCode).toBe(200);
    await signIn(phone, 'Wrong1234', '192.0.2.5');
    await signIn(phone, 'Wrong1234', '192.0.2.5');
    const holds: number[] = [];
    for (let i = 0; i < 3; i++) {
      holds.push(expectTooMany(await signIn(phone, 'Wrong1234', '192.0.2.5'), 'sign_in_failures'));
      expect((await afterHold(phone, 'Wrong1234', '192.0.2.5')).statusCode).toBe(401);
    }
    // Held 1 s, then 2 s, then still 2 s: the hold doubled to its cap and grew no further.
    expect(holds[0]).toBe(1);
    expect(holds.slice(1).every((s) => s <= 2)).toBe(true);
    expect((await afterHold(phone, PASSWORD, '192.0.2.6')).statusCode).toBe(200);
  });

  it('answers a login no account has exactly as one it has, so holds reveal no account', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await signIn('+79130000000', 'Wrong1234', `192.0.2.${10 + i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
  });
});
