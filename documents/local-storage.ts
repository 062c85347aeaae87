import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DocumentStorage } from './storage';

/** Content-addressed files under `dir`, fanned out by hash prefix; staging on the same filesystem. */
export async function createLocalStorage(dir: string): Promise<DocumentStorage> {
  const staging = path.join(dir, '.staging');
  await mkdir(staging, { recursive: true });
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
      return createReadStream(pathOf(sha256));
    },
    exists,
    stagingPath: () => path.join(staging, randomUUID()),
  };
}
