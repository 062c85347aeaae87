import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PROJECT_ROOT } from '../../temporal/binaries';

/** What a test needs of an API process: where it listens, and the process to kill. */
export interface ApiProcess {
  url: string;
  child: ChildProcess;
}

/** How long `node server.ts` may take to compile, connect and answer /healthz. */
const START_TIMEOUT_MS = 60_000;

/**
 * `node server.ts` on a stack's database and Temporal (`Stack.workerEnv`), listening on
 * 127.0.0.1:`port`; resolved once it answers /healthz.
 */
export async function startApiProcess(env: Record<string, string>, port: number): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'server.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const keep = (chunk: Buffer) => (seen = (seen + chunk.toString()).slice(-2000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
    const healthy = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (healthy) return { url, child };
    await delay(100);
  }
  child.kill('SIGKILL');
  throw new Error(`the API process did not come up (${child.signalCode ?? child.exitCode ?? 'timed out'}): ${seen}`);
}
