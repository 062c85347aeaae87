import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import helmet from 'helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createTokenVerifier, type TokenVerifier } from '../accounts/tokens';
import type { Config } from '../config';
import { invalid } from '../core/failures';
import type { Database } from '../db/client';
import type { DocumentStorage } from '../documents/storage';
import { deferredChild } from '../logger';
import { createCaseMetrics, type CaseMetrics } from '../metrics/case-metrics';
import { createMetricsRegistry } from '../metrics/registry';
import { resultSignerFromConfig, type ResultSigner } from '../results/signing-key';
import { trustFromConfig, verifierFromConfig } from '../signatures/from-config';
import type { CertificateTrust } from '../signatures/trust';
import type { SignatureVerifier } from '../signatures/verifier';
import { payloadCodecFromConfig } from '../temporal/data-converter';
import type { AesGcmPayloadCodec } from '../temporal/payload-codec';
import { registerAuth } from './auth';
import { registerContract } from './contract';
import { REPLAYED_HEADER, registerIdempotency } from './idempotency';
import { measureRequests } from './http-metrics';
import { problemSchema, sendProblem } from './problem';
import { registerRateLimit } from './rate-limit';
import { logRequests } from './request-log';
import { accessJournalRoutes } from './routes/access-journal';
import { adminRoutes } from './routes/admin';
import { appealRoutes } from './routes/appeals';
import { caseRoutes } from './routes/cases';
import { catalogueRoutes } from './routes/catalogue';
import { catalogueAdminRoutes } from './routes/catalogue-admin';
import { codecRoutes } from './routes/codec';
import { contactRoutes } from './routes/contacts';
import { devPaymentRoutes } from './routes/dev-payments';
import { documentRoutes } from './routes/documents';
import { eptsChangeRoutes } from './routes/epts-changes';
import { healthRoutes } from './routes/health';
import { notificationRoutes } from './routes/notifications';
import { identityRoutes } from './routes/identity';
import { identityConfirmationRoutes } from './routes/identity-confirmation';
import { inboxRoutes } from './routes/inbox';
import { journalVerificationRoutes } from './routes/journal-verification';
import { metricsRoutes } from './routes/metrics';
import { paymentRoutes } from './routes/payments';
import { resultRoutes } from './routes/results';
import { reviewerRoutes } from './routes/reviewer';
import { vehicleRoutes } from './routes/vehicles';

export interface AppDeps {
  config: Config;
  database: Database;
  temporal: Client;
  storage: DocumentStorage;
  logger: Logger;
  /** Bearer tokens; default: from the config. */
  verifier?: TokenVerifier;
  /** Signatures of passport changes; default: the authorities trusted by the config. */
  signatureVerifier?: SignatureVerifier;
  /** Which signing certificates citizens may register; default: from the config. */
  certificateTrust?: CertificateTrust;
  /** The key that signs result documents (its public half is published); default: from the config. */
  resultSigner?: ResultSigner;
  /** Where the API counts its requests (served at /metrics); default: a registry of this app's own. */
  metrics?: Registry;
  /** The cases whose first projection this API instance wrote (filings), on `metrics`; default: counted there. */
  caseMetrics?: CaseMetrics;
  /**
   * The time a filing is registered at, in ms: the workflows' clock (a time-skipping test
   * server keeps its own); default: this machine's.
   */
  clock?: () => Promise<number>;
  /** What the codec endpoint decrypts with: the one the Temporal client uses; default: from the config. */
  payloadCodec?: AesGcmPayloadCodec;
}

/** What routes find in `app.deps`: every dependency, built. */
export type AppServices = Required<AppDeps>;

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppServices;
  }
}

/** Who watches the app being built: the authorisation matrix test reads every route and its roles. */
export interface AppObservers {
  onRoute?: (route: RouteOptions) => void;
}

/** The HTTP app as a factory: server.ts listens with it, tests `inject` into it. */
export async function buildApp(given: AppDeps, observers: AppObservers = {}): Promise<FastifyInstance> {
  // One trust for both, so the revocation lists are fetched and kept once.
  const certificateTrust = given.certificateTrust ?? trustFromConfig(given.config);
  const metrics = given.metrics ?? createMetricsRegistry();
  const deps: AppServices = {
    ...given,
    verifier: given.verifier ?? createTokenVerifier(given.config.auth),
    signatureVerifier: given.signatureVerifier ?? verifierFromConfig(given.config, certificateTrust),
    certificateTrust,
    resultSigner: given.resultSigner ?? (await resultSignerFromConfig(given.config)),
    metrics,
    caseMetrics: given.caseMetrics ?? createCaseMetrics(metrics),
    clock: given.clock ?? (async () => Date.now()),
    payloadCodec: given.payloadCodec ?? (await payloadCodecFromConfig(given.config)),
  };
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: deferredChild,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || crypto.randomUUID(),
    requestIdHeader: false,
    // X-Forwarded-For is anyone's to write: believed only from the configured proxies.
    trustProxy: given.config.http.trustedProxies.length ? given.config.http.trustedProxies : false,
    // Fastify's own refusals before routing (a bad URL, a path parameter over its limit).
    frameworkErrors: (err, request, reply) => sendProblem(request, reply, err),
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  });
  app.decorate('deps', deps);
  if (observers.onRoute) app.addHook('onRoute', observers.onRoute);
  app.addSchema(problemSchema);
  app.setErrorHandler((err, request, reply) => sendProblem(request, reply, err));
  registerContract(app);
  registerIdempotency(app);
  measureRequests(app);
  // These three run on every request, so they take callbacks: an async hook costs each request a promise and a turn of the microtask queue.
  app.addHook('preValidation', (request, _reply, done) => {
    // An action with nothing to say may be posted without a body.
    if (request.method === 'POST' && request.body === undefined) request.body = {};
    // Postgres text and jsonb cannot hold NUL, not even as a query parameter: refuse it here.
    for (const [part, value] of [['body', request.body], ['querystring', request.query], ['params', request.params]] as const) {
      if (value && typeof value === 'object' && JSON.stringify(value).includes('\\u0000')) {
        return done(invalid('text must not contain NUL characters', [{ path: `/${part}`, message: 'contains \\u0000' }]));
      }
    }
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  logRequests(app, deps.logger);

  // Security headers on every answer; the CSP fits the pages served here (Swagger UI, the development payment page).
  // Outside production the API is served over plain HTTP: no HSTS, and nothing the browser would rewrite to https.
  const production = deps.config.env === 'production';
  const securityHeaders = headersOf(helmet({ hsts: production, contentSecurityPolicy: { directives: { upgradeInsecureRequests: production ? [] : null } } }));
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders);
    done();
  });
  await registerCors(app, deps.config);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Citizen cases API', version: '0.1.0', description: 'File, follow and decide citizen cases.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, the scrape secret (not a JWT)' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) || `def-${i}` },
  });
  if (deps.config.http.docsUi) await app.register(swaggerUi, { routePrefix: '/docs' });
  else app.get('/docs/json', { schema: { hide: true }, config: { outageTolerant: true } }, async () => app.swagger());
  await registerRateLimit(app, deps);
  registerAuth(app, deps.verifier);

  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(catalogueRoutes);
  await app.register(catalogueAdminRoutes);
  await app.register(documentRoutes);
  await app.register(caseRoutes);
  await app.register(reviewerRoutes);
  await app.register(appealRoutes);
  await app.register(paymentRoutes);
  if (deps.config.payments.devProvider) await app.register(devPaymentRoutes);
  await app.register(identityRoutes);
  await app.register(identityConfirmationRoutes);
  await app.register(contactRoutes);
  await app.register(vehicleRoutes);
  await app.register(notificationRoutes);
  await app.register(eptsChangeRoutes);
  await app.register(inboxRoutes);
  await app.register(resultRoutes);
  await app.register(journalVerificationRoutes);
  await app.register(accessJournalRoutes);
  await app.register(codecRoutes);
  await app.register(adminRoutes);
  return app;
}

/**
 * The headers a helmet middleware sets, taken once: they depend on its options alone (no
 * nonces here). Running its chain of middlewares for every request, each setting its
 * header on the raw response, cost a status poll 5 % of its CPU (and @fastify/helmet,
 * which builds the middleware anew per request, a tenth).
 */
function headersOf(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let called = false;
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => void (called = true));
  if (!called) throw new Error('helmet did not finish synchronously: its headers cannot be taken once');
  return headers;
}

/**
 * CORS is off unless origins are configured: the portal's (CORS_ORIGINS) for the API,
 * the Temporal Web UI's (CODEC_CORS_ORIGINS) for the codec endpoint alone, which the UI
 * calls with the admin's bearer token, the namespace and a JSON body.
 */
async function registerCors(app: FastifyInstance, config: Config): Promise<void> {
  const { corsOrigins } = config.http;
  const codecOrigins = config.temporal.codec.corsOrigins;
  if (!corsOrigins.length && !codecOrigins.length) return;
  const off = { origin: false } as const;
  const api = corsOrigins.length ? { origin: corsOrigins, exposedHeaders: ['etag', 'location', 'retry-after', 'x-request-id', REPLAYED_HEADER], maxAge: 600 } : off;
  const codec = codecOrigins.length ? { origin: codecOrigins, methods: ['POST'], allowedHeaders: ['authorization', 'content-type', 'x-namespace'], maxAge: 600 } : off;
  await app.register(cors, { delegator: (request, done) => done(null, request.url.startsWith('/codec/') ? codec : api) });
}
