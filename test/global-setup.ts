import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded';
import { findBinary } from '../temporal/binaries';
import { startDevServer, type DevServer } from '../temporal/dev-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server URL whose role may create databases; each test file makes its own. */
    adminDatabaseUrl: string;
    temporalAddress: string;
    temporalCliPath: string;
    temporalTestServerPath: string;
  }
}

/**
 * One real Postgres and one real Temporal dev server for the whole run. Postgres is
 * TEST_DATABASE_URL when set (CI uses the machine's server), else an embedded one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = findBinary('temporal', process.env.TEMPORAL_CLI_PATH);
  const testServer = findBinary('temporal-test-server', process.env.TEMPORAL_TEST_SERVER_PATH);
  if (!cli || !testServer) throw new Error('Temporal binaries not found; run `npx tsx scripts/ensure-temporal.ts`');

  let embedded: EmbeddedDatabase | undefined;
  let scratch: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    scratch = await mkdtemp(path.join(tmpdir(), 'cases-test-pg-'));
    // When run as root, Postgres runs as the `postgres` user, which must reach its data directory.
    await chmod(scratch, 0o755);
    embedded = await startEmbeddedPostgres({ dir: path.join(scratch, 'pg'), port: 55432, database: 'postgres' });
    adminUrl = embedded.url;
  }
  const port = 17233 + (process.pid % 1000);
  const devServer: DevServer = await startDevServer({ cliPath: cli, port });

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('temporalAddress', devServer.address);
  project.provide('temporalCliPath', cli);
  project.provide('temporalTestServerPath', testServer);

  return async () => {
    await devServer.stop();
    await embedded?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  };
}
