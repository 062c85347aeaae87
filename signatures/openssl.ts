/**
 * The system `openssl` binary, for what Node's crypto cannot do: GOST R 34.10-2012 and
 * GOST R 34.11-2012 (Streebog) come from the GOST engine (Debian: libengine-gost-openssl),
 * which the system OpenSSL loads and Node's own OpenSSL does not.
 * Runs without a shell, with a timeout, on files in a private temporary directory that
 * is removed afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TIMEOUT_MS = 15_000;

export interface OpensslRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs openssl in `cwd`, without a shell; a non-zero exit is a result, not an error. */
export function runOpenssl(args: string[], cwd: string): Promise<OpensslRun> {
  return new Promise<OpensslRun>((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: TIMEOUT_MS, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`openssl could not run: ${err.message}`));
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

/** Runs openssl with `args` on `files`, written to a private directory removed afterwards; `{name}` in an argument is that file's path. */
export async function openssl(args: string[], files: Record<string, Buffer | string> = {}, opts: { read?: string[] } = {}): Promise<OpensslRun & { read: Record<string, Buffer> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'openssl-'));
  try {
    await Promise.all(Object.entries(files).map(([name, content]) => writeFile(path.join(dir, name), content, { mode: 0o600 })));
    const run = await runOpenssl(
      args.map((a) => a.replace(/\{([\w.-]+)\}/g, (_, name: string) => path.join(dir, name))),
      dir,
    );
    const read: Record<string, Buffer> = {};
    for (const name of opts.read ?? []) read[name] = await readFile(path.join(dir, name)).catch(() => Buffer.alloc(0));
    return { ...run, read };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs openssl and fails with its own words unless it succeeds. */
export async function opensslOk(args: string[], files: Record<string, Buffer | string> = {}, read: string[] = []): Promise<OpensslRun & { read: Record<string, Buffer> }> {
  const run = await openssl(args, files, { read });
  if (run.code !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return run;
}

let engine: Promise<boolean> | undefined;

/** Whether the system openssl has the GOST engine; asked once per process. */
export function gostEngineAvailable(): Promise<boolean> {
  engine ??= openssl(['engine', '-t', 'gost']).then(
    (run) => run.code === 0 && /available/.test(run.stdout.toString('utf8')),
    () => false,
  );
  return engine;
}

export const GOST_UNAVAILABLE =
  'GOST R 34.10-2012 signatures cannot be checked on this server: the OpenSSL GOST engine is not installed (see README, "GOST signatures")';

export const toPem = (der: Uint8Array, label: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
