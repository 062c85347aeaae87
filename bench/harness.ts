/**
 * What every benchmark mode shares: one measurement driven from its own load process
 * (bench/load.ts) with the CPU shares of the system's processes over its window, and
 * waiting until the worker has projected a backlog of cases.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import type { Sql } from 'postgres';
import { PROJECT_ROOT } from '../temporal/binaries';
import type { LoadSpec } from './load';
import { CpuWindow } from './procs';
import type { LoadResult } from './stats';

export interface Measured {
  result: LoadResult;
  cpu: Record<string, number>;
}

/** The process groups whose CPU a window reports, given the load process's pid. */
export type CpuGroups = (loadPid: number | undefined) => () => Record<string, number[]>;

/** One measurement: a load process prepares, then runs while the CPU window is open. */
export function runLoad(spec: LoadSpec, groups: CpuGroups): Promise<Measured> {
  const child = fork(path.join(PROJECT_ROOT, 'bench', 'load.ts'), [], {
    cwd: PROJECT_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const window = new CpuWindow(groups(child.pid));
  return new Promise((resolve, reject) => {
    child.on('message', (m: { type: string; result?: LoadResult; message?: string }) => {
      // The spec goes over the channel once the process listens, not in argv: 10,000 workflow
      // ids are more than an argument may hold (E2BIG).
      if (m.type === 'listening') child.send({ type: 'spec', spec });
      else if (m.type === 'ready') {
        window.begin();
        child.send({ type: 'go' });
      } else if (m.type === 'done') {
        const cpu = window.end();
        resolve({ result: m.result!, cpu });
      } else if (m.type === 'error') reject(new Error(`load process: ${m.message}`));
    });
    child.once('exit', (code) => code && reject(new Error(`load process exited with ${code}`)));
  });
}

/** Waits until the worker has projected every one of these cases (its backlog is done). */
export async function settleCases(sql: Sql, numbers: string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from cases where number = any(${numbers})`;
    const n = row?.n ?? 0;
    if (n >= numbers.length) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${numbers.length} cases projected after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const numberOf = (workflowId: string) => workflowId.replace(/^case-/, '');
