/**
 * Several API instances behind one load balancer count together: the rate limits in Redis
 * (REDIS_URL), sign-in failures in Postgres. Redis being away stops no request.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localApiUrl } from '../../config';
import { freePort } from '../../lib/free-port';
import { lastCode, ok, post } from '../support/http';
import { startStack, type Stack } from '../support/stack';

/** The machine's Redis (every machine of this kind, CI's too, runs one); TEST_REDIS_URL names another. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** This run's keys only: other runs may share the server. */
const KEY_PREFIX = `test-${randomBytes(6).toString('hex')}:`;
const LIMIT = 4;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ listen: true, env: { REDIS_URL, REDIS_KEY_PREFIX: KEY_PREFIX, RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(async () => {
  await stack?.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${KEY_PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

/** Another instance of the API on its own port, as a second process behind the balancer would be. */
async function listening(app: FastifyInstance): Promise<string> {
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return localApiUrl('127.0.0.1', port);
}

const statusOf = async (base: string, path = '/catalogue') => (await fetch(`${base}${path}`)).status;

describe('with REDIS_URL', () => {
  it('gives two instances one allowance, where each would have its own in memory', async () => {
    const first = stack.config.http.apiUrl;
    const second = await listening(await stack.instance(stack.config));
    const statuses = [];
    for (let i = 0; i < LIMIT; i++) statuses.push(await statusOf(i % 2 ? second : first));
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect([await statusOf(first), await statusOf(second)]).toEqual([429, 429]);
    const limited = await fetch(`${second}/catalogue`);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // The same requests to an instance counting in its own memory: it has seen none of them.
    const alone = await listening(await stack.instance({ ...stack.config, redis: { ...stack.config.redis, url: undefined } }));
    expect(await statusOf(alone)).toBe(200);
    const redis = new Redis(REDIS_URL);
    expect(await redis.keys(`${KEY_PREFIX}rate-limit:*`)).not.toEqual([]);
    redis.disconnect();
  });

  it('answers while Redis cannot be reached, counting nothing, and says so once in the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    const app = await stack.instance({ ...stack.config, redis: { ...stack.config.redis, url: unreachable } }, logger);
    const statuses = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await app.inject({ method: 'GET', url: '/catalogue', remoteAddress: '192.0.2.77' })).statusCode);
    expect(statuses).toEqual(Array(LIMIT + 2).fill(200));
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ msg: 'Redis is unreachable: rate limits are not counted until it is back', code: 'ECONNREFUSED' })]);
    expect(lines.join('\n')).not.toContain(unreachable);
  });
});

describe('sign-in failures', () => {
  it('hold an account back on every instance, wherever the guesses landed', async () => {
    const signIn = { freeFailures: 1, lockSeconds: 60, lockMaxSeconds: 60 };
    const config = { ...stack.config, identity: { ...stack.config.identity, signIn } };
    const [first, second] = [await stack.instance(config), await stack.instance(config)];
    const phone = '+79140000001';
    const started = ok(await post(stack, undefined, '/identity/registrations', { name: 'Анна Петрова', phone, password: 'Secret123' }), 201);
    ok(await post(stack, undefined, `/identity/registrations/${started.number}/code`, { accountId: started.accountId, code: await lastCode(stack, phone) }), 200);

    const wrong = await first.inject({ method: 'POST', url: '/auth/login', payload: { login: phone, password: 'Wrong1234' } });
    expect(wrong.statusCode).toBe(401);
    const held = await second.inject({ method: 'POST', url: '/auth/login', payload: { login: phone, password: 'Secret123' } });
    expect(held.statusCode, held.body).toBe(429);
    expect(held.json()).toMatchObject({ reason: 'sign_in_failures' });
  });
});
