/**
 * Process facts from /proc (Linux): CPU time of a process and its live descendants,
 * resident memory, and the machine's CPU counters. Used to report each process's CPU
 * share over a measurement window.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { median } from './stats';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
export const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces: split after its closing one.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const rest = text.slice(close + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(rest[1]), comm, ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

export function allProcesses(): Stat[] {
  const out: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The pids of `root` and every live descendant. */
export function subtree(root: number, procs = allProcesses()): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Direct children of `parent` whose command name matches. */
export function childrenNamed(parent: number, comm: RegExp): number[] {
  return allProcesses()
    .filter((p) => p.ppid === parent && comm.test(p.comm))
    .map((p) => p.pid);
}

/** CPU ticks (user + system) of each group: a group is a set of root pids, counted with their live descendants. */
export function cpuTicks(groups: Record<string, number[]>): Record<string, number> {
  const procs = allProcesses();
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const out: Record<string, number> = {};
  for (const [name, roots] of Object.entries(groups)) {
    let ticks = 0;
    const seen = new Set<number>();
    for (const root of roots) {
      for (const pid of subtree(root, procs)) {
        if (seen.has(pid)) continue;
        seen.add(pid);
        ticks += byPid.get(pid)?.ticks ?? 0;
      }
    }
    out[name] = ticks;
  }
  return out;
}

/** The machine's busy and total jiffies (all CPUs) from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Resident set size of one process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** The median of a few RSS readings 200 ms apart, in bytes: one reading catches a GC mid-way. */
export function sampleRss(pid: number, samples = 5): Promise<number> {
  return new Promise((resolve) => {
    const got: number[] = [];
    const t = setInterval(() => {
      got.push(rssBytes(pid));
      if (got.length >= samples) {
        clearInterval(t);
        resolve(median(got));
      }
    }, 200);
  });
}

/** A window over which every group's CPU share is reported, in % of one core. */
export class CpuWindow {
  private startTicks: Record<string, number> = {};
  private startMachine = machineTicks();
  private startAt = 0;
  private startSelf = process.cpuUsage();

  constructor(private readonly groups: () => Record<string, number[]>) {}

  begin(): void {
    this.startTicks = cpuTicks(this.groups());
    this.startMachine = machineTicks();
    this.startAt = performance.now();
    this.startSelf = process.cpuUsage();
  }

  end(): Record<string, number> {
    const seconds = (performance.now() - this.startAt) / 1000;
    const now = cpuTicks(this.groups());
    const machine = machineTicks();
    const out: Record<string, number> = {};
    for (const [name, ticks] of Object.entries(now)) {
      out[name] = round1((100 * (ticks - (this.startTicks[name] ?? 0))) / TICKS_PER_SECOND / seconds);
    }
    // This process alone (its children are groups of their own).
    const self = process.cpuUsage(this.startSelf);
    out.harness = round1((100 * (self.user + self.system)) / 1e6 / seconds);
    // The whole machine, every process included (other work on it too), in % of one core.
    const busy = machine.busy - this.startMachine.busy;
    const total = machine.total - this.startMachine.total;
    const cores = total > 0 ? (total / TICKS_PER_SECOND / seconds) : 1;
    out.machine = round1(total > 0 ? (100 * cores * busy) / total : 0);
    return out;
  }
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
