import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded';
import { findBinary } from '../temporal/binaries';
import { startDevServer } from '../temporal/dev-server';
import { bundleWorkflows } from '../temporal/workflow-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server URL whose role may create databases; each test file makes its own. */
    adminDatabaseUrl: string;
    temporalAddress: string;
    temporalCliPath: string;
    temporalTestServerPath: string;
  }
}

/** Ends the run with what to do, not with a stack trace of the setup. */
function stop(message: string): never {
  process.stderr.write(`\nnpm test cannot start: ${message}\n`);
  process.exit(1);
}

/** A port nobody listens on now: several runs on one machine must not share a server. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * One real Postgres and one real Temporal dev server for the whole run. Postgres is
 * TEST_DATABASE_URL when set (CI uses the machine's server), else an embedded one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = findBinary('temporal', process.env.TEMPORAL_CLI_PATH);
  const testServer = findBinary('temporal-test-server', process.env.TEMPORAL_TEST_SERVER_PATH);
  if (!cli || !testServer) stop('the Temporal binaries were not found: run `npx tsx scripts/ensure-temporal.ts`');

  let embedded: EmbeddedDatabase | undefined;
  let scratch: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    scratch = await mkdtemp(path.join(tmpdir(), 'cases-test-pg-'));
    // As root, Postgres runs as the user postgres: reachable, its data stays here and goes with the scratch directory.
    await chmod(scratch, 0o755);
    const dir = path.join(scratch, 'pg');
    embedded = await startEmbeddedPostgres({ dir, port: await freePort(), database: 'postgres' }).catch(async (err: unknown) => {
      await rm(scratch!, { recursive: true, force: true });
      if (err instanceof EmbeddedPostgresError) stop(`the embedded Postgres did not start in ${dir}: ${err.message} (or set TEST_DATABASE_URL)`);
      throw err;
    });
    adminUrl = embedded.url;
  }
  const port = 17233 + (process.pid % 1000);
  const bundleDir = await mkdtemp(path.join(tmpdir(), 'cases-test-bundle-'));
  const bundlePath = path.join(bundleDir, 'workflows.js');
  const [devServer] = await Promise.all([
    startDevServer({ cliPath: cli, port }),
    bundleWorkflows().then(({ code }) => writeFile(bundlePath, code)),
  ]);

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('temporalAddress', devServer.address);
  project.provide('temporalCliPath', cli);
  project.provide('temporalTestServerPath', testServer);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await devServer.stop();
    await embedded?.stop();
    await rm(bundleDir, { recursive: true, force: true });
    if (scratch) await rm(scratch, { recursive: true, force: true });
  };
}
