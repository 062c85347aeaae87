import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A development secret kept in `file` (under DATA_DIR): read when it is there, otherwise
 * made by `make` and kept, readable by its owner only. Every process using that
 * directory gets the same one.
 */
export async function keptDevelopmentSecret(file: string, make: () => string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return existing;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Several processes may get here at once: the secret appears whole (a hard link), the first one wins.
  const staged = `${file}.${randomUUID()}`;
  await writeFile(staged, make(), { mode: 0o600 });
  await link(staged, file)
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    })
    .finally(() => rm(staged, { force: true }));
  return readFile(file, 'utf8');
}
