/**
 * The standard level's registry check over the API, with the state registries' gateway
 * played by a real HTTP server (REGISTRY_ADAPTER=http): the activity's retries carry the
 * check through a failing or slow gateway, and an answer that is no verdict ends the case
 * refused, never confirmed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSnils } from '../../core/identity-checks';
import { lastCode, post, withToken } from '../support/http';
import { signatureVerifies, startRegistryStandIn, verdict, type ReceivedQuery, type RegistryStandIn, type StandInReply } from '../support/registry-stand-in';
import { startStack, type Stack } from '../support/stack';

const KEY = 'registry-gateway-integration-key-0123456789';
const TIMEOUT_MS = 500;

/** How the gateway treats each passport number: its n-th query of that passport (from 0). */
const SCRIPT: Record<string, (q: ReceivedQuery, n: number) => StandInReply> = {
  '100001': (q, n) => (n === 0 ? { status: 500, body: { error: 'maintenance' } } : verdict(q, 'match')),
  '100002': (q, n) => (n === 0 ? { ...verdict(q, 'match'), delayMs: TIMEOUT_MS * 6 } : verdict(q, 'match')),
  '100003': () => ({ body: 'verdict=match' }),
  '100004': (q) => verdict(q, 'confirmed' as 'match'),
  '100005': (q) => verdict(q, 'mismatch', 'the birth date differs'),
};

let stack: Stack;
let gateway: RegistryStandIn;

beforeAll(async () => {
  gateway = await startRegistryStandIn((q) => {
    const script = SCRIPT[q.json.passport.number]!;
    return script(q, gateway.received.filter((r) => r.json.passport.number === q.json.passport.number).length);
  });
  stack = await startStack({
    env: { REGISTRY_ADAPTER: 'http', REGISTRY_URL: gateway.url, REGISTRY_SIGNING_KEY: KEY, REGISTRY_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
});
afterAll(async () => {
  await stack?.close();
  await gateway?.close();
});

/** A valid SNILS of these nine digits: the control number that checks. */
function snilsOf(nine: string): string {
  for (let c = 0; c < 100; c++) {
    const checked = checkSnils(`${nine}${String(c).padStart(2, '0')}`);
    if (checked.ok) return checked.value;
  }
  throw new Error(`no control number for ${nine}`);
}

/** A signed-in citizen at level simplified asks for standard with this passport number; the case's final state. */
async function upgradeWith(passportNumber: string) {
  const phone = `+7912556${passportNumber.slice(2)}`;
  const started = await post(stack, undefined, '/identity/registrations', { name: 'Гражданин Тестовый', phone, password: 'Secret123' });
  expect(started.statusCode, started.body).toBe(201);
  const { number: registration, accountId } = started.json();
  expect((await post(stack, undefined, `/identity/registrations/${registration}/code`, { accountId, code: await lastCode(stack, phone) })).statusCode).toBe(200);
  const token = (await post(stack, undefined, '/auth/login', { login: phone, password: 'Secret123' })).json().token as string;
  const person = { snils: snilsOf(`2${passportNumber}00`), passportSeries: '45 06', passportNumber, birthDate: '1985-04-12', citizenship: 'RU' };
  const upgrade = await withToken(stack, token, { method: 'POST', url: '/identity/upgrades/standard', payload: person });
  expect(upgrade.statusCode, upgrade.body).toBe(202);
  const { number } = upgrade.json();
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
  const level = (await post(stack, undefined, '/auth/login', { login: phone, password: 'Secret123' })).json().level as string;
  const journal = await stack.database.sql`select type, summary from journal where case_number = ${number} order by seq`;
  return { detail, level, journal, queries: gateway.received.filter((q) => q.json.passport.number === passportNumber) };
}

describe('the registry check against the gateway over HTTP', () => {
  it('retries a gateway that fails with 500, then raises the level; every query is signed', async () => {
    const { detail, level, queries } = await upgradeWith('100001');
    expect(detail).toMatchObject({ status: 'confirmed', method: 'registry_check' });
    expect(level).toBe('standard');
    expect(queries).toHaveLength(2);
    expect(queries.every((q) => signatureVerifies(KEY, q))).toBe(true);
  });

  it('abandons an attempt the gateway answers too late, and the next one confirms', async () => {
    const { detail, level, queries } = await upgradeWith('100002');
    expect(detail).toMatchObject({ status: 'confirmed' });
    expect(level).toBe('standard');
    expect(queries).toHaveLength(2);
  });

  it('refuses the level on a garbled answer or an unknown verdict, saying the data could not be checked', async () => {
    for (const passport of ['100003', '100004']) {
      const { detail, level, journal, queries } = await upgradeWith(passport);
      expect(detail).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^the data could not be checked: the registries' answer is not/) });
      expect(level).toBe('simplified');
      // Not retried: the same answer would come again.
      expect(queries).toHaveLength(1);
      expect(journal.map((r) => r.type)).toEqual(['registry_check_started', 'registry_answered', 'level_refused']);
    }
  });

  it('refuses the level on a mismatch, with the registry’s reason', async () => {
    const { detail, level } = await upgradeWith('100005');
    expect(detail).toMatchObject({ status: 'rejected', reason: 'the state registries hold other data: the birth date differs' });
    expect(level).toBe('simplified');
  });
});
