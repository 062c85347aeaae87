import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import type { Principal } from '../../core/principal';
import { createLocalStorage } from '../../documents/local-storage';
import { timelineOf } from '../support/http';
import { alice } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const admin: Principal = { id: 'root', role: 'admin' };
const FORGED = { 'x-forwarded-for': '203.0.113.9' };

/** Where the journal says a filing came from, filed from `remoteAddress` with a forged X-Forwarded-For. */
async function recordedAddress(stack: Stack, remoteAddress: string): Promise<string | null> {
  const service = testService();
  await stack.addService(service);
  const token = await stack.token(alice);
  const res = await stack.app.inject({
    method: 'POST',
    url: '/cases',
    remoteAddress,
    headers: { authorization: `Bearer ${token}`, ...FORGED },
    payload: { serviceCode: service.code, form: { purpose: 'для работы', copies: 1 }, documents: [] },
  });
  expect(res.statusCode).toBe(201);
  const [submitted] = await timelineOf(stack, admin, res.json<{ number: string }>().number);
  return submitted!.clientAddress;
}

describe('with the defaults', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => stack?.close());

  it('records the connection address, not what X-Forwarded-For claims', async () => {
    expect(await recordedAddress(stack, '198.51.100.7')).toBe('198.51.100.7');
  });

  it('answers with security headers, and with no CORS headers for any origin', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/catalogue', headers: { origin: 'https://portal.example.ru' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' });
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    // Served over plain HTTP outside production: the browser must not rewrite the docs' scripts to https.
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    expect(res.headers).not.toHaveProperty('strict-transport-security');
  });

  it('serves the Swagger UI unless API_DOCS_UI=false, and the OpenAPI document either way', async () => {
    expect((await stack.app.inject({ method: 'GET', url: '/docs' })).headers['content-type']).toMatch(/^text\/html/);
    const dir = await mkdtemp(path.join(tmpdir(), 'cases-docs-'));
    const quiet = await buildApp({
      config: { ...stack.config, http: { ...stack.config.http, docsUi: false } },
      database: stack.database,
      temporal: stack.client,
      storage: await createLocalStorage(dir),
      logger: pino({ level: 'silent' }),
    });
    try {
      expect((await quiet.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(404);
      expect((await quiet.inject({ method: 'GET', url: '/docs/static/index.html' })).statusCode).toBe(404);
      const document = await quiet.inject({ method: 'GET', url: '/docs/json' });
      expect(document.statusCode).toBe(200);
      expect(document.json().paths).toHaveProperty('/cases');
    } finally {
      await quiet.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives a made-up Authorization header no allowance of its own: anonymous callers are counted by address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await stack.app.inject({ method: 'GET', url: '/catalogue', remoteAddress: '192.0.2.44', headers: { authorization: `Bearer made-up-${i}` } });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Another address has its own allowance.
    expect((await stack.app.inject({ method: 'GET', url: '/catalogue', remoteAddress: '192.0.2.45' })).statusCode).toBe(200);
  });

  it('counts a verified subject across addresses', async () => {
    const token = await stack.token({ id: 'mallory', role: 'citizen', level: 'simplified' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await stack.app.inject({ method: 'GET', url: '/cases', remoteAddress: `192.0.2.${100 + i}`, headers: { authorization: `Bearer ${token}` } });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('behind a configured proxy, with browser origins allowed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { TRUSTED_PROXIES: '10.0.0.0/8', CORS_ORIGINS: 'https://portal.example.ru' } });
  });
  afterAll(async () => stack?.close());

  it("believes the proxy's X-Forwarded-For, and only the proxy's", async () => {
    expect(await recordedAddress(stack, '10.1.2.3')).toBe('203.0.113.9');
    expect(await recordedAddress(stack, '198.51.100.7')).toBe('198.51.100.7');
  });

  it('lets the allowed origin call the API and no other', async () => {
    const preflight = (origin: string) =>
      stack.app.inject({ method: 'OPTIONS', url: '/cases', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const allowed = await preflight('https://portal.example.ru');
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.example.ru');
    const other = await preflight('https://evil.example.com');
    expect(other.headers).not.toHaveProperty('access-control-allow-origin');
    const read = await stack.app.inject({ method: 'GET', url: '/catalogue', headers: { origin: 'https://portal.example.ru' } });
    expect(read.headers['access-control-allow-origin']).toBe('https://portal.example.ru');
    expect(read.headers['access-control-expose-headers']).toContain('etag');
  });
});
