import path from 'node:path';
import { fileURLToPath } from 'node:url';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app';
import { loadConfig, requireEndpoints, type Config } from './config';
import { connectDatabase, type Database } from './db/client';
import { documentStorageFromConfig } from './documents/from-config';
import { createLogger } from './logger';
import { connectClient } from './temporal/connection';
import { payloadCodecFromConfig } from './temporal/data-converter';

/** Builds the API on live connections and listens; the caller owns closing them. */
export async function startServer(config: Config, database: Database, temporalAddress: string): Promise<FastifyInstance> {
  const logger = createLogger(config);
  const payloadCodec = await payloadCodecFromConfig(config);
  const temporal = await connectClient(config, temporalAddress, payloadCodec);
  const storage = await documentStorageFromConfig(config, database.db);
  const app = await buildApp({ config, database, temporal, storage, logger, payloadCodec });
  app.addHook('onClose', async () => {
    await temporal.connection.close();
  });
  await app.listen({ host: config.http.host, port: config.http.port });
  return app;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { temporalAddress, databaseUrl } = requireEndpoints(config);
  const database = connectDatabase(databaseUrl, config.db.poolSize);
  const app = await startServer(config, database, temporalAddress);
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    await app.close();
    await database.close();
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
