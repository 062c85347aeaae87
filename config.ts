import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { ACCOUNT_LEVELS, ROLES } from './core/case-model';

const list = (value: string) => value.split(',').map((x) => x.trim()).filter(Boolean);

/**
 * The one place that reads the environment. Everything else receives a `Config`.
 * Unset TEMPORAL_ADDRESS / DATABASE_URL mean "embedded": `npm start` then runs a
 * Temporal dev server and an embedded Postgres itself.
 */
const DEV_JWT_SECRET = 'dev-only-insecure-secret-change-me-please';
const DEV_PAYMENT_SECRET = 'dev-only-payment-webhook-secret';
/** Not a participant code the state payment system issues: development identifiers cannot be mistaken for real ones. */
const DEV_PAYEE_CODE = '00000000';
/** `npm start`'s one online bank; production names its own (`BANKS`). */
const DEV_BANK_ID = 'dev-bank';
const DEV_BANK_SECRET = 'dev-only-bank-webhook-secret';
const DEV_CODE_SECRET = 'dev-only-one-time-code-hmac-secret-change-me';
const DEV_SMS_GATEWAY_SECRET = 'dev-only-sms-gateway-secret';
const DEV_PUSH_GATEWAY_SECRET = 'dev-only-push-gateway-secret';
/** Who development's escalations reach: every catalogue agency and the appeals desk has one supervisor. */
export const DEV_AGENCY_SUPERVISORS = 'mvd:sam;fns:fedor;gibdd:inna;sfr:sofia;zags:zoya;minzdrav:mila;appeals:anna';

/**
 * `mvd:rita,olga;fns:fedor;appeals:anna`: per desk (an agency code, or `appeals`), the
 * token subjects of its supervisors.
 */
const supervisors = z
  .string()
  .transform((value, ctx) => {
    const directory: Record<string, string[]> = {};
    for (const part of value.split(';').map((p) => p.trim()).filter(Boolean)) {
      const match = /^([a-z][a-z0-9_-]{0,39})\s*:\s*(.+)$/.exec(part);
      const people = match ? match[2]!.split(',').map((p) => p.trim()) : [];
      if (!match || people.some((p) => !/^[^\s:;,]{1,200}$/.test(p))) {
        ctx.addIssue({ code: 'custom', message: `"${part}": expected desk:subject[,subject] (desk an agency code or appeals)` });
        return z.NEVER;
      }
      if (directory[match[1]!]) {
        ctx.addIssue({ code: 'custom', message: `"${match[1]}" is named twice` });
        return z.NEVER;
      }
      directory[match[1]!] = [...new Set(people)];
    }
    return directory;
  });

/** A comma-separated list, each item checked by `valid` (which says what it expected). */
const listOf = (expected: string, valid: (item: string) => boolean) =>
  z.string().transform((value, ctx) => {
    const items = value.split(',').map((p) => p.trim()).filter(Boolean);
    const bad = items.find((item) => !valid(item));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${bad}": expected ${expected}` });
      return z.NEVER;
    }
    return [...new Set(items)];
  });

const isAddressOrRange = (item: string) => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) return true;
  const [address, bits, ...rest] = item.split('/');
  const family = isIP(address!);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

const isOrigin = (item: string) => {
  try {
    return new URL(item).origin === item;
  } catch {
    return false;
  }
};

/** The system signs result documents with Ed25519 or ECDSA P-256 (verifiable with stock openssl). */
function signingKeyProblem(pem: string): string | undefined {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === 'ed25519') return undefined;
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return undefined;
    return `expected an Ed25519 or ECDSA P-256 private key, got ${key.asymmetricKeyType}`;
  } catch {
    return 'expected a PEM private key (PKCS#8 or SEC1)';
  }
}

/** An online bank that confirms identities (SPEC §4.2): its name, and the key its callbacks are signed with. */
export interface Bank {
  name: string;
  secret: string;
}

const BANK_ID = /^[a-z][a-z0-9-]{1,39}$/;

/**
 * `{"sber":{"name":"Сбербанк","secret":"…"},"tbank":{…}}`: each bank by the id in its
 * callback URL (`/identity/banks/{id}/callback`). Each key is a bank's own: with a key
 * shared, a callback signed by one bank could not be told from another's. A refusal never
 * quotes a key.
 */
const banks = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON: {"<bank id>":{"name":"…","secret":"…"}}' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .record(
        z.string(),
        z.strictObject({ name: z.string().trim().min(2).max(100), secret: z.string().min(16, 'must be at least 16 characters') }),
      )
      .superRefine((all, ctx) => {
        const entries = Object.entries(all);
        if (!entries.length) ctx.addIssue({ code: 'custom', message: 'expected at least one bank' });
        for (const [i, [id, bank]] of entries.entries()) {
          if (!BANK_ID.test(id)) ctx.addIssue({ code: 'custom', path: [id], message: 'a bank id is 2 to 40 lowercase letters, digits or "-", starting with a letter' });
          const twin = entries.slice(0, i).find(([, other]) => other.secret === bank.secret);
          if (twin) ctx.addIssue({ code: 'custom', path: [id, 'secret'], message: `is also the key of bank "${twin[0]}"; each bank needs its own` });
        }
      }),
  );

/** One key of the payload codec: an id that names it in every payload it encrypts, and 32 bytes for AES-256-GCM. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `2026-12:BASE64,2026-06:BASE64`: the first key encrypts, every key decrypts. A refusal
 * names the key by its id or position, never by its bytes.
 */
const payloadKeys = z.string().transform((value, ctx) => {
  const keys: PayloadKey[] = [];
  const items = value.split(',').map((p) => p.trim()).filter(Boolean);
  for (const [i, item] of items.entries()) {
    const colon = item.indexOf(':');
    const id = colon > 0 ? item.slice(0, colon) : '';
    const encoded = item.slice(colon + 1);
    const key = Buffer.from(encoded, 'base64');
    const problem = !KEY_ID.test(id)
      ? `key ${i + 1}: expected id:base64-key with an id of letters, digits, ".", "_" or "-"`
      : !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== 32
        ? `key "${id}": expected 32 bytes in base64 (openssl rand -base64 32)`
        : keys.some((k) => k.id === id)
          ? `key "${id}" is named twice`
          : undefined;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    keys.push({ id, key });
  }
  if (!keys.length) {
    ctx.addIssue({ code: 'custom', message: 'expected at least one id:base64-key' });
    return z.NEVER;
  }
  return keys;
});

/** A claim of the provider's tokens: a name, or a dotted path into nested claims (`realm_access.roles`). */
const claimPath = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'expected a claim name or a dotted path such as realm_access.roles');

/**
 * OIDC_CLAIMS: where an OpenID provider's tokens say who the caller is. Each field names
 * a claim; `roleValues` and `levelValues` translate the provider's values (a role claim
 * may be a list, of which exactly one value must map to a role). Unset fields keep the
 * claims the built-in issuer writes.
 */
const oidcClaims = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object such as {"role":"realm_access.roles","roleValues":{"cc-reviewer":"reviewer"}}' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .object({
        subject: claimPath.default('sub'),
        role: claimPath.default('role'),
        agency: claimPath.default('agency'),
        level: claimPath.default('level'),
        supervisor: claimPath.default('supervisor'),
        /** The provider's role values to this system's roles; unset: the values are the roles' own names. */
        roleValues: z.record(z.string().min(1), z.enum(ROLES)).optional(),
        /** The provider's assurance values (e.g. `acr`) to account levels; unset: the levels' own names. */
        levelValues: z.record(z.string().min(1), z.enum(ACCOUNT_LEVELS)).optional(),
      })
      .strict(),
  );

export type ClaimMapping = z.infer<typeof oidcClaims>;
/** The claims the built-in issuer writes, and an OpenID provider's unless OIDC_CLAIMS says otherwise. */
export const DEFAULT_CLAIMS: ClaimMapping = oidcClaims.parse('{}');

/** Asymmetric algorithms only: a provider's public keys must never serve as HMAC secrets. */
const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** Secrets whose development defaults production must never run with. */
const DEVELOPMENT_SECRETS = {
  AUTH_JWT_SECRET: DEV_JWT_SECRET,
  PAYMENT_WEBHOOK_SECRET: DEV_PAYMENT_SECRET,
  CODE_HMAC_SECRET: DEV_CODE_SECRET,
  SMS_GATEWAY_SECRET: DEV_SMS_GATEWAY_SECRET,
  PUSH_GATEWAY_SECRET: DEV_PUSH_GATEWAY_SECRET,
} as const;

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('.data'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.url().optional(),
    API_URL: z.url().optional(),

    TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port').optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('citizen-cases'),
    // About 0.3 MB per cached case on a worker that idles near 400 MB (npm run bench): 2,000
    // took one past 1 GiB (bench --timers); 1,000 keep it near 700 MB.
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(600),
    /** Seconds between the worker's sweeps for cases whose workflow was terminated in Temporal; 0: none. */
    RECONCILE_EVERY_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
    RECONCILE_LOOKBACK_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    TEMPORAL_TLS: bool,
    TEMPORAL_TLS_CERT_PATH: z.string().optional(),
    TEMPORAL_TLS_KEY_PATH: z.string().optional(),
    TEMPORAL_TLS_CA_PATH: z.string().optional(),
    TEMPORAL_API_KEY: z.string().optional(),
    TEMPORAL_UI_URL: z.url().optional(),
    TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
    TEMPORAL_DEV_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
    TEMPORAL_CLI_PATH: z.string().optional(),
    TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
    /** Keys of the payload codec that encrypts what workflows carry; unset outside production: a development key in DATA_DIR. */
    PAYLOAD_CODEC_KEYS: payloadKeys.optional(),
    /** Browser origins of the Temporal Web UI that may call the codec endpoint; default: TEMPORAL_UI_URL's. */
    CODEC_CORS_ORIGINS: listOf('an origin such as https://temporal.example.ru', isOrigin).optional(),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(5433),

    AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    AUTH_JWT_ISSUER: z.string().min(1).default('citizen-cases'),
    AUTH_JWT_AUDIENCE: z.string().min(1).default('citizen-cases-api'),
    /** An OpenID Connect provider whose tokens are accepted besides the built-in issuer's: its issuer URL (discovery). */
    OIDC_ISSUER: z.url().optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_CLAIMS: oidcClaims.optional(),
    OIDC_ALGORITHMS: listOf(`one of ${OIDC_ALGORITHMS.join(', ')}`, (a) => (OIDC_ALGORITHMS as readonly string[]).includes(a)).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
    /** Least time between two fetches of the provider's keys (a token with an unknown kid asks for one), and most time keys are kept. */
    OIDC_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    OIDC_JWKS_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(600),
    PAYMENT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    PAYMENT_PAYEE_CODE: z.string().regex(/^\d{8}$/, 'expected the 8-digit participant code').optional(),
    PAYMENT_PAGE_URL: z.url().refine((u) => u.includes('{paymentId}'), 'must contain {paymentId}').optional(),
    DEV_PAYMENT_PROVIDER: z.enum(['true', 'false', '1', '0']).optional(),
    BANKS: banks.optional(),
    /** A bank callback sent longer ago than this (or this far in the future) is refused as a replay. */
    BANK_CALLBACK_MAX_AGE_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
    CODE_HMAC_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    OTP_TTL_MINUTES: z.coerce.number().int().min(5).max(10).default(10),
    OTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    QES_TRUSTED_CA_FILE: z.string().optional(),
    QES_REVOKED_SERIALS: z.string().default(''),
    /** Revocation lists of the accredited authorities: files (PEM or DER, re-read when they change) and URLs (fetched, kept until their next update). */
    QES_CRL_FILES: z.string().default(''),
    QES_CRL_URLS: z
      .string()
      .default('')
      .refine((v) => list(v).every((u) => z.url({ protocol: /^https?$/ }).safeParse(u).success), 'expected comma-separated http(s) URLs'),
    REGISTRY_ADAPTER: z.enum(['simulated', 'http']).default('simulated'),
    /** http: the registries' gateway endpoint, the key that signs each query, and how long one attempt waits (below the check activity's 2 minutes). */
    REGISTRY_URL: z.url().optional(),
    REGISTRY_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    REGISTRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(100_000).default(20_000),
    REGISTRY_LATENCY_MS: z.coerce.number().int().min(0).max(600_000).default(1500),
    REGISTRY_FAILURE_RATE: z.coerce.number().min(0).max(0.95).default(0.2),

    APPEAL_EXAMINATION_DAYS: z.coerce.number().int().min(1).max(90).default(30),
    EPTS_REVIEW_WORKING_DAYS: z.coerce.number().int().min(1).max(60).default(5),
    EPTS_BUYER_CONFIRM_DAYS: z.coerce.number().int().min(2).max(60).default(10),

    SMTP_HOST: z.string().min(1).optional(),
    SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
    SMTP_SECURE: bool,
    SMTP_USER: z.string().min(1).optional(),
    SMTP_PASSWORD: z.string().min(1).optional(),
    MAIL_FROM: z.string().min(3).default('Портал госуслуг <no-reply@citizen-cases.local>'),
    SMS_GATEWAY_URL: z.url().optional(),
    SMS_GATEWAY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    PUSH_GATEWAY_URL: z.url().optional(),
    PUSH_GATEWAY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(25_000).default(10_000),
    SINK_SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    SINK_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(0),

    AGENCY_SUPERVISORS: supervisors.optional(),
    RESULT_SIGNING_KEY: z
      .string()
      .optional()
      .superRefine((pem, ctx) => {
        const problem = pem === undefined ? undefined : signingKeyProblem(pem);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    RESULT_PICKUP_OFFICE: z.string().min(3).default('МФЦ «Мои документы», Москва, ул. Тверская, д. 8'),

    /** Serve the Swagger UI at /docs; production must say so either way. */
    API_DOCS_UI: z.enum(['true', 'false', '1', '0']).optional(),
    DOCUMENT_MAX_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
    /** Where document bytes live: a directory of this machine's, or Postgres, which every API instance and worker shares. */
    DOCUMENT_STORE: z.enum(['local', 'postgres']).default('local'),
    /** Proxies whose X-Forwarded-For is believed: addresses, CIDR ranges, or loopback/linklocal/uniquelocal. */
    TRUSTED_PROXIES: listOf('an IP address, a CIDR range, loopback, linklocal or uniquelocal', isAddressOrRange).default([]),
    /** Browser origins allowed to call the API (CORS); none by default. */
    CORS_ORIGINS: listOf('an origin such as https://portal.example.ru', isOrigin).default([]),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    /** Where several API instances count the rate limits together; unset: each process counts alone. */
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
    REDIS_KEY_PREFIX: z.string().min(1).max(100).default('citizen-cases:'),
    /** One-time codes: the least time between two sends to one address or for one account, and the most sends to one address a day. */
    CODE_RESEND_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    CODE_DAILY_CAP: z.coerce.number().int().min(1).max(1000).default(10),
    /** Sign-in guessing per account: wrong passwords before it is held back, the first hold (doubling with each further failure) and its cap. */
    SIGN_IN_FREE_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
    SIGN_IN_LOCK_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    SIGN_IN_LOCK_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /** How long an Idempotency-Key and its answer are kept; a key older than this starts a new request. */
    IDEMPOTENCY_KEY_RETENTION_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),

    /** Bearer secret a scraper sends for /metrics; unset outside production: metrics are open. */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    // 0 turns an endpoint off: a scraper must know the port, so there is no "any free port".
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  })
  .superRefine((env, ctx) => {
    if (env.OIDC_ISSUER && !env.OIDC_AUDIENCE) {
      ctx.addIssue({ code: 'custom', path: ['OIDC_AUDIENCE'], message: "required with OIDC_ISSUER: the provider's tokens must be meant for this API" });
    }
    if (!env.OIDC_ISSUER && (env.OIDC_AUDIENCE || env.OIDC_CLAIMS)) {
      ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'required with OIDC_AUDIENCE or OIDC_CLAIMS' });
    }
    if (env.OIDC_ISSUER && env.OIDC_ISSUER === env.AUTH_JWT_ISSUER) {
      ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'must differ from AUTH_JWT_ISSUER: tokens are told apart by their issuer' });
    }
    if (env.SIGN_IN_LOCK_MAX_SECONDS < env.SIGN_IN_LOCK_SECONDS) {
      ctx.addIssue({ code: 'custom', path: ['SIGN_IN_LOCK_MAX_SECONDS'], message: 'must not be below SIGN_IN_LOCK_SECONDS' });
    }
    if (env.REGISTRY_ADAPTER === 'http') {
      for (const key of ['REGISTRY_URL', 'REGISTRY_SIGNING_KEY'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when REGISTRY_ADAPTER=http' });
      }
    }
    if (env.NODE_ENV !== 'production') return;
    // Local sinks are for development: in production every channel must reach a real provider.
    const required = [
      'AUTH_JWT_SECRET', 'PAYMENT_WEBHOOK_SECRET', 'BANKS', 'CODE_HMAC_SECRET',
      'SMTP_HOST', 'SMS_GATEWAY_URL', 'SMS_GATEWAY_SECRET', 'PUSH_GATEWAY_URL', 'PUSH_GATEWAY_SECRET',
      'PAYMENT_PAYEE_CODE', 'PAYMENT_PAGE_URL',
      // Result documents: the system's own signing key, and the address their QR codes point to.
      'RESULT_SIGNING_KEY', 'PUBLIC_URL',
      // /metrics is served on the API's public port: production never serves it open.
      'METRICS_TOKEN',
      // Without it personal data would enter Temporal's histories in clear.
      'PAYLOAD_CODEC_KEYS',
    ] as const;
    for (const key of required) {
      if (!env[key] && !(key === 'AUTH_JWT_SECRET' && env.OIDC_ISSUER)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'required when NODE_ENV=production' });
      }
    }
    // Published in this repository: anyone could sign tokens or callbacks with them.
    for (const [key, development] of Object.entries(DEVELOPMENT_SECRETS)) {
      if (env[key as keyof typeof DEVELOPMENT_SECRETS] === development) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is the development default; production needs a secret of its own' });
      }
    }
    for (const [id, bank] of Object.entries(env.BANKS ?? {})) {
      if (bank.secret === DEV_BANK_SECRET) {
        ctx.addIssue({ code: 'custom', path: ['BANKS', id, 'secret'], message: 'is the development default; production needs a secret of its own' });
      }
    }
    // It answers every check with a made-up verdict: identities would be confirmed by chance.
    if (env.REGISTRY_ADAPTER === 'simulated') {
      ctx.addIssue({ code: 'custom', path: ['REGISTRY_ADAPTER'], message: 'the simulated state registry is refused when NODE_ENV=production; configure REGISTRY_ADAPTER=http' });
    }
    // Without accredited authorities only the development authority could vouch for a signature.
    if (!env.QES_TRUSTED_CA_FILE) {
      ctx.addIssue({ code: 'custom', path: ['QES_TRUSTED_CA_FILE'], message: 'required when NODE_ENV=production: the development certification authority is not trusted there' });
    }
    // Discovery and keys over plain HTTP could be swapped on the way: anyone could sign tokens.
    if (env.OIDC_ISSUER && new URL(env.OIDC_ISSUER).protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'must be an https URL when NODE_ENV=production' });
    }
    if (env.API_DOCS_UI === undefined) {
      ctx.addIssue({ code: 'custom', path: ['API_DOCS_UI'], message: 'required when NODE_ENV=production: true to serve the Swagger UI at /docs deliberately, false not to' });
    }
    // It takes "payments" for any invoice with the development secret's signature.
    if (env.DEV_PAYMENT_PROVIDER === 'true' || env.DEV_PAYMENT_PROVIDER === '1') {
      ctx.addIssue({ code: 'custom', path: ['DEV_PAYMENT_PROVIDER'], message: 'the development payment provider is refused when NODE_ENV=production' });
    }
  });

export type Config = ReturnType<typeof toConfig>;

/** The URL of an API listening on `host:port`, as seen from the same machine (wildcard addresses are reached on loopback). */
export function localApiUrl(host: string, port: number): string {
  const h = ['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

function toConfig(env: z.infer<typeof schema>) {
  const dataDir = path.resolve(env.DATA_DIR);
  const apiUrl = (env.API_URL ?? localApiUrl(env.HOST, env.PORT)).replace(/\/$/, '');
  const devPaymentProvider = env.DEV_PAYMENT_PROVIDER === undefined ? env.NODE_ENV !== 'production' : ['true', '1'].includes(env.DEV_PAYMENT_PROVIDER);
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    dataDir,
    http: {
      host: env.HOST,
      port: env.PORT,
      publicUrl: env.PUBLIC_URL,
      /** Where development clients on this machine (`npm run walk`, the development payment provider) reach the API. */
      apiUrl,
      /** Fastify's trustProxy: only these proxies may say who the client is. */
      trustedProxies: env.TRUSTED_PROXIES,
      corsOrigins: env.CORS_ORIGINS,
      /** The Swagger UI at /docs (the OpenAPI document at /docs/json is served either way). */
      docsUi: env.API_DOCS_UI === undefined ? env.NODE_ENV !== 'production' : ['true', '1'].includes(env.API_DOCS_UI),
      /** Acting requests' Idempotency-Keys (api/idempotency.ts) are kept this long. */
      idempotencyRetentionHours: env.IDEMPOTENCY_KEY_RETENTION_HOURS,
    },
    temporal: {
      /** undefined: run an embedded dev server */
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      /** Open cases a worker keeps in memory; others replay their history when they next act. */
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      /** The terminated-case sweep (cases/terminated-cases.ts). */
      reconcile: { everySeconds: env.RECONCILE_EVERY_SECONDS, lookbackDays: env.RECONCILE_LOOKBACK_DAYS },
      tls: env.TEMPORAL_TLS || Boolean(env.TEMPORAL_TLS_CERT_PATH) || Boolean(env.TEMPORAL_API_KEY),
      tlsCertPath: env.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: env.TEMPORAL_TLS_KEY_PATH,
      tlsCaPath: env.TEMPORAL_TLS_CA_PATH,
      apiKey: env.TEMPORAL_API_KEY,
      uiUrl: env.TEMPORAL_UI_URL ?? `http://localhost:${env.TEMPORAL_DEV_UI_PORT}`,
      devPort: env.TEMPORAL_DEV_PORT,
      devUiPort: env.TEMPORAL_DEV_UI_PORT,
      cliPath: env.TEMPORAL_CLI_PATH,
      testServerPath: env.TEMPORAL_TEST_SERVER_PATH,
      codec: {
        /** undefined: a development key kept in `devKeyDir`, made on first use (never in production) */
        keys: env.PAYLOAD_CODEC_KEYS,
        devKeyDir: path.join(dataDir, 'payload-codec'),
        /** Who may call /codec from a browser: the Web UI's origin. */
        corsOrigins: env.CODEC_CORS_ORIGINS ?? (env.TEMPORAL_UI_URL ? [new URL(env.TEMPORAL_UI_URL).origin] : []),
      },
    },
    db: {
      /** undefined: run an embedded Postgres */
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      embeddedPort: env.EMBEDDED_PG_PORT,
    },
    auth: {
      /** The built-in issuer's (sign-in, `npm run token`); undefined: it is off, only the OpenID provider's tokens count. */
      jwtSecret: env.AUTH_JWT_SECRET ?? (env.OIDC_ISSUER ? undefined : DEV_JWT_SECRET),
      issuer: env.AUTH_JWT_ISSUER,
      audience: env.AUTH_JWT_AUDIENCE,
      /** undefined: no external provider */
      oidc: env.OIDC_ISSUER
        ? {
            issuer: env.OIDC_ISSUER,
            audience: env.OIDC_AUDIENCE!,
            claims: env.OIDC_CLAIMS ?? DEFAULT_CLAIMS,
            algorithms: env.OIDC_ALGORITHMS,
            jwksCooldownMs: env.OIDC_JWKS_COOLDOWN_SECONDS * 1000,
            jwksMaxAgeMs: env.OIDC_JWKS_MAX_AGE_SECONDS * 1000,
          }
        : undefined,
      paymentWebhookSecret: env.PAYMENT_WEBHOOK_SECRET ?? DEV_PAYMENT_SECRET,
      /** The online banks by the id in their callback URL; outside production one development bank unless set. */
      banks: env.BANKS ?? (env.NODE_ENV === 'production' ? {} : { [DEV_BANK_ID]: { name: 'Банк для разработки', secret: DEV_BANK_SECRET } }),
      bankCallbackMaxAgeSeconds: env.BANK_CALLBACK_MAX_AGE_SECONDS,
    },
    payments: {
      /** The participant code every payment identifier starts with. */
      payeeCode: env.PAYMENT_PAYEE_CODE ?? DEV_PAYEE_CODE,
      /** `GET/POST /dev/pay/{paymentId}` plays the payment provider (never in production). */
      devProvider: devPaymentProvider,
      /** Where a citizen pays an invoice: `{paymentId}` is replaced by the invoice's identifier. */
      pageUrl: env.PAYMENT_PAGE_URL ?? (devPaymentProvider ? `${(env.PUBLIC_URL ?? apiUrl).replace(/\/$/, '')}/dev/pay/{paymentId}` : undefined),
    },
    identity: {
      codeSecret: env.CODE_HMAC_SECRET ?? DEV_CODE_SECRET,
      codeTtlMinutes: env.OTP_TTL_MINUTES,
      codeMaxAttempts: env.OTP_MAX_ATTEMPTS,
      /** Against flooding an address with codes: counted per address (by its keyed digest) and per account. */
      codeSends: { cooldownSeconds: env.CODE_RESEND_COOLDOWN_SECONDS, dailyCap: env.CODE_DAILY_CAP },
      /** Against guessing one account's password from many addresses: every hold ends by itself. */
      signIn: { freeFailures: env.SIGN_IN_FREE_FAILURES, lockSeconds: env.SIGN_IN_LOCK_SECONDS, lockMaxSeconds: env.SIGN_IN_LOCK_MAX_SECONDS },
      signatures: {
        trustedCaFile: env.QES_TRUSTED_CA_FILE,
        revokedSerials: list(env.QES_REVOKED_SERIALS).map((x) => x.toUpperCase()),
        crlFiles: list(env.QES_CRL_FILES),
        crlUrls: list(env.QES_CRL_URLS),
      },
      registry: {
        adapter: env.REGISTRY_ADAPTER,
        /** simulated */
        latencyMs: env.REGISTRY_LATENCY_MS,
        failureRate: env.REGISTRY_FAILURE_RATE,
        /** http (both set then: the schema requires them) */
        url: env.REGISTRY_URL ?? '',
        signingKey: env.REGISTRY_SIGNING_KEY ?? '',
        timeoutMs: env.REGISTRY_TIMEOUT_MS,
      },
    },
    appeals: {
      /** How long an expert has to decide an appeal (SPEC §4.3: 30 days by default). */
      examinationTerm: { days: env.APPEAL_EXAMINATION_DAYS, unit: 'calendar' as const },
    },
    epts: {
      review: { days: env.EPTS_REVIEW_WORKING_DAYS, unit: 'working' as const },
      /** A sale lapses unless the buyer confirms within this many days (reminded 3 and 1 days before). */
      buyerConfirmDays: env.EPTS_BUYER_CONFIRM_DAYS,
    },
    notifications: {
      /** undefined host: `npm start` runs a local SMTP sink */
      mail: {
        host: env.SMTP_HOST,
        port: env.SMTP_PORT,
        secure: env.SMTP_SECURE,
        user: env.SMTP_USER,
        password: env.SMTP_PASSWORD,
        from: env.MAIL_FROM,
      },
      /** undefined url: `npm start` runs a local HTTP receiver */
      sms: { url: env.SMS_GATEWAY_URL, secret: env.SMS_GATEWAY_SECRET ?? DEV_SMS_GATEWAY_SECRET },
      push: { url: env.PUSH_GATEWAY_URL, secret: env.PUSH_GATEWAY_SECRET ?? DEV_PUSH_GATEWAY_SECRET },
      /** Below the code activity's 30 s start-to-close timeout, so a slow provider is retried, not abandoned. */
      timeoutMs: env.DELIVERY_TIMEOUT_MS,
      sinks: { dir: path.join(dataDir, 'sinks'), smtpPort: env.SINK_SMTP_PORT, httpPort: env.SINK_HTTP_PORT },
    },
    inbox: {
      /** Whom a desk's escalations reach; outside production the development cast unless set. */
      supervisors: env.AGENCY_SUPERVISORS ?? (env.NODE_ENV === 'production' ? {} : supervisors.parse(DEV_AGENCY_SUPERVISORS)),
    },
    documents: {
      store: env.DOCUMENT_STORE,
      /** The local store's files; with either store, where uploads are staged while they are checked. */
      dir: path.join(dataDir, 'documents'),
      maxBytes: env.DOCUMENT_MAX_BYTES,
    },
    results: {
      /** undefined: a development key kept in `keyDir`, made on first use (never in production) */
      signingKeyPem: env.RESULT_SIGNING_KEY,
      keyDir: path.join(dataDir, 'result-signing'),
      /** Where the QR code and the printed address of a document's verification point. */
      verifyBaseUrl: (env.PUBLIC_URL ?? env.API_URL ?? localApiUrl(env.HOST, env.PORT)).replace(/\/$/, ''),
      /** Where in-person results are collected: the catalogue names no offices yet. */
      pickupOffice: env.RESULT_PICKUP_OFFICE,
    },
    metrics: {
      /** undefined: /metrics answers anyone (development and tests only). */
      token: env.METRICS_TOKEN,
      /** The worker's two endpoints: the product's counters (prom-client) and the Temporal SDK's own (the runtime's exporter); port 0 is off. */
      worker: {
        host: env.WORKER_METRICS_HOST,
        port: env.WORKER_METRICS_PORT,
        temporalPort: env.TEMPORAL_METRICS_PORT,
        /** `host:port` the Temporal runtime's exporter binds; undefined: off. */
        temporalBindAddress: env.TEMPORAL_METRICS_PORT
          ? `${env.WORKER_METRICS_HOST.includes(':') ? `[${env.WORKER_METRICS_HOST}]` : env.WORKER_METRICS_HOST}:${env.TEMPORAL_METRICS_PORT}`
          : undefined,
      },
    },
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    /** Sign-in, registration and code entry: per client address, against guessing. */
    authRateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
    /** undefined url: every API process counts the rate limits in its own memory. */
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return toConfig(parsed.data);
}

/** Config with the embedded services' addresses filled in. */
export function withEndpoints(config: Config, endpoints: { temporalAddress?: string; databaseUrl?: string }): Config {
  return {
    ...config,
    temporal: { ...config.temporal, address: endpoints.temporalAddress ?? config.temporal.address },
    db: { ...config.db, url: endpoints.databaseUrl ?? config.db.url },
  };
}

export function requireEndpoints(config: Config): { temporalAddress: string; databaseUrl: string } {
  const missing = [
    !config.temporal.address && 'TEMPORAL_ADDRESS',
    !config.db.url && 'DATABASE_URL',
  ].filter(Boolean);
  if (missing.length) {
    throw new ConfigError(
      `Invalid configuration:\n${missing.map((m) => `  ${m}: required to run this process alone (or use npm start)`).join('\n')}`,
    );
  }
  return { temporalAddress: config.temporal.address!, databaseUrl: config.db.url! };
}
