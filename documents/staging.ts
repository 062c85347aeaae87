import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Older staged files belong to uploads that died with their process. */
const STALE_STAGING_MS = 60 * 60 * 1000;

/**
 * Uploads are staged on local disk while they are hashed and checked, whichever store
 * keeps them. Answers a maker of fresh staging paths under `dir`.
 */
export async function stagingArea(dir: string): Promise<() => string> {
  await mkdir(dir, { recursive: true });
  await removeStale(dir);
  return () => path.join(dir, randomUUID());
}

/** Several processes may share the directory: only files too old to be in flight go. */
async function removeStale(dir: string): Promise<void> {
  const cutoff = Date.now() - STALE_STAGING_MS;
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) await rm(file, { force: true });
  }
}
