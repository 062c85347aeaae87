import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { inject } from 'vitest';
import { mintToken } from '../../accounts/tokens';
import { createActivities, type Activities } from '../../activities';
import { buildApp, type AppObservers } from '../../api/app';
import { loadConfig, type Config } from '../../config';
import { SYSTEM_ACTOR } from '../../core/case-model';
import { serviceChanges, type ServiceDefinition } from '../../core/catalogue';
import type { Principal } from '../../core/principal';
import { insertService } from '../../db/queries/catalogue';
import { documentStorageFromConfig } from '../../documents/from-config';
import { registryFromConfig } from '../../identity/from-config';
import { createSimulatedRegistry, type IdentityRegistry } from '../../identity/registry';
import { freePort } from '../../lib/free-port';
import { signPayload } from '../../lib/hmac-signature';
import { sendersFromConfig } from '../../notifications/senders';
import { startLocalSinks } from '../../notifications/sinks/local-sinks';
import { resultDocumentsFromConfig } from '../../results/from-config';
import { verifierFromConfig } from '../../signatures/from-config';
import type { SignatureVerifier } from '../../signatures/verifier';
import { connectTemporal } from '../../temporal/connection';
import { dataConverter, payloadCodecFromConfig } from '../../temporal/data-converter';
import { installTemporalRuntime } from '../../temporal/runtime';
import { workerOptions } from '../../worker';
import { TEST_PAYLOAD_CODEC_KEYS } from './codec';
import { createTestDatabase, type TestDatabase } from './db';
import { workflowBundle } from './workflow-bundle';

export { testService } from './fixtures';

installTemporalRuntime(pino({ level: process.env.TEST_LOG_LEVEL ?? 'error' }));

/** What an in-process worker runs other than the defaults: another code's bundle, a cache of another size. */
export interface WorkerChoice {
  workflowBundle?: WorkflowBundleOption;
  maxCachedWorkflows?: number;
}

export interface Stack {
  config: Config;
  database: TestDatabase;
  client: Client;
  app: FastifyInstance;
  /** The in-process worker; none when the test runs worker processes of its own. */
  readonly worker?: Worker;
  /** Shuts the in-process worker down (after its tasks in hand) and starts another on the same task queue and activities. */
  replaceWorker(choice?: WorkerChoice): Promise<void>;
  /** What a worker process needs in its environment to serve this stack (database, Temporal, task queue, providers). */
  workerEnv: Record<string, string>;
  token(p: Principal): Promise<string>;
  /** app.inject with a bearer token for `as` */
  call(as: Principal | undefined, opts: InjectOptions): Promise<LightMyRequestResponse>;
  addService(service: ServiceDefinition): Promise<void>;
  /** Uploads one file as `as` (multipart, like a browser), with `headers` besides the form's. */
  upload(as: Principal | undefined, type: string, bytes: Buffer, fileName?: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A callback from an outside party (gateway, bank), signed with `secret`. */
  signedPost(url: string, secret: string, body: object): Promise<LightMyRequestResponse>;
  /**
   * Another API instance on the same database and Temporal, with its own configuration
   * (e.g. stricter limits, another DATA_DIR) and logger, and the document store that
   * configuration names; closed with the stack.
   */
  instance(config: Config, logger?: pino.Logger): Promise<FastifyInstance>;
  close(): Promise<void>;
}

/**
 * The whole product on real parts: a fresh Postgres database, the shared Temporal dev
 * server, a real worker on a task queue of this file's own, the Fastify app, and the
 * local SMTP and gateway sinks (DATA_DIR/sinks) as its message providers.
 * `wrapActivities` lets a test inject faults around the real activities.
 */
export async function startStack(
  opts: {
    wrapActivities?: (real: Activities) => Activities;
    registry?: IdentityRegistry;
    verifier?: SignatureVerifier;
    /** Run on the dev server at this address instead of the shared one. */
    temporalAddress?: string;
    /** Make the database on this Postgres server instead of the shared one (a server the test stops and starts). */
    adminDatabaseUrl?: string;
    /** Run on this time-skipping test server instead of the shared dev server. */
    timeSkipping?: TestWorkflowEnvironment;
    /** Accredited authorities (PEM) and revoked serials, as QES_TRUSTED_CA_FILE / QES_REVOKED_SERIALS would give. */
    trust?: { caPem: string; revokedSerials?: string[] };
    /** Settings beyond the test defaults, e.g. a gateway of the test's own. */
    env?: Record<string, string>;
    /** Also listen on a free loopback port (`config.http.apiUrl`), for parties that call the API over HTTP. */
    listen?: boolean;
    /** false: no worker in this process; the test starts worker processes with `workerEnv`. */
    inProcessWorker?: boolean;
    /** The in-process worker's code or cache, when not the defaults. */
    worker?: WorkerChoice;
    /** Watches the app being built (its routes). */
    observers?: AppObservers;
    /** The API's logger; default: silent (TEST_LOG_LEVEL). */
    logger?: pino.Logger;
  } = {},
): Promise<Stack> {
  const database = await createTestDatabase(opts.adminDatabaseUrl);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cases-stack-'));
  const trust: Record<string, string> = {};
  if (opts.trust) {
    trust.QES_TRUSTED_CA_FILE = path.join(dataDir, 'trusted-ca.pem');
    trust.QES_REVOKED_SERIALS = (opts.trust.revokedSerials ?? []).join(',');
    await writeFile(trust.QES_TRUSTED_CA_FILE, opts.trust.caPem);
  }
  // Every stack's messages really leave it: to an SMTP server and a gateway receiver of its own.
  const env: Record<string, string> = {
    ...trust,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: opts.temporalAddress ?? inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
    DATABASE_URL: database.url,
    // Every test request comes from one address, and tests send many codes to few addresses.
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    CODE_RESEND_COOLDOWN_SECONDS: '0',
    CODE_DAILY_CAP: '1000',
    // Worker processes get it too (workerEnv): the stack's cases are encrypted with the test key.
    PAYLOAD_CODEC_KEYS: TEST_PAYLOAD_CODEC_KEYS,
    // Worker processes of a test, several at once, would contend for the default ports.
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    ...(opts.listen ? { HOST: '127.0.0.1', PORT: String(await freePort()) } : {}),
    ...opts.env,
  };
  const sinks = await startLocalSinks(loadConfig(env));
  const config = sinks.config;
  const { mail, sms, push } = config.notifications;
  const workerEnv = {
    ...env,
    SMTP_HOST: mail.host!,
    SMTP_PORT: String(mail.port),
    SMTP_SECURE: String(mail.secure),
    SMS_GATEWAY_URL: sms.url!,
    PUSH_GATEWAY_URL: push.url!,
    TEMPORAL_ADDRESS: config.temporal.address!,
  };
  const skipping = opts.timeSkipping;
  // The API's own connection options: the fault tests see the timeouts production has.
  const connection = skipping ? undefined : await connectTemporal(config, config.temporal.address!);
  const payloadCodec = await payloadCodecFromConfig(config);
  // A time-skipping environment's client encrypts with the same test key (createTimeSkippingEnv).
  const client = skipping ? skipping.client : new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(payloadCodec) });
  const nativeConnection = skipping ? skipping.nativeConnection : await NativeConnection.connect({ address: config.temporal.address });
  const real = createActivities({
    db: database.db,
    codeSecret: config.identity.codeSecret,
    // REGISTRY_ADAPTER=http in `env`: the configured gateway, as a worker would have it; otherwise a quick simulation.
    registry: opts.registry ?? (config.identity.registry.adapter === 'http' ? registryFromConfig(config) : createSimulatedRegistry({ latencyMs: 5, failureRate: 0 })),
    verifier: opts.verifier ?? verifierFromConfig(config),
    senders: sendersFromConfig(config),
    supervisors: config.inbox.supervisors,
    deliveryTimeoutMs: config.notifications.timeoutMs,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    results: await resultDocumentsFromConfig(config, database.db),
    metrics: new Registry(),
  });
  const activities = opts.wrapActivities ? opts.wrapActivities(real) : real;
  const startWorker = async (choice: WorkerChoice = {}) =>
    Worker.create({
      ...workerOptions(config.temporal.taskQueue),
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      workflowBundle: choice.workflowBundle ?? workflowBundle(),
      ...(choice.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: choice.maxCachedWorkflows }),
      dataConverter: dataConverter(payloadCodec),
      activities,
    });
  let worker = opts.inProcessWorker === false ? undefined : await startWorker(opts.worker);
  let running = worker?.run();
  const storage = await documentStorageFromConfig(config, database.db);
  const app = await buildApp(
    {
      config,
      database,
      temporal: client,
      storage,
      payloadCodec,
      logger: opts.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      // Filings are registered at the time the workflows see, skipped or not.
      ...(skipping ? { clock: () => skipping.currentTimeMs() } : {}),
    },
    opts.observers,
  );
  await app.ready();
  if (opts.listen) await app.listen({ host: config.http.host, port: config.http.port });

  const instances: FastifyInstance[] = [];
  const tokens = new Map<string, string>();
  const token = async (p: Principal) => {
    const key = JSON.stringify(p);
    if (!tokens.has(key)) tokens.set(key, await mintToken(config.auth, p));
    return tokens.get(key)!;
  };
  return {
    config,
    database,
    client,
    app,
    get worker() {
      return worker;
    },
    async replaceWorker(choice) {
      worker?.shutdown();
      await running;
      worker = await startWorker(choice);
      running = worker.run();
    },
    workerEnv,
    token,
    async call(as, options) {
      const headers = { ...(options.headers ?? {}), ...(as ? { authorization: `Bearer ${await token(as)}` } : {}) };
      return app.inject({ ...options, headers });
    },
    async upload(as, type, bytes, fileName = 'scan.pdf', extra = {}) {
      const form = new FormData();
      form.append('type', type);
      form.append('file', new Blob([bytes]), fileName);
      const request = new Request('http://local/documents', { method: 'POST', body: form });
      const headers = { ...extra, 'content-type': request.headers.get('content-type')!, ...(as ? { authorization: `Bearer ${await token(as)}` } : {}) };
      return app.inject({ method: 'POST', url: '/documents', payload: Buffer.from(await request.arrayBuffer()), headers });
    },
    async signedPost(url, secret, body) {
      const payload = JSON.stringify(body);
      return app.inject({
        method: 'POST',
        url,
        payload,
        headers: { 'content-type': 'application/json', 'x-signature': signPayload(secret, payload) },
      });
    },
    async instance(own, logger = pino({ level: 'silent' })) {
      const other = await buildApp({ config: own, database, temporal: client, storage: await documentStorageFromConfig(own, database.db), logger });
      instances.push(other);
      await other.ready();
      return other;
    },
    async addService(s) {
      const entry = { ...s, version: 1, retired: false };
      await insertService(database.db, entry, SYSTEM_ACTOR, serviceChanges(undefined, entry));
    },
    async close() {
      for (const other of instances) await other.close();
      await app.close();
      worker?.shutdown();
      await running;
      // The time-skipping environment owns its connections.
      if (!skipping) await nativeConnection.close();
      await connection?.close();
      await database.drop();
      await sinks.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
