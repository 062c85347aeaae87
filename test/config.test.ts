import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireEndpoints, withEndpoints } from '../config';

/** What production cannot run without: its secrets and real message providers. */
const PRODUCTION = {
  AUTH_JWT_SECRET: 'a'.repeat(32),
  PAYMENT_WEBHOOK_SECRET: 'b'.repeat(16),
  BANKS: JSON.stringify({ sber: { name: 'Сбербанк', secret: 'c'.repeat(16) }, tbank: { name: 'Т-Банк', secret: 'C'.repeat(16) } }),
  CODE_HMAC_SECRET: 'd'.repeat(32),
  SMTP_HOST: 'smtp.example.ru',
  SMS_GATEWAY_URL: 'https://sms.example.ru/messages',
  SMS_GATEWAY_SECRET: 'e'.repeat(16),
  PUSH_GATEWAY_URL: 'https://push.example.ru/messages',
  PUSH_GATEWAY_SECRET: 'f'.repeat(16),
  PAYMENT_PAYEE_CODE: '12345678',
  PAYMENT_PAGE_URL: 'https://pay.example.ru/uin/{paymentId}',
  RESULT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  PUBLIC_URL: 'https://cases.example.ru',
  METRICS_TOKEN: 'g'.repeat(16),
  PAYLOAD_CODEC_KEYS: `2026-12:${Buffer.alloc(32, 7).toString('base64')}`,
  QES_TRUSTED_CA_FILE: '/etc/citizen-cases/accredited-ca.pem',
  API_DOCS_UI: 'false',
};

/** A gateway to the state registries: production refuses the simulated one. */
const HTTP_REGISTRY = {
  REGISTRY_ADAPTER: 'http',
  REGISTRY_URL: 'https://registries.example.ru/v1/identity-checks',
  REGISTRY_SIGNING_KEY: 'h'.repeat(32),
};

/** The development defaults of config.ts, which production must refuse even when set explicitly. */
const DEVELOPMENT_DEFAULTS = {
  AUTH_JWT_SECRET: 'dev-only-insecure-secret-change-me-please',
  PAYMENT_WEBHOOK_SECRET: 'dev-only-payment-webhook-secret',
  CODE_HMAC_SECRET: 'dev-only-one-time-code-hmac-secret-change-me',
  SMS_GATEWAY_SECRET: 'dev-only-sms-gateway-secret',
  PUSH_GATEWAY_SECRET: 'dev-only-push-gateway-secret',
};

/** The variables a refusal names, in its order. */
const named = (error: ConfigError) => [...error.message.matchAll(/^\s+(\w+): /gm)].map((m) => m[1]);

/** The ConfigError that loading `env` throws; fails the test when it loads. */
function refusal(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('runs with nothing set: embedded Temporal and Postgres, local defaults', () => {
    const config = loadConfig({});
    expect(config.temporal.address).toBeUndefined();
    expect(config.db.url).toBeUndefined();
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(config.temporal).toMatchObject({ namespace: 'default', devUiPort: 8233, tls: false });
    expect(config.auth.jwtSecret).toBeTruthy();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AUTH_JWT_SECRET: 'short' }, 'AUTH_JWT_SECRET'],
    [{ TEMPORAL_TLS: 'maybe' }, 'TEMPORAL_TLS'],
    [{ RESULT_SIGNING_KEY: 'not a key' }, 'RESULT_SIGNING_KEY'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ CODE_DAILY_CAP: '0' }, 'CODE_DAILY_CAP'],
    [{ SIGN_IN_LOCK_SECONDS: '120', SIGN_IN_LOCK_MAX_SECONDS: '60' }, 'SIGN_IN_LOCK_MAX_SECONDS'],
    [{ RESULT_SIGNING_KEY: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'RESULT_SIGNING_KEY'],
  ])('refuses %j, naming the variable', (env, variable) => {
    expect(refusal(env).message).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
  });

  it('counts limits in memory unless REDIS_URL is set, and limits codes and sign-in guessing by default', () => {
    const config = loadConfig({});
    expect(config.redis).toEqual({ url: undefined, keyPrefix: 'citizen-cases:' });
    expect(config.identity.codeSends).toEqual({ cooldownSeconds: 60, dailyCap: 10 });
    expect(config.identity.signIn).toEqual({ freeFailures: 5, lockSeconds: 60, lockMaxSeconds: 900 });
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379/2' }).redis.url).toBe('redis://cache:6379/2');
  });

  it('names every invalid variable at once', () => {
    const message = refusal({ PORT: 'abc', DATABASE_URL: 'mysql://x' }).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
  });

  it('refuses production without a token secret or identity provider, the other secrets and the message providers', () => {
    const message = refusal({ NODE_ENV: 'production' }).message;
    for (const variable of Object.keys(PRODUCTION)) expect(message).toContain(`${variable}: required when NODE_ENV=production`);
    const withoutJwt = { ...PRODUCTION, AUTH_JWT_SECRET: undefined };
    expect(refusal({ NODE_ENV: 'production', ...withoutJwt }).message).toContain('AUTH_JWT_SECRET');
  });

  it('refuses production with the simulated registry even when everything else is its own, or an identity provider replaces the token secret', () => {
    expect(named(refusal({ NODE_ENV: 'production', ...PRODUCTION }))).toEqual(['REGISTRY_ADAPTER']);
    const withJwks = { ...PRODUCTION, AUTH_JWT_SECRET: undefined, OIDC_ISSUER: 'https://id.example.ru/realms/citizens', OIDC_AUDIENCE: 'citizen-cases-api' };
    expect(named(refusal({ NODE_ENV: 'production', ...withJwks }))).toEqual(['REGISTRY_ADAPTER']);
    expect(refusal({ NODE_ENV: 'production', ...PRODUCTION }).message).toMatch(/^\s+REGISTRY_ADAPTER: the simulated state registry is refused when NODE_ENV=production/m);
  });

  it('runs production with the registries behind their HTTP gateway', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...PRODUCTION, ...HTTP_REGISTRY });
    expect(config.identity.registry).toMatchObject({ adapter: 'http', url: HTTP_REGISTRY.REGISTRY_URL, signingKey: HTTP_REGISTRY.REGISTRY_SIGNING_KEY, timeoutMs: 20_000 });
    const withProvider = { ...PRODUCTION, ...HTTP_REGISTRY, AUTH_JWT_SECRET: undefined, OIDC_ISSUER: 'https://id.example.ru/realms/citizens', OIDC_AUDIENCE: 'citizen-cases-api' };
    expect(loadConfig({ NODE_ENV: 'production', ...withProvider }).auth.oidc?.issuer).toBe(withProvider.OIDC_ISSUER);
  });

  it('needs the gateway address and its key for the HTTP registry, in development too, and bounds its timeout', () => {
    expect(named(refusal({ REGISTRY_ADAPTER: 'http' }))).toEqual(['REGISTRY_URL', 'REGISTRY_SIGNING_KEY']);
    expect(refusal({ REGISTRY_ADAPTER: 'http' }).message).toMatch(/^\s+REGISTRY_URL: required when REGISTRY_ADAPTER=http/m);
    expect(named(refusal({ ...HTTP_REGISTRY, REGISTRY_SIGNING_KEY: 'short' }))).toEqual(['REGISTRY_SIGNING_KEY']);
    expect(named(refusal({ ...HTTP_REGISTRY, REGISTRY_URL: 'registries.example.ru' }))).toEqual(['REGISTRY_URL']);
    // An attempt must end before the check activity's 2-minute start-to-close timeout.
    expect(named(refusal({ ...HTTP_REGISTRY, REGISTRY_TIMEOUT_MS: '120000' }))).toEqual(['REGISTRY_TIMEOUT_MS']);
    expect(named(refusal({ REGISTRY_ADAPTER: 'soap' }))).toEqual(['REGISTRY_ADAPTER']);
  });

  it('refuses production with a development secret, the simulated registry, the development authority, an unflagged Swagger UI and no payload key, naming each at once', () => {
    const env = { NODE_ENV: 'production', ...PRODUCTION, ...DEVELOPMENT_DEFAULTS, QES_TRUSTED_CA_FILE: undefined, API_DOCS_UI: undefined, PAYLOAD_CODEC_KEYS: undefined };
    const error = refusal(env);
    expect(named(error).sort()).toEqual(
      [...Object.keys(DEVELOPMENT_DEFAULTS), 'REGISTRY_ADAPTER', 'QES_TRUSTED_CA_FILE', 'API_DOCS_UI', 'PAYLOAD_CODEC_KEYS'].sort(),
    );
    for (const variable of Object.keys(DEVELOPMENT_DEFAULTS)) {
      expect(error.message).toContain(`${variable}: is the development default; production needs a secret of its own`);
    }
    expect(error.message).toMatch(/^\s+QES_TRUSTED_CA_FILE: required when NODE_ENV=production: the development certification authority/m);
    expect(error.message).toMatch(/^\s+API_DOCS_UI: required when NODE_ENV=production: true to serve the Swagger UI/m);
    expect(error.message).toMatch(/^\s+PAYLOAD_CODEC_KEYS: required when NODE_ENV=production/m);
  });

  it('knows one development bank outside production, and reads each bank with its own key', () => {
    expect(loadConfig({}).auth.banks).toEqual({ 'dev-bank': { name: 'Банк для разработки', secret: 'dev-only-bank-webhook-secret' } });
    const config = loadConfig({ NODE_ENV: 'production', ...PRODUCTION, ...HTTP_REGISTRY });
    expect(config.auth.banks).toEqual({ sber: { name: 'Сбербанк', secret: 'c'.repeat(16) }, tbank: { name: 'Т-Банк', secret: 'C'.repeat(16) } });
    expect(config.auth.bankCallbackMaxAgeSeconds).toBe(300);
  });

  it.each([
    ['not JSON', '{sber:', /^\s+BANKS: expected JSON/m],
    ['no bank', '{}', /^\s+BANKS: expected at least one bank/m],
    ['a bad id', JSON.stringify({ Sber: { name: 'Сбербанк', secret: 'x'.repeat(16) } }), /^\s+BANKS\.Sber: a bank id is/m],
    ['a short key', JSON.stringify({ sber: { name: 'Сбербанк', secret: 'short' } }), /^\s+BANKS\.sber\.secret: must be at least 16 characters/m],
    ['a field unknown', JSON.stringify({ sber: { name: 'Сбербанк', secret: 'x'.repeat(16), url: 'https://x' } }), /^\s+BANKS\.sber: /m],
    ['one key for two banks', JSON.stringify({ sber: { name: 'Сбербанк', secret: 'x'.repeat(16) }, tbank: { name: 'Т-Банк', secret: 'x'.repeat(16) } }), /^\s+BANKS\.tbank\.secret: is also the key of bank "sber"; each bank needs its own/m],
  ])('refuses BANKS with %s, without quoting a key', (_what, value, expected) => {
    const message = refusal({ BANKS: value }).message;
    expect(message).toMatch(expected);
    expect(message).not.toContain('x'.repeat(16));
  });

  it('refuses production with a bank keeping the development key', () => {
    const banks = JSON.stringify({ sber: { name: 'Сбербанк', secret: 'dev-only-bank-webhook-secret' } });
    expect(refusal({ NODE_ENV: 'production', ...PRODUCTION, ...HTTP_REGISTRY, BANKS: banks }).message).toMatch(
      /^\s+BANKS\.sber\.secret: is the development default; production needs a secret of its own$/m,
    );
  });

  it('serves the Swagger UI outside production unless told not to, and in production only when told to', () => {
    expect(loadConfig({}).http.docsUi).toBe(true);
    expect(loadConfig({ API_DOCS_UI: 'false' }).http.docsUi).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', ...PRODUCTION, ...HTTP_REGISTRY, API_DOCS_UI: 'true' }).http.docsUi).toBe(true);
    expect(refusal({ API_DOCS_UI: 'yes' }).message).toMatch(/^\s+API_DOCS_UI: /m);
  });

  it('reads the payload keys, the first one encrypting, and refuses a malformed one without quoting it', () => {
    const current = Buffer.alloc(32, 1).toString('base64');
    const old = Buffer.alloc(32, 2).toString('base64');
    const { keys } = loadConfig({ PAYLOAD_CODEC_KEYS: ` 2026-12:${current}, 2026-06:${old} ` }).temporal.codec;
    expect(keys?.map((k) => [k.id, k.key.toString('base64')])).toEqual([['2026-12', current], ['2026-06', old]]);
    expect(loadConfig({}).temporal.codec.keys).toBeUndefined();
    const short = Buffer.alloc(16, 3).toString('base64');
    for (const [value, problem] of [
      [`2026-12:${short}`, 'key "2026-12": expected 32 bytes in base64'],
      [`2026-12:${current}!`, 'key "2026-12": expected 32 bytes in base64'],
      [current, 'key 1: expected id:base64-key'],
      [`2026-12:${current},2026-12:${old}`, 'key "2026-12" is named twice'],
      [' , ', 'expected at least one id:base64-key'],
    ]) {
      const message = refusal({ PAYLOAD_CODEC_KEYS: value }).message;
      expect(message).toContain(`PAYLOAD_CODEC_KEYS: ${problem}`);
      for (const secret of [current, short, old]) expect(message).not.toContain(secret);
    }
  });

  it('lets the Web UI call the codec endpoint from the origin of TEMPORAL_UI_URL, or from the origins named', () => {
    expect(loadConfig({}).temporal.codec.corsOrigins).toEqual([]);
    expect(loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example.ru/ui' }).temporal.codec.corsOrigins).toEqual(['https://temporal.example.ru']);
    expect(loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example.ru', CODEC_CORS_ORIGINS: 'https://ops.example.ru' }).temporal.codec.corsOrigins).toEqual([
      'https://ops.example.ru',
    ]);
    expect(refusal({ CODEC_CORS_ORIGINS: 'ops.example.ru' }).message).toMatch(/^\s+CODEC_CORS_ORIGINS: /m);
  });

  it('reads the supervisors of each desk, with the development cast by default', () => {
    expect(loadConfig({ AGENCY_SUPERVISORS: ' mvd: rita, olga ;fns:fedor;appeals:anna;' }).inbox.supervisors).toEqual({
      mvd: ['rita', 'olga'],
      fns: ['fedor'],
      appeals: ['anna'],
    });
    expect(loadConfig({}).inbox.supervisors).toMatchObject({ mvd: ['sam'], appeals: ['anna'] });
    expect(loadConfig({ AGENCY_SUPERVISORS: '' }).inbox.supervisors).toEqual({});
  });

  it.each([['mvd rita'], ['MVD:rita'], ['mvd:'], ['mvd:rita,'], ['mvd:ri ta'], ['mvd:agency:x'], ['mvd:rita;mvd:olga']])(
    'refuses AGENCY_SUPERVISORS=%j',
    (value) => {
      expect(refusal({ AGENCY_SUPERVISORS: value }).message).toMatch(/^\s+AGENCY_SUPERVISORS: /m);
    },
  );

  it('trusts no proxy and allows no browser origin by default, and checks the lists it is given', () => {
    expect(loadConfig({}).http).toMatchObject({ trustedProxies: [], corsOrigins: [] });
    expect(loadConfig({ TRUSTED_PROXIES: ' 10.0.0.0/8, loopback,::1 ', CORS_ORIGINS: 'https://portal.example.ru' }).http).toMatchObject({
      trustedProxies: ['10.0.0.0/8', 'loopback', '::1'],
      corsOrigins: ['https://portal.example.ru'],
    });
    expect(refusal({ TRUSTED_PROXIES: '10.0.0.0/33' }).message).toMatch(/^\s+TRUSTED_PROXIES: "10.0.0.0\/33": expected/m);
    expect(refusal({ TRUSTED_PROXIES: 'everyone' }).message).toMatch(/^\s+TRUSTED_PROXIES: /m);
    expect(refusal({ CORS_ORIGINS: 'https://portal.example.ru/' }).message).toMatch(/^\s+CORS_ORIGINS: /m);
  });

  it('plays the payment provider outside production only, and links invoices to it or to the configured page', () => {
    const dev = loadConfig({ PORT: '3100' });
    expect(dev.payments).toEqual({ payeeCode: '00000000', devProvider: true, pageUrl: 'http://127.0.0.1:3100/dev/pay/{paymentId}' });
    expect(loadConfig({ DEV_PAYMENT_PROVIDER: 'false' }).payments).toMatchObject({ devProvider: false, pageUrl: undefined });
    expect(refusal({ NODE_ENV: 'production', ...PRODUCTION, DEV_PAYMENT_PROVIDER: 'true' }).message).toMatch(/^\s+DEV_PAYMENT_PROVIDER: .*refused/m);
    expect(refusal({ PAYMENT_PAGE_URL: 'https://pay.example.ru/uin' }).message).toMatch(/^\s+PAYMENT_PAGE_URL: must contain \{paymentId\}/m);
    expect(refusal({ PAYMENT_PAYEE_CODE: '1234' }).message).toMatch(/^\s+PAYMENT_PAYEE_CODE: /m);
  });

  it('trusts the built-in issuer alone by default, and an OpenID provider beside it (or alone) when configured, with its claim mapping checked', () => {
    expect(loadConfig({}).auth).toMatchObject({ jwtSecret: expect.any(String), issuer: 'citizen-cases', oidc: undefined });
    const issuer = 'https://id.example.ru/realms/citizens';
    const alone = loadConfig({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'cases' }).auth;
    expect(alone.jwtSecret).toBeUndefined();
    expect(alone.oidc).toEqual({
      issuer,
      audience: 'cases',
      claims: { subject: 'sub', role: 'role', agency: 'agency', level: 'level', supervisor: 'supervisor' },
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      jwksCooldownMs: 30_000,
      jwksMaxAgeMs: 600_000,
    });
    const claims = JSON.stringify({ role: 'realm_access.roles', roleValues: { 'cc-reviewer': 'reviewer' }, level: 'acr', levelValues: { high: 'confirmed' } });
    const both = loadConfig({ AUTH_JWT_SECRET: 'a'.repeat(32), OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'cases', OIDC_CLAIMS: claims }).auth;
    expect(both.jwtSecret).toBe('a'.repeat(32));
    expect(both.oidc?.claims).toMatchObject({ subject: 'sub', role: 'realm_access.roles', roleValues: { 'cc-reviewer': 'reviewer' }, levelValues: { high: 'confirmed' } });

    expect(named(refusal({ OIDC_ISSUER: issuer }))).toEqual(['OIDC_AUDIENCE']);
    expect(named(refusal({ OIDC_AUDIENCE: 'cases' }))).toEqual(['OIDC_ISSUER']);
    expect(refusal({ OIDC_ISSUER: issuer, AUTH_JWT_ISSUER: issuer, OIDC_AUDIENCE: 'cases' }).message).toContain('OIDC_ISSUER: must differ from AUTH_JWT_ISSUER');
    // Symmetric algorithms would let the provider's public keys serve as HMAC secrets.
    expect(refusal({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'cases', OIDC_ALGORITHMS: 'RS256,HS256' }).message).toContain('OIDC_ALGORITHMS: "HS256": expected one of RS256');
    for (const bad of ['not json', '{"role":"a..b"}', '{"roleValues":{"x":"superuser"}}', '{"levelValues":{"x":"gold"}}', '{"groups":"g"}']) {
      // Named down to the field at fault: OIDC_CLAIMS.roleValues.x
      expect(refusal({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'cases', OIDC_CLAIMS: bad }).message, bad).toMatch(/^Invalid configuration:\n\s+OIDC_CLAIMS(\.\w+)*: [^\n]+$/);
    }
    const production = { NODE_ENV: 'production', ...PRODUCTION, OIDC_AUDIENCE: 'cases' };
    expect(refusal({ ...production, OIDC_ISSUER: 'http://id.example.ru/realms/citizens' }).message).toContain('OIDC_ISSUER: must be an https URL when NODE_ENV=production');
  });

  it('turns TLS on for a client certificate or an API key', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'key' }).temporal.tls).toBe(true);
    expect(loadConfig({ TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_TLS_KEY_PATH: '/k.pem' }).temporal.tls).toBe(true);
  });
});

describe('endpoints', () => {
  it('a process run alone needs both addresses, and says which are missing', () => {
    const message = (() => {
      try {
        requireEndpoints(loadConfig({}));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return '';
    })();
    expect(message).toContain('TEMPORAL_ADDRESS');
    expect(message).toContain('DATABASE_URL');
    const half = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(() => requireEndpoints(half)).toThrow(/DATABASE_URL/);
  });

  it('embedded servers fill in the addresses the configuration left open', () => {
    const config = withEndpoints(loadConfig({}), { temporalAddress: '127.0.0.1:7233', databaseUrl: 'postgres://p@127.0.0.1:5433/cases' });
    expect(requireEndpoints(config)).toEqual({ temporalAddress: '127.0.0.1:7233', databaseUrl: 'postgres://p@127.0.0.1:5433/cases' });
  });

  it('development clients reach the API where it listens, or at API_URL', () => {
    expect(loadConfig({}).http.apiUrl).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '3999' }).http.apiUrl).toBe('http://127.0.0.1:3999');
    expect(loadConfig({ HOST: '::1', PORT: '4000' }).http.apiUrl).toBe('http://[::1]:4000');
    expect(loadConfig({ API_URL: 'http://cases.test:8080/' }).http.apiUrl).toBe('http://cases.test:8080');
  });
});
