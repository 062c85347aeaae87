/**
 * `npm start`: the whole system in one process. Without TEMPORAL_ADDRESS it runs a
 * Temporal dev server (Web UI, SQLite in the data directory); without DATABASE_URL an
 * embedded Postgres (data in the data directory). Then migrations, reference data, the
 * worker and the API. Ctrl-C stops everything; the next start finds every case again.
 */
import path from 'node:path';
import { loadConfig, withEndpoints, ConfigError, type Config } from '../config';
import { connectDatabase, migrateDatabase } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded';
import { seedReferenceData } from '../db/seed';
import { createLogger } from '../logger';
import { startServer } from '../server';
import { findBinary } from '../temporal/binaries';
import { connectTemporal, connectWorkerConnection } from '../temporal/connection';
import { startDevServer } from '../temporal/dev-server';
import { installTemporalRuntime } from '../temporal/runtime';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { createWorker } from '../worker';

type Stop = () => Promise<void>;

async function main(): Promise<void> {
  const base = loadConfig();
  const logger = createLogger(base);
  installTemporalRuntime(logger);
  const childLog = (name: string) => (line: string) => logger.debug({ server: name }, line);
  const stops: Stop[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'stop failed'));
  };
  let shuttingDown = false;
  const onSignal = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(`${signal}: stopping`);
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    let temporalAddress = base.temporal.address;
    let uiUrl = base.temporal.uiUrl;
    if (!temporalAddress) {
      const cli = findBinary('temporal', base.temporal.cliPath);
      if (!cli) throw new ConfigError('the Temporal CLI was not found and could not be installed; set TEMPORAL_CLI_PATH');
      const dev = await startDevServer({
        cliPath: cli,
        port: base.temporal.devPort,
        uiPort: base.temporal.devUiPort,
        dbFile: path.join(base.dataDir, 'temporal', 'temporal.sqlite'),
        log: childLog('temporal'),
      });
      stops.push(dev.stop);
      temporalAddress = dev.address;
      uiUrl = dev.uiUrl;
    }
    let databaseUrl = base.db.url;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        dir: path.join(base.dataDir, 'postgres'),
        port: base.db.embeddedPort,
        database: 'cases',
        log: childLog('postgres'),
      });
      stops.push(pg.stop);
      databaseUrl = pg.url;
    }
    const config: Config = withEndpoints({ ...base, temporal: { ...base.temporal, uiUrl } }, { temporalAddress, databaseUrl });

    await migrateDatabase(databaseUrl);
    const database = connectDatabase(databaseUrl, config.db.poolSize);
    stops.push(() => database.close());
    const seeded = await seedReferenceData(database.db);
    if (base.temporal.address) {
      const connection = await connectTemporal(config, temporalAddress);
      const added = await ensureSearchAttributes(connection, config.temporal.namespace);
      if (added.length) logger.info({ added }, 'registered search attributes');
      await connection.close();
    }

    const connection = await connectWorkerConnection(config, temporalAddress);
    const worker = await createWorker({ config, connection, db: database.db });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      await connection.close();
    });
    running.catch((err) => {
      logger.fatal({ err }, 'worker stopped');
      onSignal('worker failure');
    });

    const app = await startServer(config, database, temporalAddress);
    stops.push(() => app.close());

    const api = `http://${config.http.host}:${config.http.port}`;
    const lines = [
      '',
      'Citizen cases is running',
      `  API              ${api}`,
      `  OpenAPI docs     ${api}/docs   (document: ${api}/docs/json)`,
      `  Temporal Web UI  ${uiUrl}`,
      `  Temporal         ${temporalAddress} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})${base.temporal.address ? '' : ', embedded dev server'}`,
      `  Postgres         ${base.db.url ? 'external (DATABASE_URL)' : `embedded on 127.0.0.1:${config.db.embeddedPort}, data in ${path.join(base.dataDir, 'postgres')}`}`,
      `  Catalogue        ${seeded.services} service(s) and ${seeded.days} calendar day(s) added on this start`,
      '',
      '  Tokens:  npm run -s token -- citizen alice --level confirmed',
      '           npm run -s token -- reviewer rita --agency mvd',
      '  Walk:    npm run walk   (file → claim → request info → answer → approve)',
      '  Stop:    Ctrl-C',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    await stopAll();
    throw err;
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
