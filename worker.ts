import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createActivities } from './activities';
import { startTerminatedCaseSweeps } from './cases/terminated-cases';
import { loadConfig, requireEndpoints, type Config } from './config';
import { connectDatabase, type Db } from './db/client';
import { registryFromConfig } from './identity/from-config';
import { createLogger } from './logger';
import { createMetricsRegistry } from './metrics/registry';
import { startMetricsEndpoint, type MetricsEndpoint } from './metrics/worker-endpoint';
import type { Senders } from './notifications/channel';
import { sendersFromConfig } from './notifications/senders';
import { resultDocumentsFromConfig } from './results/from-config';
import { verifierFromConfig } from './signatures/from-config';
import { connectClient, connectWorkerConnection } from './temporal/connection';
import { dataConverter, payloadCodecFromConfig } from './temporal/data-converter';
import { installTemporalRuntime } from './temporal/runtime';
import { bundleWorkflowsApart } from './temporal/workflow-bundle';

/** Options every worker of this project uses, in production and in tests. */
export function workerOptions(taskQueue: string): Pick<WorkerOptions, 'taskQueue' | 'workflowFailureErrorTypes'> {
  return {
    taskQueue,
    // A bug in workflow code fails that case visibly instead of retrying its task forever.
    workflowFailureErrorTypes: { '*': ['Error'] },
  };
}

export async function createWorker(opts: {
  config: Config;
  connection: NativeConnection;
  db: Db;
  senders: Senders;
  logger: Logger;
  /** What the activities count; see `startWorkerMetrics`. */
  metrics: Registry;
}): Promise<Worker> {
  return Worker.create({
    ...workerOptions(opts.config.temporal.taskQueue),
    connection: opts.connection,
    namespace: opts.config.temporal.namespace,
    maxCachedWorkflows: opts.config.temporal.maxCachedWorkflows,
    workflowBundle: await bundleWorkflowsApart(),
    dataConverter: dataConverter(await payloadCodecFromConfig(opts.config)),
    activities: createActivities({
      db: opts.db,
      codeSecret: opts.config.identity.codeSecret,
      registry: registryFromConfig(opts.config),
      verifier: verifierFromConfig(opts.config),
      senders: opts.senders,
      supervisors: opts.config.inbox.supervisors,
      deliveryTimeoutMs: opts.config.notifications.timeoutMs,
      logger: opts.logger,
      results: await resultDocumentsFromConfig(opts.config, opts.db),
      metrics: opts.metrics,
    }),
  });
}

/** The worker's own metrics endpoint (WORKER_METRICS_PORT), unless it is off. */
export async function startWorkerMetrics(config: Config, registry: Registry): Promise<MetricsEndpoint | undefined> {
  const { host, port } = config.metrics.worker;
  return port ? startMetricsEndpoint({ host, port, registry, token: config.metrics.token }) : undefined;
}

/** Terminated workflows read per sweep: a burst of terminations is worked off over a few sweeps. */
const SWEEP_LIMIT = 500;

/**
 * The sweep for cases whose workflow was terminated in Temporal (cases/terminated-cases.ts),
 * every RECONCILE_EVERY_SECONDS, unless that is 0. Every worker process runs one; they
 * never close a case twice.
 */
export async function startCaseSweeps(config: Config, address: string, db: Db, logger: Logger): Promise<{ stop(): Promise<void> } | undefined> {
  const { everySeconds, lookbackDays } = config.temporal.reconcile;
  if (!everySeconds) return undefined;
  const client = await connectClient(config, address, await payloadCodecFromConfig(config));
  const sweeps = startTerminatedCaseSweeps({ client, db, logger }, { everySeconds, lookbackDays, limit: SWEEP_LIMIT });
  return {
    async stop() {
      await sweeps.stop();
      await client.connection.close();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  installTemporalRuntime(logger, config.metrics.worker.temporalBindAddress);
  const { temporalAddress, databaseUrl } = requireEndpoints(config);
  // Before anything connects: a worker alone has no local sinks to fall back on.
  const senders = sendersFromConfig(config);
  const database = connectDatabase(databaseUrl, config.db.poolSize);
  const connection = await connectWorkerConnection(config, temporalAddress);
  const metrics = createMetricsRegistry();
  const worker = await createWorker({ config, connection, db: database.db, senders, logger, metrics });
  const endpoint = await startWorkerMetrics(config, metrics);
  const sweeps = await startCaseSweeps(config, temporalAddress, database.db, logger);
  logger.info({ taskQueue: config.temporal.taskQueue, metrics: endpoint?.url, temporalMetrics: config.metrics.worker.temporalBindAddress }, 'worker started');
  await worker.run();
  await sweeps?.stop();
  await endpoint?.close();
  await connection.close();
  await database.close();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
