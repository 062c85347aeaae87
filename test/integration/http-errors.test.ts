import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, rita } from '../support/personas';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.close());

type Operation = { responses: Record<string, { content?: Record<string, unknown> }>; security?: Record<string, unknown>[] };

/** Every error answer is RFC 9457 with the status's reason phrase as its title. */
function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> }, status: number, title: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ type: 'about:blank', status, title });
}

describe('the OpenAPI document', () => {
  let operations: Array<{ name: string; method: string; path: string; op: Operation }>;
  beforeAll(async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, Operation>> };
    operations = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${p}`, method, path: p, op })),
    );
    expect(operations.length).toBeGreaterThan(40);
  });

  it('declares every error as application/problem+json and nothing else', () => {
    const wrong = operations.flatMap(({ name, op }) =>
      Object.entries(op.responses)
        .filter(([status]) => Number(status) >= 400)
        .filter(([, r]) => Object.keys(r.content ?? {}).join() !== 'application/problem+json')
        .map(([status, r]) => `${name} ${status}: ${Object.keys(r.content ?? {}).join() || 'no content'}`),
    );
    expect(wrong).toEqual([]);
  });

  it('declares what the machinery sends: 400 and 500 everywhere, 401 with a token, 403 with a role, 413/415 with a body, 414 with path parameters', () => {
    const missing = operations.flatMap(({ name, method, path: p, op }) => {
      const expected = [400, 500];
      if (op.security?.length) expected.push(401);
      // A bearer token carries a role a route may refuse; the scrape secret has none.
      if (op.security?.some((s) => 'bearer' in s)) expected.push(403);
      if (['post', 'put', 'patch'].includes(method)) expected.push(413, 415);
      if (p.includes('{')) expected.push(414);
      return expected.filter((s) => !(String(s) in op.responses)).map((s) => `${name} ${s}`);
    });
    expect(missing).toEqual([]);
  });

  it('declares 503 wherever Postgres or Temporal can be away, not on the liveness probe, the scrape or the codec endpoint', () => {
    const without = operations.filter(({ op }) => !('503' in op.responses)).map(({ name }) => name);
    expect(without.sort()).toEqual(['GET /healthz', 'GET /metrics', 'POST /codec/decode', 'POST /codec/encode']);
  });

  it('declares 429 where the rate limit applies and not on the health probes', () => {
    const byName = new Map(operations.map((o) => [o.name, o.op]));
    expect(byName.get('POST /auth/login')?.responses).toHaveProperty('429');
    expect(byName.get('GET /cases/{number}')?.responses).toHaveProperty('429');
    expect(byName.get('GET /health/live')?.responses ?? {}).not.toHaveProperty('429');
  });
});

describe('errors outside the handlers', () => {
  it('answers an unknown path with 404', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/no/such/thing' });
    expectProblem(res, 404, 'Not Found');
  });

  it('answers a known path asked with another method with 405 and Allow', async () => {
    const res = await stack.app.inject({ method: 'DELETE', url: '/catalogue' });
    expectProblem(res, 405, 'Method Not Allowed');
    expect(String(res.headers.allow).split(', ')).toEqual(expect.arrayContaining(['GET', 'HEAD']));
    const withParam = await stack.call(alice, { method: 'PUT', url: '/cases/A-2026-0000001' });
    expectProblem(withParam, 405, 'Method Not Allowed');
    expect(withParam.headers.allow).toContain('GET');
  });

  it('answers a path parameter over its length limit with 414', async () => {
    const res = await stack.call(alice, { method: 'GET', url: `/cases/${'A'.repeat(300)}` });
    expectProblem(res, 414, 'URI Too Long');
  });

  it('answers a text/plain body to a JSON route with 415', async () => {
    const res = await stack.call(rita, { method: 'POST', url: '/cases/A-2026-0000001/claim', payload: 'version=1', headers: { 'content-type': 'text/plain' } });
    expectProblem(res, 415, 'Unsupported Media Type');
  });

  it('answers malformed JSON with 400 and a body over the limit with 413', async () => {
    const malformed = await stack.call(alice, { method: 'POST', url: '/cases', payload: '{"serviceCode":', headers: { 'content-type': 'application/json' } });
    expectProblem(malformed, 400, 'Bad Request');
    const huge = await stack.call(alice, {
      method: 'POST',
      url: '/cases',
      payload: JSON.stringify({ serviceCode: 'x', form: { note: 'x'.repeat(2 * 1024 * 1024) } }),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(huge, 413, 'Content Too Large');
  });

  it('answers a missing or bad token with 401 and a wrong role with 403', async () => {
    expectProblem(await stack.app.inject({ method: 'GET', url: '/cases' }), 401, 'Unauthorized');
    expectProblem(await stack.app.inject({ method: 'GET', url: '/cases', headers: { authorization: 'Bearer nope' } }), 401, 'Unauthorized');
    expectProblem(await stack.call(alice, { method: 'GET', url: '/queue' }), 403, 'Forbidden');
  });

  it('carries the refusal type of a domain refusal as its code', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/catalogue/no-such-service' });
    expectProblem(res, 404, 'Not Found');
    expect(res.json().code).toBe('NotFound');
  });
});

describe('the rate limit', () => {
  let limited: FastifyInstance;
  beforeAll(async () => {
    limited = await stack.instance({ ...stack.config, authRateLimitPerMinute: 1 });
  });

  it('answers with 429, Retry-After and a problem', async () => {
    const signIn = () => limited.inject({ method: 'POST', url: '/auth/login', payload: { login: 'nobody@example.org', password: 'wrong-password' } });
    expectProblem(await signIn(), 401, 'Unauthorized');
    const res = await signIn();
    expectProblem(res, 429, 'Too Many Requests');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});
