import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detail, ok } from '../support/http';
import { startStack, testService, type Stack } from '../support/stack';

/**
 * An OpenID provider of the test's own: its keys made here, its discovery document and
 * key set served over HTTP, counting how often the API fetches the keys.
 */
interface Provider {
  issuer: string;
  /** The keys it publishes; a rotation replaces them. */
  published: JWK[];
  jwksFetches: number;
  /** Discovery documents asked for, the lying realm's included. */
  discoveries: number;
  server: Server;
}

async function startProvider(): Promise<Provider> {
  const provider = { issuer: '', published: [] as JWK[], jwksFetches: 0, discoveries: 0 } as Provider;
  provider.server = createServer((req, res) => {
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url?.endsWith('/.well-known/openid-configuration')) provider.discoveries += 1;
    if (req.url === '/realms/citizens/.well-known/openid-configuration') return json({ issuer: provider.issuer, jwks_uri: `${provider.issuer}/protocol/openid-connect/certs` });
    // A document that names another issuer than the one it was asked for (OpenID Connect Discovery §4.3).
    if (req.url === '/realms/liar/.well-known/openid-configuration') return json({ issuer: provider.issuer, jwks_uri: `${provider.issuer}/protocol/openid-connect/certs` });
    if (req.url === '/realms/citizens/protocol/openid-connect/certs') {
      provider.jwksFetches += 1;
      return json({ keys: provider.published });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => provider.server.listen(0, '127.0.0.1', resolve));
  provider.issuer = `http://127.0.0.1:${(provider.server.address() as AddressInfo).port}/realms/citizens`;
  return provider;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

const AUDIENCE = 'citizen-cases-api';
/** Keycloak's shape: roles in a list among the realm's other groups, the agency in an attribute, assurance in acr. */
const CLAIMS = {
  role: 'realm_access.roles',
  roleValues: { 'cc-citizen': 'citizen', 'cc-reviewer': 'reviewer', 'cc-admin': 'admin' },
  agency: 'org.agency',
  level: 'acr',
  levelValues: { 'loa-high': 'confirmed', 'loa-low': 'simplified' },
};

let provider: Provider;
let current: SigningKey;
let stack: Stack;
const confirmedOnly = testService({ agency: 'mvd', minLevel: 'confirmed' });

/** A token as the provider issues it: `claims` on top of a citizen's (undefined drops one), signed with `key`. */
function issue(claims: JWTPayload = {}, key: SigningKey = current): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: 'oidc-anna', iss: provider.issuer, aud: AUDIENCE, iat: now, exp: now + 600, realm_access: { roles: ['offline_access', 'cc-citizen'] }, acr: 'loa-high', ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
}

const as = (token: string, opts: { method?: 'GET' | 'POST'; url?: string; payload?: object } = {}) =>
  stack.app.inject({ method: opts.method ?? 'GET', url: opts.url ?? '/inbox/unread-count', payload: opts.payload, headers: { authorization: `Bearer ${token}` } });

function expectUnauthenticated(res: LightMyRequestResponse, name: string) {
  expect(res.statusCode, `${name}: ${res.body}`).toBe(401);
  expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/);
  expect(res.json(), name).toMatchObject({ status: 401, code: 'Unauthenticated' });
}

beforeAll(async () => {
  provider = await startProvider();
  current = await signingKey('key-1');
  provider.published = [current.jwk];
  stack = await startStack({
    env: {
      // The built-in issuer stays on beside the provider: the test's own personas are minted with it.
      AUTH_JWT_SECRET: 'test-only-built-in-issuer-secret-0123456789',
      OIDC_ISSUER: provider.issuer,
      OIDC_AUDIENCE: AUDIENCE,
      OIDC_CLAIMS: JSON.stringify(CLAIMS),
      OIDC_JWKS_COOLDOWN_SECONDS: '600',
    },
  });
  await stack.addService(confirmedOnly);
});
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => provider?.server.close(resolve));
});

describe('an external OpenID Connect provider', () => {
  it("acts as the role, agency and level its mapped claims say, beside the built-in issuer's tokens", async () => {
    const citizen = await issue();
    const filed = ok(await as(citizen, { method: 'POST', url: '/cases', payload: { serviceCode: confirmedOnly.code, form: { purpose: 'для работы', copies: 1 }, documents: [] } }), 201);
    const seen = ok(await as(citizen, { url: `/cases/${filed.number}` }), 200);
    expect(seen).toMatchObject({ applicantId: 'oidc-anna', status: 'submitted' });

    // acr loa-low maps to a simplified account: the confirmed-only service refuses it.
    const simplified = await as(await issue({ sub: 'oidc-boris', acr: 'loa-low' }), { method: 'POST', url: '/cases', payload: { serviceCode: confirmedOnly.code, form: { purpose: 'для работы', copies: 1 }, documents: [] } });
    expect(simplified.statusCode, simplified.body).toBe(403);
    expect(simplified.json()).toMatchObject({ code: 'Forbidden', levelRequired: 'confirmed', level: 'simplified' });

    // A reviewer of mvd by the provider's word claims the case; to one of fns another agency's case is not there.
    const reviewerOf = (sub: string, agency: string) => issue({ sub, realm_access: { roles: ['cc-reviewer', 'uma_authorization'] }, org: { agency } });
    const fns = await as(await reviewerOf('oidc-fedya', 'fns'), { method: 'POST', url: `/cases/${filed.number}/claim`, payload: { version: seen.version } });
    expect(fns.statusCode, fns.body).toBe(404);
    const mvdToken = await reviewerOf('oidc-rita', 'mvd');
    ok(await as(mvdToken, { method: 'POST', url: `/cases/${filed.number}/claim`, payload: { version: seen.version } }), 200);
    expect(ok(await as(mvdToken, { url: `/cases/${filed.number}` }), 200)).toMatchObject({ status: 'in_review', assigneeId: 'oidc-rita' });
    // The citizen may not use an official's route.
    expect((await as(citizen, { url: '/queue' })).statusCode).toBe(403);

    // The built-in issuer's tokens are accepted too (the two are told apart by iss).
    expect(await detail(stack, { id: 'oidc-anna', role: 'citizen', level: 'confirmed' }, filed.number)).toMatchObject({ assigneeId: 'oidc-rita' });
  });

  it('refuses, 401 problem+json, every token it should not trust, and fetches the keys no more than its cooldown allows', async () => {
    await as(await issue()); // the keys are fetched by now
    const fetches = provider.jwksFetches;
    const now = Math.floor(Date.now() / 1000);
    const valid = await issue();
    const [header, payload, signature] = valid.split('.');
    const raised = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), realm_access: { roles: ['cc-admin'] } })).toString('base64url');
    const stranger = await signingKey('never-published');
    const publicPem = await exportSPKI(current.publicKey);
    const cases: Array<[string, string]> = [
      ['expired', await issue({ iat: now - 3600, exp: now - 60 })],
      ['not yet valid (nbf)', await issue({ nbf: now + 3600 })],
      ['wrong issuer', await issue({ iss: `${provider.issuer}-other` })],
      ["the built-in issuer's name on the provider's key", await issue({ iss: stack.config.auth.issuer })],
      ['wrong audience', await issue({ aud: 'another-api' })],
      ['no audience', await issue({ aud: undefined })],
      ['alg none', new UnsecuredJWT({ sub: 'oidc-anna', realm_access: { roles: ['cc-admin'] } }).setIssuer(provider.issuer).setAudience(AUDIENCE).setExpirationTime('10m').encode()],
      [
        'HS256 with the public key as the HMAC secret',
        await new SignJWT({ realm_access: { roles: ['cc-admin'] } })
          .setProtectedHeader({ alg: 'HS256', kid: current.kid })
          .setSubject('oidc-anna')
          .setIssuer(provider.issuer)
          .setAudience(AUDIENCE)
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode(publicPem)),
      ],
      [
        'HS256 with the JWK as the HMAC secret',
        await new SignJWT({ realm_access: { roles: ['cc-admin'] } })
          .setProtectedHeader({ alg: 'HS256', kid: current.kid })
          .setSubject('oidc-anna')
          .setIssuer(provider.issuer)
          .setAudience(AUDIENCE)
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode(JSON.stringify(current.jwk))),
      ],
      ['tampered payload', `${header}.${raised}.${signature}`],
      ['truncated signature', `${header}.${payload}.${signature!.slice(0, -4)}`],
      ['unknown kid', await issue({}, stranger)],
      ['unknown kid, again', await issue({ jti: 'second' }, stranger)],
      ['a known kid on a stranger key', await issue({}, { ...stranger, kid: current.kid })],
      ['no role the mapping knows', await issue({ realm_access: { roles: ['offline_access'] } })],
      ['two roles at once', await issue({ realm_access: { roles: ['cc-citizen', 'cc-admin'] } })],
      ['no subject', await issue({ sub: '' })],
    ];
    for (const [name, token] of cases) expectUnauthenticated(await as(token), name);
    // Two tokens with made-up key ids and one with a stranger's key under a known id: no new fetch within the cooldown.
    expect(provider.jwksFetches).toBe(fetches);
    // The valid token still passes: the refusals poisoned nothing.
    expect((await as(valid)).statusCode).toBe(200);
  });

  it("with the provider alone (no AUTH_JWT_SECRET) refuses the built-in issuer's tokens and serves no sign-in", async () => {
    const alone = await stack.instance({ ...stack.config, auth: { ...stack.config.auth, jwtSecret: undefined } });
    const minted = await stack.token({ id: 'oidc-anna', role: 'citizen', level: 'confirmed' });
    expect((await stack.app.inject({ method: 'GET', url: '/inbox/unread-count', headers: { authorization: `Bearer ${minted}` } })).statusCode).toBe(200);
    expectUnauthenticated(await alone.inject({ method: 'GET', url: '/inbox/unread-count', headers: { authorization: `Bearer ${minted}` } }), 'a built-in token');
    expect((await alone.inject({ method: 'GET', url: '/inbox/unread-count', headers: { authorization: `Bearer ${await issue()}` } })).statusCode).toBe(200);
    const login = await alone.inject({ method: 'POST', url: '/auth/login', payload: { login: 'anna@example.ru', password: 'Secret123' } });
    expect(login.statusCode).toBe(404);
    expect(login.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('trusts no keys from a discovery document that names another issuer, and asks again no sooner than the cooldown', async () => {
    const liar = provider.issuer.replace('/realms/citizens', '/realms/liar');
    const instance = await stack.instance({ ...stack.config, auth: { ...stack.config.auth, oidc: { ...stack.config.auth.oidc!, issuer: liar } } });
    const before = provider.discoveries;
    for (const jti of ['first', 'second']) {
      const res = await instance.inject({ method: 'GET', url: '/inbox/unread-count', headers: { authorization: `Bearer ${await issue({ iss: liar, jti })}` } });
      expectUnauthenticated(res, `a token of ${liar} (${jti})`);
    }
    expect(provider.discoveries).toBe(before + 1);
  });

  it('accepts tokens signed with a rotated key once the key set is fetched again after the cooldown, and no longer the retired key', async () => {
    const oidc = stack.config.auth.oidc!;
    const instance = await stack.instance({ ...stack.config, auth: { ...stack.config.auth, oidc: { ...oidc, jwksCooldownMs: 1000 } } });
    const call = (token: string) => instance.inject({ method: 'GET', url: '/inbox/unread-count', headers: { authorization: `Bearer ${token}` } });
    expect((await call(await issue())).statusCode).toBe(200);
    const before = provider.jwksFetches;

    const next = await signingKey('key-2');
    const retired = current;
    provider.published = [next.jwk];
    current = next;
    // Past the cooldown the unknown kid makes the API fetch the key set again.
    await sleep(1100);
    const rotated = await call(await issue({ sub: 'oidc-after-rotation' }));
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(provider.jwksFetches).toBe(before + 1);
    expectUnauthenticated(await call(await issue({ jti: 'after-retirement' }, retired)), 'the retired key');
  });
});
