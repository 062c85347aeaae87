import { randomUUID } from 'node:crypto';
import { access, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DocumentStorage } from './storage';

/** Older staged files belong to uploads that died with their process. */
const STALE_STAGING_MS = 60 * 60 * 1000;

/** Content-addressed files under `dir`, fanned out by hash prefix; staging on the same filesystem. */
export async function createLocalStorage(dir: string): Promise<DocumentStorage> {
  const staging = path.join(dir, '.staging');
  await mkdir(staging, { recursive: true });
  await removeStale(staging);
  const pathOf = (sha256: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a sha256 hex digest');
    return path.join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  };
  const exists = async (sha256: string) =>
    access(pathOf(sha256)).then(
      () => true,
      () => false,
    );
  return {
    async put(stagedPath, sha256) {
      if (await exists(sha256)) {
        await rm(stagedPath, { force: true });
        return;
      }
      await mkdir(path.dirname(pathOf(sha256)), { recursive: true });
      // Same filesystem: the file appears whole or not at all.
      await rename(stagedPath, pathOf(sha256));
    },
    async open(sha256): Promise<Readable> {
      // Opened now, so a missing file fails the request before a response has begun.
      const handle = await open(pathOf(sha256), 'r');
      return handle.createReadStream();
    },
    exists,
    stagingPath: () => path.join(staging, randomUUID()),
  };
}

/** Several processes may share the directory: only files too old to be in flight go. */
async function removeStale(staging: string): Promise<void> {
  const cutoff = Date.now() - STALE_STAGING_MS;
  for (const name of await readdir(staging)) {
    const file = path.join(staging, name);
    const info = await stat(file).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) await rm(file, { force: true });
  }
}
