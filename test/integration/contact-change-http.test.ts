/**
 * A citizen changes their e-mail or phone over HTTP, on the real stack: the code arrives
 * at the new address in the stack's SMTP and SMS sinks, the old address is told once the
 * change is confirmed, and the next notice goes to the new one.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { accounts } from '../../db/schema';
import { readReceived } from '../../notifications/sinks/received';
import { testPayloadCodec } from '../support/codec';
import { historyText, recordHistory } from '../support/histories';
import { deliveriesSettled, detail, file, get, lastCode, ok, officially, post } from '../support/http';
import { rita } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
const service = testService();

beforeAll(async () => {
  stack = await startStack();
  await stack.addService(service);
});
afterAll(async () => stack?.close());

interface Citizen extends Principal {
  email: string;
  phone: string;
}

/** An active account with an e-mail and a phone, as a finished registration leaves it. */
async function citizen(): Promise<Citizen> {
  const id = `citizen-${randomBytes(4).toString('hex')}`;
  const phone = `+7912${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const email = `${id}@example.ru`;
  await stack.database.db.insert(accounts).values({ id, name: 'Анна Петрова', email, phone, passwordHash: 'x', status: 'active', level: 'standard' });
  return { id, role: 'citizen', level: 'standard', email, phone };
}

const received = (to: string) => readReceived(stack.config.notifications.sinks.dir, { to });
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const enter = (who: Principal, number: string, code: string) => post(stack, who, `/me/contacts/${number}/code`, { code });

describe('changing the e-mail or phone with a code sent to the new address', () => {
  it('changes the e-mail: the code goes to the new address, the old one is told, the next notice goes to the new one', async () => {
    const anna = await citizen();
    const newEmail = `new-${anna.id}@example.ru`;
    const started = ok(await post(stack, anna, '/me/contacts', { email: `New-${anna.id}@Example.RU` }), 201);
    expect(started).toMatchObject({ status: 'awaiting_code', attemptsLeft: 3, accepted: false, codeExpiresAt: expect.any(String) });
    const { number } = started;

    const code = await lastCode(stack, newEmail);
    expect(await received(anna.email)).toEqual([]);
    // Nothing changes before the code is entered.
    expect(ok(await get(stack, anna, '/me/contacts'), 200)).toEqual({ email: anna.email, phone: anna.phone });

    const bad = await enter(anna, number, wrong(code));
    expect(bad.statusCode, bad.body).toBe(422);
    expect(bad.json()).toMatchObject({ detail: 'wrong code; 2 attempt(s) left', attemptsLeft: 2, errors: [{ path: '/body/code' }] });
    const good = ok(await enter(anna, number, code), 200);
    expect(good).toMatchObject({ status: 'confirmed', accepted: true, contacts: { email: newEmail, phone: anna.phone } });
    expect(good.contacts).toEqual(ok(await get(stack, anna, '/me/contacts'), 200));
    expect(await detail(stack, anna, number)).toMatchObject({ status: 'confirmed', version: good.version, purpose: 'contact_change', channel: 'email' });

    await deliveriesSettled(stack, number);
    const toOld = await received(anna.email);
    expect(toOld.map((m) => m.subject)).toEqual([`${number}: изменены данные учётной записи`]);
    expect(toOld[0]!.text).toContain('изменены персональные данные (адрес электронной почты)');
    expect((await received(newEmail)).map((m) => m.subject)).toEqual(['Изменение: адрес электронной почты']);

    const { number: filed } = await file(stack, anna, service.code);
    await deliveriesSettled(stack, filed);
    expect((await received(newEmail)).map((m) => m.subject)).toContain(`${filed}: заявление получено`);
    expect((await received(anna.email)).map((m) => m.subject)).not.toContain(`${filed}: заявление получено`);

    const journal = await stack.database.sql`select type from journal where case_number = ${number} order by seq`;
    expect(journal.map((r) => r.type)).toEqual(['contact_change_requested', 'code_sent', 'code_rejected', 'contact_changed']);
    // Neither address is in the workflow's history, even decrypted: it holds ids and a keyed
    // digest. The code the citizen typed is an update's argument, there only sealed by the codec.
    const decoded = await historyText(stack.client, number, { codec: testPayloadCodec });
    for (const address of [newEmail, anna.email]) expect(decoded).not.toContain(address);
    expect(await historyText(stack.client, number)).not.toContain(code);
    await recordHistory(stack.client, number, 'contact-change-confirmed');
  });

  it('changes the phone: the SMS code goes to the new number, the old number is told even though SMS is not chosen for the notice', async () => {
    const boris = await citizen();
    const newPhone = `+7913${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const { number } = ok(await post(stack, boris, '/me/contacts', { phone: newPhone.replace(/^(\+7)(\d{3})/, '$1 ($2) ') }), 201);
    ok(await enter(boris, number, await lastCode(stack, newPhone)), 200);
    await deliveriesSettled(stack, number);
    const toOld = await received(boris.phone);
    expect(toOld.map((m) => m.text)).toEqual([
      `Госуслуги: ${number} (Изменение контактных данных) — изменены данные учётной записи. Статус: «Подтверждено».`,
    ]);
    // The notice's own channels (e-mail, push) keep their addresses.
    expect((await received(boris.email)).map((m) => m.subject)).toEqual([`${number}: изменены данные учётной записи`]);

    // An information request is sent by SMS too: to the new number now.
    const { number: filed } = await file(stack, boris, service.code);
    await officially(stack, rita, filed, 'claim');
    await officially(stack, rita, filed, 'request-info', { message: 'Приложите копию паспорта' });
    await deliveriesSettled(stack, filed);
    expect((await received(newPhone)).some((m) => m.text.startsWith(`Госуслуги: ${filed}`))).toBe(true);
    expect((await received(boris.phone)).some((m) => m.text.includes(filed))).toBe(false);
  });

  it('refuses an address of another account, one already yours, a stranger entering the code, and locks after three wrong codes', async () => {
    const [vera, gleb] = [await citizen(), await citizen()];
    const taken = await post(stack, vera, '/me/contacts', { email: gleb.email });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().detail).toBe('this e-mail already belongs to another account');
    const same = await post(stack, vera, '/me/contacts', { phone: vera.phone });
    expect(same.statusCode).toBe(409);
    expect(same.json().detail).toBe('this phone number is yours already');
    expect((await post(stack, vera, '/me/contacts', { phone: '8 912 555 03 03' })).json().errors).toEqual([
      { path: '/body/phone', message: 'phone is +7 followed by 10 digits, e.g. +7 912 345-67-89' },
    ]);
    expect((await post(stack, vera, '/me/contacts', { phone: vera.phone, email: 'x@example.ru' })).statusCode).toBe(400);

    const { number } = ok(await post(stack, vera, '/me/contacts', { email: `vera-${vera.id}@example.ru` }), 201);
    const code = await lastCode(stack, `vera-${vera.id}@example.ru`);
    expect((await enter(gleb, number, code)).statusCode).toBe(404);
    for (const left of [2, 1]) expect((await enter(vera, number, wrong(code))).json().attemptsLeft).toBe(left);
    const locking = await enter(vera, number, wrong(code));
    expect(locking.statusCode).toBe(422);
    expect(locking.json().detail).toBe('wrong code; the change is now locked, ask for it again');
    const after = await enter(vera, number, code);
    expect(after.statusCode).toBe(409);
    expect(after.json().detail).toBe('the change is locked after too many wrong codes; ask for it again');
    expect(ok(await get(stack, vera, '/me/contacts'), 200).email).toBe(vera.email);
  });

  it('refuses the confirmation when another account took the address after the code was sent', async () => {
    const dina = await citizen();
    const address = `shared-${dina.id}@example.ru`;
    const { number } = ok(await post(stack, dina, '/me/contacts', { email: address }), 201);
    await stack.database.db.insert(accounts).values({ id: `other-${dina.id}`, name: 'Другой', email: address, passwordHash: 'x', status: 'active', level: 'simplified' });
    const refused = await enter(dina, number, await lastCode(stack, address));
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toBe('the new e-mail belongs to another account by now; nothing changed');
    expect(await detail(stack, dina, number)).toMatchObject({ status: 'refused', closedAt: expect.any(String) });
    expect(ok(await get(stack, dina, '/me/contacts'), 200).email).toBe(dina.email);
  });
});
