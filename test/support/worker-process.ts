import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../temporal/binaries';

/**
 * `node worker.ts` serving a stack's task queue (`Stack.workerEnv`), resolved once it polls.
 * `output` hears everything it writes, from its first line.
 */
export function startWorkerProcess(
  env: Record<string, string>,
  opts: { logLevel?: 'debug' | 'info'; output?: (text: string) => void } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'worker.ts')], {
    cwd: PROJECT_ROOT,
    // Its start is seen in its log: at info level whatever the stack's own is.
    env: { ...process.env, ...env, LOG_LEVEL: opts.logLevel ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (opts.output) {
    child.stdout!.on('data', (chunk: Buffer) => opts.output!(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => opts.output!(chunk.toString()));
  }
  return new Promise((resolve, reject) => {
    let seen = '';
    const watch = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('worker started')) resolve(child);
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', watch);
    child.once('exit', (code, signal) => reject(new Error(`the worker exited while starting (${signal ?? code}): ${seen.slice(-2000)}`)));
  });
}

export const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
