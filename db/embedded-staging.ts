import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Postgres refuses to run as root, so as root the embedded server runs as the OS user
 * `postgres`. That user must be able to reach the binaries and the data directory,
 * which a project cloned into a private directory (root's home, a `mktemp -d` folder)
 * does not allow: what it needs is staged under the system temp directory instead.
 */

/** A failure the person running the command can fix: its message says how. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

export interface PostgresAccount {
  uid: number;
  gid: number;
}

const ACCOUNT = 'postgres';
const COMPLETE = '.staged';
const run = promisify(execFile);

async function lookUp(): Promise<PostgresAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', ACCOUNT]), run('id', ['-g', ACCOUNT])]);
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  } catch {
    return undefined;
  }
}

/** The account Postgres runs as when this process is root (created if missing); undefined otherwise. */
export async function postgresAccount(): Promise<PostgresAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookUp();
  if (existing) return existing;
  try {
    await run('groupadd', ['--system', ACCOUNT]);
    await run('useradd', ['--system', '--gid', ACCOUNT, '--no-create-home', ACCOUNT]);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `Postgres refuses to run as root and there is no user ${ACCOUNT} to run it as; creating one failed ` +
        `(${err instanceof Error ? err.message.trim() : String(err)}): create the user ${ACCOUNT}, run as another user, or set DATABASE_URL`,
    );
  }
  const created = await lookUp();
  if (!created) throw new EmbeddedPostgresError(`the user ${ACCOUNT} was created but cannot be looked up: run \`id ${ACCOUNT}\``);
  return created;
}

/** Whether the account can search `dir` (and so every directory above it). */
export function canEnter(account: PostgresAccount, dir: string): boolean {
  return spawnSync('test', ['-x', dir], { uid: account.uid, gid: account.gid }).status === 0;
}

/**
 * `<tmp>/citizen-cases-postgres`, root-owned and 0755. A directory of that name that
 * someone else created or can write to is refused: whoever controls it would choose
 * the binaries root starts.
 */
export async function stagingRoot(base = tmpdir()): Promise<string> {
  const root = path.join(base, 'citizen-cases-postgres');
  await mkdir(root, { recursive: true, mode: 0o755 });
  const stat = await lstat(root);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${root} is not a root-owned directory that only root can write to: remove it, or set TMPDIR to another directory`,
    );
  }
  await chmod(root, 0o755);
  return root;
}

/** Relative path, size and symlink target of every entry: equal for two copies of one package version. */
async function manifest(dir: string, rel = ''): Promise<string[]> {
  const lines: string[] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const entry = path.join(rel, name);
    const stat = await lstat(path.join(dir, entry));
    if (stat.isSymbolicLink()) lines.push(`l ${entry} ${await readlink(path.join(dir, entry))}`);
    else if (stat.isDirectory()) lines.push(`d ${entry}`, ...(await manifest(dir, entry)));
    else lines.push(`f ${entry} ${stat.size} ${stat.mode & 0o111 ? 'x' : '-'}`);
  }
  return lines;
}

/** Copies a tree readable (and, where executable, runnable) by everyone, whatever the umask it was installed with. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  await chmod(to, 0o755);
  for (const name of await readdir(from)) {
    const source = path.join(from, name);
    const target = path.join(to, name);
    const stat = await lstat(source);
    if (stat.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (stat.isDirectory()) await copyTree(source, target);
    else {
      await copyFile(source, target);
      await chmod(target, stat.mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/**
 * A copy of `source` under `root`, named by `label` (package and version) and the
 * tree's manifest, so that every run and every clone with the same binaries shares one.
 * Staged into a temporary name and renamed, so a copy is either complete or absent.
 */
export async function stageTree(source: string, root: string, label: string): Promise<string> {
  const lines = await manifest(source);
  const key = createHash('sha256').update(label).update('\n').update(lines.join('\n')).digest('hex').slice(0, 16);
  const target = path.join(root, `bin-${key}`);
  if (existsSync(path.join(target, COMPLETE))) return target;
  const partial = await mkdtemp(path.join(root, `partial-${key}-`));
  try {
    await copyTree(source, partial);
    await writeFile(path.join(partial, COMPLETE), `${label}\n`, { mode: 0o644 });
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    // Another process staged the same copy at the same moment.
    if (existsSync(path.join(target, COMPLETE))) return target;
    throw err;
  }
  return target;
}

/** Where the data of `dir` lives when its own place is out of the account's reach: one per `dir`. */
export function stagedDataDir(root: string, dir: string): string {
  return path.join(root, `data-${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16)}`);
}
