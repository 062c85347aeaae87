import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded';
import { freePort } from '../../lib/free-port';
import { startDevServer, type DevServer } from '../../temporal/dev-server';

/** A server of the test's own, on a port and data of its own, that the test takes away and brings back. */
export interface RestartableServer {
  /** Where to reach it: the same before and after a restart. */
  readonly address: string;
  stop(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  // As root, the embedded Postgres runs as the user postgres, which must reach its data here.
  await chmod(dir, 0o755);
  return dir;
}

/**
 * An embedded Postgres (db/embedded.ts) to stop and start: never the machine's shared
 * server, which other tests and engineers use. `address` is its admin URL.
 */
export async function restartablePostgres(): Promise<RestartableServer> {
  const scratch = await scratchDir('cases-fault-pg-');
  const options = { dir: path.join(scratch, 'pg'), port: await freePort(), database: 'postgres' };
  let server: EmbeddedDatabase = await startEmbeddedPostgres(options);
  return {
    address: server.url,
    stop: () => server.stop(),
    async start() {
      server = await startEmbeddedPostgres(options);
    },
    async remove() {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** A Temporal dev server with its history in a SQLite file, to stop and start on that file. */
export async function restartableTemporal(): Promise<RestartableServer> {
  const scratch = await scratchDir('cases-fault-temporal-');
  const options = { cliPath: inject('temporalCliPath'), port: await freePort(), dbFile: path.join(scratch, 'temporal.sqlite') };
  let server: DevServer = await startDevServer(options);
  return {
    address: server.address,
    stop: () => server.stop(),
    async start() {
      server = await startDevServer(options);
    },
    async remove() {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
