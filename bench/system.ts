/**
 * The system under test, started on free ports for one benchmark run: Postgres (a fresh
 * database on BENCH_DATABASE_URL / TEST_DATABASE_URL, else an embedded one), a Temporal
 * dev server (SQLite file, as `npm start` runs it), migrations and reference data, and
 * then three processes of their own: the worker (worker.ts), the API (server.ts) and the
 * bare baseline server (bench/bare-server.ts).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config';
import { connectDatabase, migrateDatabase, type Database } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded';
import { createScratchDatabase } from '../db/scratch-database';
import { seedReferenceData } from '../db/seed';
import { freePort } from '../lib/free-port';
import { startLocalSinks } from '../notifications/sinks/local-sinks';
import { findBinary, PROJECT_ROOT } from '../temporal/binaries';
import { connectTemporal } from '../temporal/connection';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { childrenNamed } from './procs';

export interface Child {
  name: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface System {
  dataDir: string;
  databaseUrl: string;
  databaseKind: string;
  temporalAddress: string;
  apiUrl: string;
  bareUrl: string;
  env: NodeJS.ProcessEnv;
  database: Database;
  api: Child;
  worker: Child;
  bare: Child;
  /** Root pids of the servers this process started (for CPU shares). */
  serverPids(): { temporal: number[]; postgres: number[] };
  startWorker(): Promise<Child>;
  /** A second API process and a second worker on the same Temporal and Postgres; the new API's URL. */
  scaleOut(): Promise<string>;
  /** Processes `scaleOut` started. */
  extra: { api: Child[]; worker: Child[] };
  stop(): Promise<void>;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

function asChild(name: string, child: ChildProcess): Child {
  return {
    name,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

/** A Node process running a TypeScript entry point through tsx, its own pid (no tsx wrapper). */
function node(file: string, env: NodeJS.ProcessEnv, log: WriteStream, ready: RegExp, nodeArgs: string[] = [], timeoutMs = 120_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${file} was not ready within ${timeoutMs / 1000} s:\n${seen.slice(-2000)}`)), timeoutMs);
    const watch = (chunk: Buffer) => {
      log.write(chunk);
      if (seen.length < 100_000) seen += chunk.toString();
      if (ready.test(seen)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', watch);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited while starting (${signal ?? `exit code ${code}`}):\n${seen.slice(-2000)}`));
    });
  });
}

export async function startSystem(
  opts: {
    apiPoolSize?: number;
    apiNodeArgs?: string[];
    workerNodeArgs?: string[];
    bareNodeArgs?: string[];
    /** Settings of every process, e.g. the worker's cache size. */
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<System> {
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (let s = stops.pop(); s; s = stops.pop()) await s.stop().catch((err: unknown) => say(`! stopping ${s!.name} failed: ${String(err)}`));
  };
  try {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cases-bench-'));
    // As root, embedded Postgres runs as the user postgres, who must be able to enter it.
    chmodSync(dataDir, 0o755);
    stops.push({ name: 'data directory', stop: () => rm(dataDir, { recursive: true, force: true }) });
    const log = createWriteStream(path.join(dataDir, 'system.log'));

    const [pgPort, temporalPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const adminUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
    let databaseUrl: string;
    let databaseKind: string;
    let postgresPid: () => number[] = () => [];
    if (adminUrl) {
      const fresh = await createScratchDatabase(adminUrl, 'cases_bench');
      stops.push({ name: 'bench database', stop: fresh.drop });
      databaseUrl = fresh.url;
      databaseKind = `external (${new URL(adminUrl).host}), fresh database`;
    } else {
      const pg = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port: pgPort, database: 'cases', log: (l) => log.write(`[postgres] ${l}\n`) });
      stops.push({ name: 'embedded Postgres', stop: pg.stop });
      databaseUrl = pg.url;
      databaseKind = 'embedded';
      postgresPid = () => childrenNamed(process.pid, /^postgres$/);
    }

    const cli = findBinary('temporal', process.env.TEMPORAL_CLI_PATH);
    if (!cli) throw new Error('no Temporal CLI: run `npx tsx scripts/ensure-temporal.ts`');
    const temporal: DevServer = await startDevServer({
      cliPath: cli,
      port: temporalPort,
      dbFile: path.join(dataDir, 'temporal', 'temporal.sqlite'),
      log: (l) => log.write(`[temporal] ${l}\n`),
    });
    stops.push({ name: 'Temporal dev server', stop: temporal.stop });

    await migrateDatabase(databaseUrl);
    const database = connectDatabase(databaseUrl, 4);
    stops.push({ name: 'harness database pool', stop: () => database.close() });
    await seedReferenceData(database.db);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(opts.apiPoolSize ?? 10),
      // Load comes from one address with one token: measure the handlers, not the limiter.
      RATE_LIMIT_PER_MINUTE: '1000000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000000',
      ...opts.env,
    };
    for (const key of ['PUBLIC_URL', 'API_URL', 'OIDC_ISSUER', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS']) delete env[key];
    const config = loadConfig(env);
    // The worker sends one-time codes; the local sinks stand in for the providers, as under npm start.
    const sinks = await startLocalSinks(config);
    stops.push({ name: 'local sinks', stop: () => sinks.close() });
    const { mail, sms, push } = sinks.config.notifications;
    Object.assign(env, { SMTP_HOST: mail.host, SMTP_PORT: String(mail.port), SMTP_SECURE: String(mail.secure), SMS_GATEWAY_URL: sms.url, PUSH_GATEWAY_URL: push.url });
    const connection = await connectTemporal(config, temporal.address);
    await ensureSearchAttributes(connection, config.temporal.namespace);
    await connection.close();

    const startWorker = async () => {
      // As in production, with both metrics endpoints on; every worker on ports of its own.
      const metricsPorts = { WORKER_METRICS_PORT: String(await freePort()), TEMPORAL_METRICS_PORT: String(await freePort()) };
      const w = asChild('worker', await node('worker.ts', { ...env, ...metricsPorts }, log, /worker started/, opts.workerNodeArgs));
      stops.push({ name: 'worker', stop: () => w.stop() });
      return w;
    };
    const worker = await startWorker();
    const startApi = async (port: number) => {
      const a = asChild('api', await node('server.ts', { ...env, PORT: String(port) }, log, /Server listening/, opts.apiNodeArgs));
      stops.push({ name: `API :${port}`, stop: () => a.stop() });
      return a;
    };
    const api = await startApi(apiPort);
    const bareProcess = fork(path.join(PROJECT_ROOT, 'bench', 'bare-server.ts'), [], {
      cwd: PROJECT_ROOT,
      execArgv: [...(opts.bareNodeArgs ?? []), '--import', 'tsx'],
      // Port 0: a port chosen ahead could be handed out again (freePort) before the bare server binds it.
      env: { ...process.env, BARE_DATABASE_URL: databaseUrl, BARE_PORT: '0', BARE_POOL_SIZE: String(opts.apiPoolSize ?? 10) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const bare = asChild('bare', bareProcess);
    stops.push({ name: 'bare server', stop: () => bare.stop() });
    const bareUrl = await new Promise<string>((resolve, reject) => {
      bareProcess.once('message', (m: { address: string }) => resolve(m.address));
      bareProcess.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
    });

    const ready = async (url: string) => {
      for (let i = 0; ; i++) {
        const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
        if (ok) return;
        if (i > 120) throw new Error(`the API at ${url} did not get ready`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await ready(apiUrl);
    const system: System = {
      dataDir,
      databaseUrl,
      databaseKind,
      temporalAddress: temporal.address,
      apiUrl,
      bareUrl,
      env,
      database,
      api,
      worker,
      bare,
      serverPids: () => ({ temporal: childrenNamed(process.pid, /temporal/), postgres: postgresPid() }),
      async startWorker() {
        system.worker = await startWorker();
        return system.worker;
      },
      extra: { api: [], worker: [] },
      async scaleOut() {
        system.extra.worker.push(await startWorker());
        const port = await freePort();
        system.extra.api.push(await startApi(port));
        const url = `http://127.0.0.1:${port}`;
        await ready(url);
        return url;
      },
      stop: stopAll,
    };
    return system;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
