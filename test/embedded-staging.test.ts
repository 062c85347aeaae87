import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canEnter, EmbeddedPostgresError, postgresAccount, stagedDataDir, stageTree, stagingRoot } from '../db/embedded-staging';

const asRoot = process.getuid?.() === 0;

describe('staging the embedded Postgres for the postgres user', () => {
  let scratch: string;
  let temp: string;
  let source: string;
  let root: string;

  beforeAll(async () => {
    // A private directory, as `mktemp -d` and root's home are: nobody else can enter it.
    scratch = await mkdtemp(path.join(tmpdir(), 'cases-staging-'));
    source = path.join(scratch, 'native');
    await mkdir(path.join(source, 'bin'), { recursive: true });
    await mkdir(path.join(source, 'lib'));
    await writeFile(path.join(source, 'bin', 'hello'), '#!/bin/sh\necho staged\n', { mode: 0o700 });
    await writeFile(path.join(source, 'lib', 'libx.so.1.2'), 'library', { mode: 0o600 });
    await symlink('libx.so.1.2', path.join(source, 'lib', 'libx.so'));
    // The system temp directory stand-in: everyone can enter it.
    temp = await mkdtemp(path.join(tmpdir(), 'cases-staging-tmp-'));
    await chmod(temp, 0o755);
    root = await stagingRoot(temp);
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
    await rm(temp, { recursive: true, force: true });
  });

  it('copies the tree readable by everyone, symlinks kept, and reuses an identical copy', async () => {
    const staged = await stageTree(source, root, 'pkg@1');
    expect((await lstat(path.join(staged, 'bin', 'hello'))).mode & 0o777).toBe(0o755);
    expect((await lstat(path.join(staged, 'lib', 'libx.so.1.2'))).mode & 0o777).toBe(0o644);
    expect(await readlink(path.join(staged, 'lib', 'libx.so'))).toBe('libx.so.1.2');
    expect(await readFile(path.join(staged, 'lib', 'libx.so'), 'utf8')).toBe('library');

    expect(await stageTree(source, root, 'pkg@1')).toBe(staged);
    expect(await stageTree(source, root, 'pkg@2')).not.toBe(staged);
  });

  it('gives each data directory its own place', () => {
    expect(stagedDataDir(root, '/a/.data/postgres')).toBe(stagedDataDir(root, '/a/.data/postgres'));
    expect(stagedDataDir(root, '/a/.data/postgres')).not.toBe(stagedDataDir(root, '/b/.data/postgres'));
  });

  it.runIf(asRoot)('lets the postgres user run what it cannot reach in the private directory', async () => {
    const account = (await postgresAccount())!;
    expect(canEnter(account, path.join(source, 'bin'))).toBe(false);
    const staged = await stageTree(source, root, 'pkg@1');
    const out = execFileSync(path.join(staged, 'bin', 'hello'), { uid: account.uid, gid: account.gid, encoding: 'utf8' });
    expect(out.trim()).toBe('staged');
  });

  it.runIf(asRoot)('refuses a staging directory that others can write to', async () => {
    const base = path.join(temp, 'shared');
    await mkdir(path.join(base, 'citizen-cases-postgres'), { recursive: true });
    await chmod(path.join(base, 'citizen-cases-postgres'), 0o777);
    await expect(stagingRoot(base)).rejects.toThrow(EmbeddedPostgresError);
  });
});
