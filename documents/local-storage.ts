import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { stagingArea } from './staging';
import { assertSha256, type DocumentStorage } from './storage';

/** Content-addressed files under `dir`, fanned out by hash prefix; staging on the same filesystem. */
export async function createLocalStorage(dir: string): Promise<DocumentStorage> {
  const stagingPath = await stagingArea(path.join(dir, '.staging'));
  const pathOf = (sha256: string) => {
    assertSha256(sha256);
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
    stagingPath,
  };
}
