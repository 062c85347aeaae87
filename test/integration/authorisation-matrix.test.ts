import type { LightMyRequestResponse, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { LADA } from '../support/fixtures';
import { startStack, type Stack } from '../support/stack';

/**
 * Every route the app registers without `config.roles`, and why it is open. A new route
 * without roles fails this test until it is listed here: nothing becomes public by accident.
 */
const PUBLIC: Record<string, string> = {
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe',
  'GET /metrics': 'the scrape: METRICS_TOKEN, not a user token',
  'GET /docs': 'the Swagger UI (development; API_DOCS_UI in production)',
  'GET /docs/json': 'the OpenAPI document',
  'GET /docs/yaml': 'the OpenAPI document',
  'GET /docs/static/*': 'the Swagger UI',
  'GET /docs/static/index.html': 'the Swagger UI',
  'GET /docs/static/swagger-initializer.js': 'the Swagger UI',
  'GET /catalogue': 'the catalogue is public',
  'GET /catalogue/:code': 'the catalogue is public',
  'GET /results/signing-key': 'anyone may verify a result document',
  'GET /results/:code/verify': 'anyone may verify a result document by its code',
  'POST /results/verify': 'anyone may verify a result document by its PDF',
  'GET /extracts/:code/verify': 'anyone may verify a passport extract by its code',
  'POST /auth/login': 'sign-in',
  'POST /identity/registrations': 'registration',
  'POST /identity/registrations/:number/code': 'registration, by the code sent to the address',
  'POST /identity/registrations/:number/restart': 'registration, by the code sent to the address',
  'POST /payments/callback': 'the payment gateway, by its HMAC signature',
  'POST /identity/banks/:bank/callback': 'online banks, each by its own HMAC key',
  'GET /dev/pay/:paymentId': 'the development payment provider (never in production)',
  'POST /dev/pay/:paymentId': 'the development payment provider (never in production)',
};

/** A syntactically valid value for each path parameter: refusals must come before any lookup. */
const DUMMY: Record<string, string> = {
  number: 'A-2026-0000001',
  id: '1',
  vin: LADA,
  code: 'ABCD-EFGH-JKLM',
  paymentId: '0000000000000000000000001',
  version: '1',
};

/** One person of each role; the reviewer of an agency the test services belong to. */
const PERSON: Record<Role, Principal> = {
  citizen: { id: 'matrix-citizen', role: 'citizen', level: 'confirmed' },
  reviewer: { id: 'matrix-reviewer', role: 'reviewer', agency: 'mvd', supervisor: true },
  expert: { id: 'matrix-expert', role: 'expert', supervisor: true },
  operator: { id: 'matrix-operator', role: 'operator' },
  admin: { id: 'matrix-admin', role: 'admin' },
};

interface Route {
  method: string;
  url: string;
  roles?: readonly Role[];
}

const routes: Route[] = [];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    // Every request of the matrix comes from one address and a few subjects.
    env: { RATE_LIMIT_PER_MINUTE: '100000' },
    observers: {
      onRoute: (route: RouteOptions) => {
        for (const method of [route.method].flat()) routes.push({ method: method.toUpperCase(), url: route.url, roles: route.config?.roles });
      },
    },
  });
});
afterAll(async () => stack?.close());

const key = (r: Route) => `${r.method} ${r.url}`;
const urlOf = (r: Route) => r.url.replace(/:(\w+)/g, (_, name: string) => DUMMY[name] ?? 'x1');

function expectProblem(res: LightMyRequestResponse, status: number, code: string, what: string) {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
  expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  // HEAD answers carry the headers of a GET, without the body.
  if (res.body) expect(res.json(), what).toMatchObject({ status, code });
}

describe('authorisation matrix of every registered route', () => {
  it('lists every route without roles as public on purpose, and every other route names roles', () => {
    // HEAD routes are Fastify's twins of the GET routes, with the same configuration.
    const open = routes.filter((r) => !r.roles && r.method !== 'HEAD').map(key);
    expect(open.sort()).toEqual(Object.keys(PUBLIC).sort());
    expect(routes.filter((r) => r.roles).length).toBeGreaterThan(50);
    for (const r of routes) if (r.roles) expect(r.roles.length, key(r)).toBeGreaterThan(0);
  });

  it('refuses each route to no token and a bad one (401), and to every role it does not name (403), before looking at anything else', async () => {
    const forged = `${(await stack.token(PERSON.admin)).slice(0, -6)}AAAAAA`;
    let refusals = 0;
    for (const route of routes.filter((r) => r.roles)) {
      const request = { method: route.method as 'GET', url: urlOf(route) };
      expectProblem(await stack.app.inject(request), 401, 'Unauthenticated', `${key(route)} without a token`);
      expectProblem(await stack.app.inject({ ...request, headers: { authorization: `Bearer ${forged}` } }), 401, 'Unauthenticated', `${key(route)} with a forged token`);
      for (const role of ROLES.filter((r) => !route.roles!.includes(r))) {
        expectProblem(await stack.call(PERSON[role], request), 403, 'Forbidden', `${key(route)} as ${role}`);
        refusals += 1;
      }
    }
    expect(refusals).toBeGreaterThan(100);
  });
});
