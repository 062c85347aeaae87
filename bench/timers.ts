/**
 * `npm run bench -- --timers` (issue 10): many open cases, each with its pending deadline
 * timers, on one worker whose workflow cache is sized explicitly. Starts the cases raw
 * (`workflow.start`, as the filing baseline does), touches every one with a `state` query
 * (each replayed into the cache, the oldest evicted once it is full), restarts the worker
 * and touches them all again, sampling the worker's RSS at each step. Writes
 * bench/results.timers.{json,md} (`--quick`: a tiny scale, bench/results.timers.quick.*).
 *
 * Whether every timer still fires once after a restart is not measured here: these
 * timers are days away (see the README's Benchmark section).
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import protos from '@temporalio/proto';
import { loadConfig } from '../config';
import type { Principal } from '../core/principal';
import { PROJECT_ROOT } from '../temporal/binaries';
import { dataConverter, payloadCodecFromConfig } from '../temporal/data-converter';
import { numberOf, runLoad, settleCases, type CpuGroups } from './harness';
import { sampleRss } from './procs';
import { round } from './stats';
import { startSystem, type System } from './system';

const SERVICE = 'certificate-of-no-record';
const FORM = { purpose: 'employment', birthPlace: 'г. Казань', copies: 1 };
const applicant: Principal = { id: 'bench-timers', role: 'citizen', level: 'confirmed' };
const GIB = 2 ** 30;
const say = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => round(bytes / 2 ** 20, 1);

/** Whether a case's history holds a timer that neither fired nor was cancelled. */
function pendingTimer(events: protos.temporal.api.history.v1.IHistoryEvent[]): boolean {
  const open = new Set<string>();
  for (const e of events) {
    if (e.timerStartedEventAttributes?.timerId) open.add(e.timerStartedEventAttributes.timerId);
    if (e.timerFiredEventAttributes?.timerId) open.delete(e.timerFiredEventAttributes.timerId);
    if (e.timerCanceledEventAttributes?.timerId) open.delete(e.timerCanceledEventAttributes.timerId);
  }
  return open.size > 0;
}

export async function runTimersBench(opts: { quick: boolean; onSystem: (s: System) => void }): Promise<void> {
  const wallStart = performance.now();
  const cases = opts.quick ? 200 : 10_000;
  const cacheSize = opts.quick ? 50 : 600;
  const out = path.join(PROJECT_ROOT, 'bench', opts.quick ? 'results.timers.quick' : 'results.timers');
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  say(`timers: ${cases} open cases, WORKER_MAX_CACHED_WORKFLOWS=${cacheSize}`);

  const s = await startSystem({ env: { WORKER_MAX_CACHED_WORKFLOWS: String(cacheSize) } });
  opts.onSystem(s);
  const config = loadConfig(s.env);
  const tq = { temporalAddress: s.temporalAddress, namespace: config.temporal.namespace, dataDir: s.dataDir };
  const groups: CpuGroups = (loadPid) => () => ({ worker: [s.worker.process.pid!], temporal: s.serverPids().temporal, load: loadPid ? [loadPid] : [] });
  const rss = async () => mb(await sampleRss(s.worker.process.pid!));
  const touchAll = async (ids: string[]) => {
    const t = performance.now();
    const touched = await runLoad({ kind: 'query', ...tq, name: 'state', workflowIds: ids, concurrency: 20, durationSec: 1800, once: true }, groups);
    if (touched.result.failed) throw new Error(`${touched.result.failed} state queries failed (first: ${touched.result.firstError})`);
    return { queries: touched.result.ok, perSecond: round(touched.result.perSecond, 1), p99Ms: touched.result.p99, seconds: round((performance.now() - t) / 1000, 1), cpu: touched.cpu };
  };

  say(`starting ${cases} cases…`);
  let t = performance.now();
  const started = await runLoad(
    { kind: 'start', ...tq, taskQueue: config.temporal.taskQueue, databaseUrl: s.databaseUrl, serviceCode: SERVICE, form: FORM, applicant, concurrency: 20, durationSec: 1800, count: cases },
    groups,
  );
  const ids = started.result.workflowIds ?? [];
  if (ids.length !== cases) throw new Error(`${ids.length} of ${cases} cases started (first error: ${started.result.firstError})`);
  await settleCases(s.database.sql, ids.map(numberOf), 1_800_000);
  const filing = { perSecond: round(started.result.perSecond, 1), secondsUntilProjected: round((performance.now() - t) / 1000, 1) };
  say(`  started and projected in ${filing.secondsUntilProjected} s`);

  const temporal = new Client({
    connection: await Connection.connect({ address: s.temporalAddress }),
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(await payloadCodecFromConfig(config)),
  });
  const sample = ids.filter((_, i) => i % Math.ceil(cases / 20) === 0);
  const withTimer = (await Promise.all(sample.map(async (id) => pendingTimer((await temporal.workflow.getHandle(id).fetchHistory()).events ?? [])))).filter(Boolean).length;
  await temporal.connection.close();
  say(`  ${withTimer} of ${sample.length} sampled cases have a pending timer`);

  const afterFiling = await rss();
  say(`touching every case (a state query each)…`);
  const firstTouch = await touchAll(ids);
  const afterTouch = await rss();
  say(`  RSS ${afterFiling} MB after filing, ${afterTouch} MB after ${firstTouch.queries} queries (${firstTouch.perSecond}/s)`);

  say('restarting the worker…');
  t = performance.now();
  await s.worker.stop();
  await s.startWorker();
  const restartSeconds = round((performance.now() - t) / 1000, 1);
  await new Promise((r) => setTimeout(r, 2000));
  const afterRestart = await rss();
  const secondTouch = await touchAll(ids);
  const afterRestartTouch = await rss();
  const peak = Math.max(afterFiling, afterTouch, afterRestart, afterRestartTouch);
  say(`  RSS ${afterRestart} MB after the restart, ${afterRestartTouch} MB after touching all again (${secondTouch.perSecond}/s)`);

  const results = {
    date: new Date().toISOString(),
    quick: opts.quick,
    seconds: round((performance.now() - wallStart) / 1000, 0),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: round(os.totalmem() / GIB, 1), node: process.version, loadBefore, loadAfter: os.loadavg().map((x) => round(x, 2)), postgres: s.databaseKind },
    cases,
    workerMaxCachedWorkflows: cacheSize,
    sampledCasesWithPendingTimer: `${withTimer} of ${sample.length}`,
    filing,
    rssMB: { afterFiling, afterTouchingAll: afterTouch, afterRestart, afterRestartTouchingAll: afterRestartTouch, peak },
    rssUnder1GiB: peak * 2 ** 20 < GIB,
    touch: { beforeRestart: firstTouch, afterRestart: secondTouch },
    restartSeconds,
    note:
      'RSS of the worker process (median of 5 readings). Each case is an application with its processing deadline timers pending; ' +
      'a `state` query loads a case into the sticky cache, which holds WORKER_MAX_CACHED_WORKFLOWS and evicts the rest. ' +
      'That every timer still fires once after a worker restart is shown at 1,000 cases by npm run test:faults (test/faults/timers-restart.test.ts).',
  };
  await writeFile(`${out}.json`, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(
    `${out}.md`,
    [
      `# Open cases with pending timers on one worker${opts.quick ? ' (quick smoke: not the real numbers)' : ''}`,
      '',
      `${results.date} · ${results.machine.cpu} · ${results.machine.cores} cores · Node ${results.machine.node} · load average before ${loadBefore.join(' ')} · Postgres ${s.databaseKind} · ${results.seconds} s wall`,
      '',
      `| cases | WORKER_MAX_CACHED_WORKFLOWS | RSS after filing | after touching all | after restart | after touching all again | < 1 GiB |`,
      '|---|---|---|---|---|---|---|',
      `| ${cases} | ${cacheSize} | ${afterFiling} MB | ${afterTouch} MB | ${afterRestart} MB | ${afterRestartTouch} MB | ${results.rssUnder1GiB ? 'yes' : 'no'} |`,
      '',
      `Started at ${filing.perSecond}/s, all projected after ${filing.secondsUntilProjected} s; touching all: ${firstTouch.seconds} s (${firstTouch.perSecond} queries/s), after the restart ${secondTouch.seconds} s (${secondTouch.perSecond}/s); restart ${restartSeconds} s. ${results.sampledCasesWithPendingTimer} sampled cases have a pending timer.`,
      '',
      results.note,
      '',
    ].join('\n'),
  );
  say(`\nwrote ${path.relative(PROJECT_ROOT, out)}.json and .md (${results.seconds} s wall); peak RSS ${peak} MB: ${results.rssUnder1GiB ? 'under' : 'NOT under'} 1 GiB`);
}
