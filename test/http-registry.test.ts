import { afterEach, describe, expect, it } from 'vitest';
import { createHttpRegistry } from '../identity/http-registry';
import { RegistryAnswerError, type RegistryQuery } from '../identity/registry';
import { signatureVerifies, startRegistryStandIn, verdict, type ReceivedQuery, type RegistryStandIn, type StandInReply } from './support/registry-stand-in';

const KEY = 'registry-gateway-test-key-0123456789abcdef';
const TIMEOUT_MS = 300;
const person: RegistryQuery = { snils: '112-233-445 95', passportSeries: '45 06', passportNumber: '123456', birthDate: '1985-04-12', citizenship: 'RU' };

let standIn: RegistryStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function registryAnswering(answer: (q: ReceivedQuery, n: number) => StandInReply) {
  standIn = await startRegistryStandIn(answer);
  return createHttpRegistry({ url: standIn.url, signingKey: KEY, timeoutMs: TIMEOUT_MS });
}

describe('the state registries over HTTP', () => {
  it('sends the query signed over its canonical form, and takes a match', async () => {
    const registry = await registryAnswering((q) => verdict(q, 'match'));
    await expect(registry.verify(person)).resolves.toEqual({ matched: true });
    const [q] = standIn!.received;
    expect(q!.path).toBe('/v1/identity-checks');
    expect(q!.json).toEqual({
      requestId: q!.headers['x-request-id'],
      snils: '11223344595',
      passport: { series: '4506', number: '123456' },
      birthDate: '1985-04-12',
      citizenship: 'RU',
    });
    expect(q!.headers['x-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(Math.abs(Date.parse(String(q!.headers['x-timestamp'])) - Date.now())).toBeLessThan(60_000);
    expect(signatureVerifies(KEY, q!)).toBe(true);
    // The signature covers the body and the key: another key, or the body changed, does not verify.
    expect(signatureVerifies(`${KEY}x`, q!)).toBe(false);
    expect(signatureVerifies(KEY, { ...q!, body: q!.body.replace('123456', '654321') })).toBe(false);
    expect(signatureVerifies(KEY, { ...q!, headers: { ...q!.headers, 'x-timestamp': new Date(0).toISOString() } })).toBe(false);
  });

  it('takes a mismatch and a not-found as a refusal with the registry’s reason', async () => {
    const registry = await registryAnswering((q, n) => (n === 0 ? verdict(q, 'mismatch', 'birth date differs') : verdict(q, 'not_found', 'no such passport')));
    await expect(registry.verify(person)).resolves.toEqual({ matched: false, reason: 'the state registries hold other data: birth date differs' });
    await expect(registry.verify(person)).resolves.toEqual({ matched: false, reason: 'not found in the state registries: no such passport' });
    // Each attempt is a request of its own.
    expect(new Set(standIn!.received.map((q) => q.json.requestId)).size).toBe(2);
  });

  it('gives up an attempt the gateway does not answer in time, as a transient error', async () => {
    const registry = await registryAnswering((q) => ({ ...verdict(q, 'match'), delayMs: TIMEOUT_MS * 10 }));
    const failure = await registry.verify(person).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(RegistryAnswerError);
    expect((failure as Error).message).toBe(`the registries did not answer within ${TIMEOUT_MS} ms`);
  });

  it('fails an attempt answered 500 as a transient error; the next attempt gets the verdict', async () => {
    const registry = await registryAnswering((q, n) => (n === 0 ? { status: 500, body: { error: 'down' } } : verdict(q, 'match')));
    const failure = await registry.verify(person).catch((err: unknown) => err);
    expect(failure).not.toBeInstanceOf(RegistryAnswerError);
    expect((failure as Error).message).toBe('the registries answered 500 Internal Server Error');
    await expect(registry.verify(person)).resolves.toEqual({ matched: true });
  });

  it('never takes an answer it does not understand for a match', async () => {
    const replies: Array<[string, (q: ReceivedQuery) => StandInReply, string]> = [
      ['a garbled body', () => ({ body: '{"verdict": "mat' }), "the registries' answer is not JSON"],
      ['an unknown verdict', (q) => verdict(q, 'probably' as 'match'), "the registries' answer is not a verdict"],
      ['a mismatch without a reason', (q) => verdict(q, 'mismatch'), "the registries' answer is not a verdict"],
      ['a match for another request', () => ({ body: { requestId: 'someone-else', verdict: 'match' } }), "the registries' answer is for another request"],
      ['a refusal of the query', () => ({ status: 400, body: { error: 'bad query' } }), 'the registries refused the query: 400 Bad Request'],
    ];
    for (const [what, reply, message] of replies) {
      await standIn?.close();
      const registry = await registryAnswering(reply);
      const failure = await registry.verify(person).catch((err: unknown) => err);
      expect(failure, what).toBeInstanceOf(RegistryAnswerError);
      expect((failure as Error).message, what).toMatch(message);
    }
  });
});
