/**
 * `npm run bench`: the hot paths of issue 10, each against its raw baseline, in one run.
 * Starts the system itself (bench/system.ts), drives load from a separate process per
 * measurement (bench/load.ts: autocannon for HTTP, the Temporal client for the raw
 * baselines), repeats each measurement and reports the median, the spread and each
 * process's CPU share (from /proc), and writes bench/results.json and bench/results.md.
 *
 *   npm run bench [-- --quick]
 *   npm run bench -- --profile          the status poll only, the API and the bare server under --cpu-prof: where their CPU goes
 *   npm run bench -- --profile-worker   filing only, the worker under --cpu-prof (each of its threads)
 *   npm run bench -- --timers           10,000 open cases with pending timers on one worker: its RSS (bench/timers.ts)
 *
 * `--quick` (the CI smoke): ~1 s per measurement, one repetition, a small seed; it writes
 * bench/results.quick.{json,md} (gitignored), never the committed results.
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import protos from '@temporalio/proto';
import { mintToken } from '../accounts/tokens';
import { loadConfig } from '../config';
import { explainOfficialQueue } from '../cases/queue';
import { caseWorkflowId } from '../core/case-model';
import type { Principal } from '../core/principal';
import { explainList, type ListPlan } from '../db/queries/cases';
import { PROJECT_ROOT } from '../temporal/binaries';
import { dataConverter, payloadCodecFromConfig } from '../temporal/data-converter';
import type { LoadSpec } from './load';
import { numberOf, runLoad, settleCases, type Measured } from './harness';
import { round1, sampleRss } from './procs';
import { summarise } from './profile';
import { seedCases, SEED_APPLICANTS } from './seed-cases';
import { median, round, spread } from './stats';
import { startSystem, type System } from './system';
import { runTimersBench } from './timers';

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, timers: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false }, 'profile-worker': { type: 'boolean', default: false } },
});
const QUICK = args.quick;
const SECONDS = QUICK ? 1 : 5;
const REPS = QUICK ? 1 : 3;
/** Filing answers take up to a second: a longer window, so requests cut off at its end weigh less. */
const FILING_SECONDS = SECONDS * 2;
const CLAIMS_PER_REP = QUICK ? 5 : 40;
const SEED = QUICK ? { cases: 2_000, journalPerCase: 5 } : { cases: 100_000, journalPerCase: 10 };
const MEMORY_CASES = QUICK ? 40 : 1_000;
const OUT = path.join(PROJECT_ROOT, 'bench', QUICK ? 'results.quick' : 'results');

const SERVICE = 'certificate-of-no-record';
const FORM = { purpose: 'employment', birthPlace: 'г. Казань', copies: 1 };
const poller: Principal = { id: 'alice', role: 'citizen', level: 'confirmed' };
const filer: Principal = { id: 'bench-filer', role: 'citizen', level: 'confirmed' };
const rawFiler: Principal = { id: 'bench-raw', role: 'citizen', level: 'confirmed' };
const reviewer: Principal = { id: 'rita', role: 'reviewer', agency: 'mvd' };
const lister: Principal = { id: 'bench-c7', role: 'citizen', level: 'confirmed' };
/** A filer with an account and an e-mail address, so that each step of their cases sends messages. */
const notified: Principal = { id: 'bench-notified', role: 'citizen', level: 'confirmed' };

const say = (line: string) => process.stdout.write(`${line}\n`);

interface Side {
  label: string;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
  spread: number;
  cpu: Record<string, number>;
  reps: { perSecond: number; p50: number; p99: number; ok: number; failed: number; seconds: number }[];
  firstError?: string;
}

interface Entry {
  path: string;
  product: Side;
  baseline: Side | null;
  /** How `ratio` is formed. */
  ratioOf: string;
  ratio: number | null;
  note?: string;
}

let system: System | undefined;

function cpuGroups(loadPid: number | undefined) {
  return () => {
    const s = system!;
    const servers = s.serverPids();
    return {
      api: [s.api, ...s.extra.api].map((c) => c.process.pid!),
      worker: [s.worker, ...s.extra.worker].filter((c) => c.process.exitCode === null).map((c) => c.process.pid!),
      bare: [s.bare.process.pid!],
      temporal: servers.temporal,
      postgres: servers.postgres,
      load: loadPid ? [loadPid] : [],
    };
  };
}

/** One measurement, with the CPU shares of the system's processes and its load process. */
const measure = (spec: LoadSpec): Promise<Measured> => runLoad(spec, cpuGroups);

function side(label: string, runs: Measured[]): Side {
  const cpuKeys = Object.keys(runs[0]?.cpu ?? {});
  const firstError = runs.find((r) => r.result.firstError)?.result.firstError;
  return {
    label,
    perSecond: round(median(runs.map((r) => r.result.perSecond)), 1),
    p50: round(median(runs.map((r) => r.result.p50)), 1),
    p99: round(median(runs.map((r) => r.result.p99)), 1),
    failed: runs.reduce((n, r) => n + r.result.failed, 0),
    spread: spread(runs.map((r) => r.result.perSecond)),
    cpu: Object.fromEntries(cpuKeys.map((k) => [k, round1(median(runs.map((r) => r.cpu[k] ?? 0)))])),
    reps: runs.map((r) => ({
      perSecond: round(r.result.perSecond, 1),
      p50: round(r.result.p50, 1),
      p99: round(r.result.p99, 1),
      ok: r.result.ok,
      failed: r.result.failed,
      seconds: round(r.result.seconds, 2),
    })),
    ...(firstError ? { firstError } : {}),
  };
}

function report(e: Entry): void {
  const fmt = (s: Side) =>
    `${s.label}: ${s.perSecond}/s p50 ${s.p50} ms p99 ${s.p99} ms (spread ${Math.round(s.spread * 100)} %, failed ${s.failed}) ` +
    `cpu ${Object.entries(s.cpu).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}%`).join(' ')}`;
  say(`\n■ ${e.path}\n  ${fmt(e.product)}`);
  if (e.baseline) say(`  ${fmt(e.baseline)}`);
  say(`  ratio (${e.ratioOf}): ${e.ratio ?? '—'}`);
  if (e.note) say(`  ${e.note}`);
  for (const s of [e.product, e.baseline]) if (s?.failed) say(`  ! ${s.label}: ${s.failed} failed requests${s.firstError ? ` (first: ${s.firstError})` : ''}`);
}

const planNote = (p: { page: ListPlan; count: ListPlan }) =>
  `EXPLAIN ANALYZE: page ${p.page.nodes.join(' → ')} (${round(p.page.ms, 2)} ms); count ${p.count.nodes.join(' → ')} (${round(p.count.ms, 2)} ms)`;

function httpSpec(url: string, token: string, connections: number, more: Partial<Extract<LoadSpec, { kind: 'http' }>> = {}): LoadSpec {
  return { kind: 'http', url, connections, durationSec: SECONDS, headers: { authorization: `Bearer ${token}` }, ...more };
}

async function fileViaApi(token: string, n: number, concurrency = 10): Promise<string[]> {
  const numbers: string[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const r = await fetch(`${system!.apiUrl}/cases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ serviceCode: SERVICE, form: FORM, documents: [] }),
        });
        if (r.status !== 201) throw new Error(`filing answered ${r.status}: ${await r.text()}`);
        numbers.push(((await r.json()) as { number: string }).number);
      }
    }),
  );
  return numbers;
}

/** Waits until the worker has projected every one of these cases (its backlog is done). */
const settle = (numbers: string[], timeoutMs?: number): Promise<void> => settleCases(system!.database.sql, numbers, timeoutMs);

async function historyFacts(
  temporal: Client,
  ids: string[],
): Promise<{ cases: number; events: number; bytes: number; workflowTasks: number; activityTasks: number; roundTrips: number; eventTypes: Record<string, number> }> {
  const { EventType } = protos.temporal.api.enums.v1;
  const events: number[] = [];
  const bytes: number[] = [];
  const workflowTasks: number[] = [];
  const activityTasks: number[] = [];
  const types: Record<string, number> = {};
  for (const id of ids) {
    const history = await temporal.workflow.getHandle(id).fetchHistory();
    const all = history.events ?? [];
    events.push(all.length);
    bytes.push(protos.temporal.api.history.v1.History.encode(history).finish().length);
    workflowTasks.push(all.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).length);
    activityTasks.push(all.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED).length);
    if (id === ids[0]) {
      for (const e of all) {
        const name = EventType[e.eventType ?? 0] ?? String(e.eventType);
        const short = name.replace(/^EVENT_TYPE_/, '');
        types[short] = (types[short] ?? 0) + 1;
      }
    }
  }
  const wft = median(workflowTasks);
  const act = median(activityTasks);
  return { cases: ids.length, events: median(events), bytes: median(bytes), workflowTasks: wft, activityTasks: act, roundTrips: 1 + 2 * wft + 2 * act, eventTypes: types };
}

function markdown(results: Record<string, unknown>, entries: Entry[], extra: { history: unknown; memory: unknown }): string {
  const m = results.machine as Record<string, unknown>;
  const cpu = (s: Side) => Object.entries(s.cpu).filter(([k, v]) => v >= 1 && k !== 'harness').map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `# Benchmark results${QUICK ? ' (quick smoke: not the real numbers)' : ''}`,
    '',
    `${results.date} · ${m.cpu} · ${m.cores} cores · ${m.memoryGiB} GiB · Node ${m.node} · load average before ${(m.loadBefore as number[]).join(' ')}, after ${(m.loadAfter as number[]).join(' ')} · Postgres ${m.postgres} · ${results.seconds} s wall`,
    '',
    `Each measurement ${SECONDS} s (filing ${FILING_SECONDS} s; claims: ${CLAIMS_PER_REP} per repetition), median of ${REPS}; spread = (max − min) / median of the rates. ` +
      'CPU in % of one core over the window (machine = every process on it, other work included).',
    '',
    '| path | product | baseline | ratio | product p50 / p99 ms | baseline p50 / p99 ms | spread | CPU % product (baseline) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const e of entries) {
    const b = e.baseline;
    lines.push(
      `| ${e.path} | ${e.product.label}: ${e.product.perSecond}/s | ${b ? `${b.label}: ${b.perSecond}/s` : '—'} | ${e.ratio ?? '—'} (${e.ratioOf}) | ${e.product.p50} / ${e.product.p99} | ${b ? `${b.p50} / ${b.p99}` : '—'} | ${Math.round(e.product.spread * 100)} %${b ? ` / ${Math.round(b.spread * 100)} %` : ''} | ${cpu(e.product)}${b ? ` (${cpu(b)})` : ''} |`,
    );
  }
  for (const e of entries) if (e.note) lines.push('', `${e.path}: ${e.note}`);
  lines.push('', '```json', JSON.stringify({ history: extra.history, memory: extra.memory }, null, 2), '```', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const wallStart = performance.now();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadBefore: os.loadavg().map((x) => round(x, 2)),
    loadAfter: [] as number[],
    postgres: '',
  };
  say(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadBefore.join(' ')}`);
  say(`mode: ${QUICK ? 'quick smoke' : 'full'} (${SECONDS} s per measurement, ${REPS} repetition(s))`);

  say('starting the system (Postgres, Temporal dev server, worker, API, bare server)…');
  const profiling = args.profile ? 'api' : args['profile-worker'] ? 'worker' : undefined;
  const profileDir = profiling ? await mkdtemp(path.join(os.tmpdir(), 'cases-bench-prof-')) : undefined;
  const cpuProf = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : undefined;
  system = await startSystem(profiling === 'api' ? { apiNodeArgs: cpuProf, bareNodeArgs: cpuProf } : { workerNodeArgs: cpuProf });
  const s = system;
  machine.postgres = s.databaseKind;
  say(`  API ${s.apiUrl}, bare ${s.bareUrl}, Temporal ${s.temporalAddress}, Postgres ${s.databaseKind}; logs in ${s.dataDir}/system.log`);
  const config = loadConfig(s.env);
  const token = async (p: Principal) => mintToken(config.auth, p);
  const [pollToken, filerToken, reviewerToken, listerToken] = await Promise.all([token(poller), token(filer), token(reviewer), token(lister)]);
  const temporal = new Client({
    connection: await Connection.connect({ address: s.temporalAddress }),
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(await payloadCodecFromConfig(config)),
  });
  const tq = { temporalAddress: s.temporalAddress, namespace: config.temporal.namespace, dataDir: s.dataDir };
  const entries: Entry[] = [];

  // ---- 1. status poll vs the bare route -------------------------------------------
  const [pollNumber] = await fileViaApi(pollToken, 1, 1);
  const pollUrl = `${s.apiUrl}/cases/${pollNumber}`;
  const bareUrl = `${s.bareUrl}/cases/${pollNumber}`;
  const filingBody = JSON.stringify({ serviceCode: SERVICE, form: FORM, documents: [] });
  if (profileDir && profiling) {
    const spec =
      profiling === 'api'
        ? httpSpec(pollUrl, pollToken, 50)
        : httpSpec(`${s.apiUrl}/cases`, filerToken, 10, { method: 'POST', body: filingBody });
    await measure({ ...spec, durationSec: 2 } as LoadSpec);
    const run = await measure({ ...spec, durationSec: 10 } as LoadSpec);
    say(`\n${profiling === 'api' ? 'poll' : 'filing'}: ${round(run.result.perSecond, 1)}/s, ${profiling} CPU ${run.cpu[profiling]}% of a core`);
    if (profiling === 'api') {
      // The bare route under the same load: the two profiles side by side.
      const bareSpec = httpSpec(bareUrl, pollToken, 50);
      await measure({ ...bareSpec, durationSec: 2 } as LoadSpec);
      const bareRun = await measure({ ...bareSpec, durationSec: 10 } as LoadSpec);
      say(`bare: ${round(bareRun.result.perSecond, 1)}/s, bare CPU ${bareRun.cpu.bare}% of a core`);
    }
    const owners = new Map([s.api, s.bare, s.worker].map((c) => [String(c.process.pid), c.name]));
    await temporal.connection.close();
    await s.stop();
    system = undefined;
    // One profile per thread (the worker runs workflows in threads of its own): the busiest first.
    const files = (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profileDir, f));
    if (!files.length) throw new Error(`the ${profiling} wrote no profile into ${profileDir}`);
    const summaries = files.map((file) => ({ file, ...summarise(file) })).sort((a, b) => b.totalMs - a.totalMs);
    for (const summary of summaries.filter((x) => x.totalMs >= summaries[0]!.totalMs / 10)) {
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile
      const owner = owners.get(path.basename(summary.file).split('.')[3]!) ?? '?';
      say(`\nprofile of the ${owner} ${summary.file}: ${summary.totalMs} ms of CPU`);
      say(`self time by package (ms):\n${summary.byPackage.map(([k, v]) => `  ${String(v).padStart(8)}  ${k}`).join('\n')}`);
      say(`self time by function (ms):\n${summary.byFunction.map(([k, v]) => `  ${String(v).padStart(8)}  ${k}`).join('\n')}`);
    }
    return;
  }
  // Warm-up (JIT, pools), not recorded.
  await measure({ ...httpSpec(pollUrl, pollToken, 50), durationSec: 1 } as LoadSpec);
  await measure({ ...httpSpec(bareUrl, pollToken, 50), durationSec: 1 } as LoadSpec);
  const poll: Measured[] = [];
  const bare: Measured[] = [];
  for (let i = 0; i < REPS; i++) {
    poll.push(await measure(httpSpec(pollUrl, pollToken, 50)));
    bare.push(await measure(httpSpec(bareUrl, pollToken, 50)));
  }
  const pollEntry: Entry = {
    path: 'status poll `GET /cases/{n}`, 50 connections',
    product: side('API', poll),
    baseline: side('bare Fastify + postgres.js, same SELECT', bare),
    ratioOf: 'product/baseline req/s',
    ratio: null,
  };
  pollEntry.ratio = round(pollEntry.product.perSecond / pollEntry.baseline!.perSecond);
  entries.push(pollEntry);
  report(pollEntry);

  // ---- 3. filing vs a raw workflow start ------------------------------------------
  const filed: Measured[] = [];
  const raw: Measured[] = [];
  const registeredStarts: Measured[] = [];
  const rawIds: string[] = [];
  const rawStart = { kind: 'start', ...tq, taskQueue: config.temporal.taskQueue, databaseUrl: s.databaseUrl, serviceCode: SERVICE, form: FORM, applicant: rawFiler, concurrency: 10, durationSec: FILING_SECONDS } as const;
  for (let i = 0; i < REPS; i++) {
    filed.push(await measure(httpSpec(`${s.apiUrl}/cases`, filerToken, 10, { method: 'POST', body: filingBody, durationSec: FILING_SECONDS })));
    const r = await measure(rawStart);
    raw.push(r);
    rawIds.push(...(r.result.workflowIds ?? []));
    // The raw starts leave the worker a backlog: let it finish before the next measurement.
    await settle((r.result.workflowIds ?? []).map(numberOf));
    registeredStarts.push(await measure({ ...rawStart, awaitRegistered: true }));
  }
  const filingEntry: Entry = {
    path: 'filing `POST /cases`, concurrency 10',
    product: side('API (answers once projected)', filed),
    baseline: side('client.workflow.start, same type and input', raw),
    ratioOf: 'product/baseline per s',
    ratio: null,
  };
  filingEntry.ratio = round(filingEntry.product.perSecond / filingEntry.baseline!.perSecond);
  entries.push(filingEntry);
  report(filingEntry);
  // What an answer that waits for the case's first workflow task costs without the API.
  const floorEntry: Entry = {
    path: 'filing `POST /cases` vs update-with-start of `registered` (a start that waits for its projection), concurrency 10',
    product: filingEntry.product,
    baseline: side('client executeUpdateWithStart(registered), same type and input', registeredStarts),
    ratioOf: 'product/baseline per s',
    ratio: null,
  };
  floorEntry.ratio = round(floorEntry.product.perSecond / floorEntry.baseline!.perSecond);
  entries.push(floorEntry);
  report(floorEntry);
  const productFiled = (await s.database.sql<{ number: string }[]>`select number from cases where applicant_id = ${filer.id} order by number`).map((r) => r.number);
  const historySample = QUICK ? 3 : 20;
  const history = {
    product: await historyFacts(temporal, productFiled.slice(0, historySample).map(caseWorkflowId)),
    rawStart: await historyFacts(temporal, rawIds.slice(0, historySample)),
    note:
      'median per case right after filing: events and bytes (protobuf History), workflow tasks and activity tasks, and the server round trips they imply ' +
      '(the start, a poll and a completion per workflow task and per activity task; local activities run inside a workflow task and cost none); eventTypes of the first case',
  };
  say(
    `  history per filed case: product ${history.product.events} events, ${history.product.bytes} bytes, ${history.product.roundTrips} server round trips; ` +
      `raw start ${history.rawStart.events} events, ${history.rawStart.bytes} bytes, ${history.rawStart.roundTrips} round trips`,
  );

  // ---- 4. claim vs a no-op update -------------------------------------------------
  const claimable = async () =>
    s.database.sql<{ number: string; version: number }[]>`
      select number, version from cases where applicant_id = ${filer.id} and status = 'submitted' and assignee_id is null order by number`;
  let open = await claimable();
  if (open.length < CLAIMS_PER_REP * REPS) {
    await fileViaApi(filerToken, CLAIMS_PER_REP * REPS - open.length);
    open = await claimable();
  }
  /** Claims of `cases` through the API, one at a time, each repetition against no-op updates of the same workflows. */
  const claimsVsNoops = async (cases: { number: string; version: number }[]) => {
    const claims: Measured[] = [];
    const noops: Measured[] = [];
    for (let i = 0; i < REPS; i++) {
      const batch = cases.slice(i * CLAIMS_PER_REP, (i + 1) * CLAIMS_PER_REP);
      const noop = { kind: 'update', ...tq, name: 'registered', workflowIds: batch.map((c) => caseWorkflowId(c.number)), concurrency: 1, durationSec: 60, once: true } as const;
      // The filings above pushed these cases out of the worker's cache; the no-op below finds
      // them cached (the claim just loaded them). Warm them first so both sides meet the same
      // worker, and a history replay is not counted as the claim's.
      await measure(noop);
      claims.push(
        await measure(
          httpSpec(s.apiUrl, reviewerToken, 1, {
            method: 'POST',
            durationSec: 60,
            perItem: batch.map((c) => ({ path: `/cases/${c.number}/claim`, body: JSON.stringify({ version: c.version }) })),
          }),
        ),
      );
      noops.push(await measure(noop));
    }
    return { claims, noops };
  };
  const unnotified = await claimsVsNoops(open);
  const claimEntry: Entry = {
    path: 'reviewer claim `POST /cases/{n}/claim` until the answer, 1 connection',
    product: side('API claim', unnotified.claims),
    baseline: side('`registered` update (no state change) of the same workflows', unnotified.noops),
    ratioOf: 'product/baseline p50 latency',
    ratio: null,
    note:
      'The workflows offer no no-op update; `registered` (the update-with-start target) only waits until the case is projected and answers: one workflow task, no activity, no state change. ' +
      'Both sides meet cases in the worker’s cache (a `registered` update warms each batch first, unmeasured). ' +
      'The applicant has no account, so the claim’s notice is an inbox row and no message is sent (the next entry has messages).',
  };
  claimEntry.ratio = round(claimEntry.product.p50 / claimEntry.baseline!.p50);
  entries.push(claimEntry);
  report(claimEntry);

  // ---- 4b. the same, when the applicant gets messages ---------------------------------
  // An account with an e-mail address: each claim queues its status notice by e-mail and
  // push, and a delivery activity sends them (to the local sinks) after the claim's answer.
  await s.database.sql`
    insert into accounts (id, name, email, password_hash, status, level)
    values (${notified.id}, 'Анна Петрова', 'bench-notified@example.ru', '-', 'active', 'confirmed') on conflict do nothing`;
  await fileViaApi(await token(notified), CLAIMS_PER_REP * REPS);
  const notifiedOpen = await s.database.sql<{ number: string; version: number }[]>`
    select number, version from cases where applicant_id = ${notified.id} and status = 'submitted' and assignee_id is null order by number`;
  const messaged = await claimsVsNoops(notifiedOpen);
  const messagedEntry: Entry = {
    path: 'reviewer claim, the applicant notified by e-mail and push (a delivery after each answer), 1 connection',
    product: side('API claim', messaged.claims),
    baseline: side('`registered` update (no state change) of the same workflows', messaged.noops),
    ratioOf: 'product/baseline p50 latency',
    ratio: null,
    note: 'Reported, not a target of its own: the delivery runs after the answer, and on two cores it competes with the next claim.',
  };
  messagedEntry.ratio = round(messagedEntry.product.p50 / messagedEntry.baseline!.p50);
  entries.push(messagedEntry);
  report(messagedEntry);

  // ---- 2. poll with the worker stopped vs a workflow query ------------------------
  const queryIds = productFiled.slice(0, 200).map(caseWorkflowId);
  const queries: Measured[] = [];
  for (let i = 0; i < REPS; i++) queries.push(await measure({ kind: 'query', ...tq, name: 'state', workflowIds: queryIds, concurrency: 50, durationSec: SECONDS }));
  await s.worker.stop();
  const stoppedPolls: Measured[] = [];
  for (let i = 0; i < REPS; i++) stoppedPolls.push(await measure(httpSpec(pollUrl, pollToken, 50)));
  const stoppedEntry: Entry = {
    path: 'poll with the worker stopped vs a `state` workflow query, 50 concurrent',
    product: side('API poll, worker stopped', stoppedPolls),
    baseline: side('workflow query `state` (worker running)', queries),
    ratioOf: 'poll req/s ÷ queries/s',
    ratio: null,
  };
  stoppedEntry.ratio = round(stoppedEntry.product.perSecond / stoppedEntry.baseline!.perSecond);
  entries.push(stoppedEntry);
  report(stoppedEntry);

  // ---- 6. worker memory per cached workflow ---------------------------------------
  const openIds = async () =>
    (await s.database.sql<{ number: string }[]>`select number from cases where applicant_id in (${filer.id}, ${rawFiler.id}) and closed_at is null`).map((r) =>
      caseWorkflowId(r.number),
    );
  let cached = await openIds();
  await s.startWorker();
  if (cached.length < MEMORY_CASES) {
    say(`  starting ${MEMORY_CASES - cached.length} more cases for the memory measurement…`);
    const topUp = await measure({
      kind: 'start',
      ...tq,
      taskQueue: config.temporal.taskQueue,
      databaseUrl: s.databaseUrl,
      serviceCode: SERVICE,
      form: FORM,
      applicant: rawFiler,
      concurrency: 20,
      durationSec: Math.min(60, Math.ceil((MEMORY_CASES - cached.length) / Math.max(5, filingEntry.baseline!.perSecond))) + 1,
    });
    await settle((topUp.result.workflowIds ?? []).map(numberOf), 300_000);
    cached = await openIds();
    // A fresh worker again: its cache holds only what the queries below load.
    await s.worker.stop();
    await s.startWorker();
  }
  await new Promise((r) => setTimeout(r, 2000));
  const workerPid = s.worker.process.pid!;
  const emptyRss = await sampleRss(workerPid);
  const load = await measure({ kind: 'query', ...tq, name: 'state', workflowIds: cached, concurrency: 10, durationSec: 600, once: true });
  await new Promise((r) => setTimeout(r, 2000));
  const fullRss = await sampleRss(workerPid);
  // The cache keeps at most its size of the cases queried: the rest were replayed and evicted.
  const cachedCases = Math.min(load.result.ok, config.temporal.maxCachedWorkflows);
  const memory = {
    queriedCases: load.result.ok,
    cachedCases,
    failedQueries: load.result.failed,
    rssEmptyMB: round(emptyRss / 2 ** 20, 1),
    rssCachedMB: round(fullRss / 2 ** 20, 1),
    mbPerCachedCase: round((fullRss - emptyRss) / 2 ** 20 / Math.max(1, cachedCases), 3),
    note: `RSS of a fresh worker process before and after one \`state\` query to each open case (each replayed into the sticky cache); the cache holds WORKER_MAX_CACHED_WORKFLOWS cases at most (${config.temporal.maxCachedWorkflows} here), so the growth is divided by that many, and it includes the garbage of the replays not yet collected`,
  };
  say(`\n■ worker memory: ${memory.rssEmptyMB} MB empty, ${memory.rssCachedMB} MB after ${memory.queriedCases} cases queried, ${memory.cachedCases} of them cached: ${memory.mbPerCachedCase} MB per cached case`);

  // ---- 5. queue and citizen list over many seeded cases ---------------------------
  say(`\nseeding ${SEED.cases} cases and ${SEED.cases * SEED.journalPerCase} journal entries…`);
  const seeded = await seedCases(s.databaseUrl, { ...SEED, templateNumber: pollNumber, log: QUICK ? undefined : say });
  const [counts] = await s.database.sql<{ total: number; mvd_open: number; own: number }[]>`
    select count(*)::int as total,
           count(*) filter (where agency = 'mvd' and status in ('submitted','resubmitted','reopened','in_review','awaiting_info'))::int as mvd_open,
           count(*) filter (where applicant_id = ${lister.id})::int as own
    from cases`;
  say(`  seeded in ${seeded.seconds.toFixed(1)} s: ${counts!.total} cases, ${counts!.mvd_open} open in mvd, ${counts!.own} of ${lister.id} (${SEED_APPLICANTS} seeded applicants)`);
  const queue: Measured[] = [];
  const list: Measured[] = [];
  for (let i = 0; i < REPS; i++) {
    queue.push(await measure(httpSpec(`${s.apiUrl}/queue`, reviewerToken, 20)));
    list.push(await measure(httpSpec(`${s.apiUrl}/cases`, listerToken, 20)));
  }
  const queueEntry: Entry = {
    path: `reviewer queue \`GET /queue\`, ${counts!.total} cases, ${counts!.mvd_open} open in the agency, 20 connections`,
    product: side('API', queue),
    baseline: null,
    ratioOf: 'no baseline (target: p99 < 50 ms)',
    ratio: null,
  };
  const listEntry: Entry = {
    path: `citizen list \`GET /cases\`, ${counts!.own} own cases among ${counts!.total}, 20 connections`,
    product: side('API', list),
    baseline: null,
    ratioOf: 'no baseline (target: p99 < 50 ms)',
    ratio: null,
  };
  // What Postgres does for the first page of each, on the seeded tables.
  const plans = {
    queue: await explainOfficialQueue(s.database.db, reviewer, { limit: 20, offset: 0 }),
    list: await explainList(s.database.db, { applicant: { applicantId: lister.id, limit: 20, offset: 0 } }),
  };
  queueEntry.note = planNote(plans.queue);
  listEntry.note = planNote(plans.list);
  entries.push(queueEntry, listEntry);
  report(queueEntry);
  report(listEntry);

  // ---- 6. scale-out: two API processes and two workers on the same servers -------
  const secondApi = await s.scaleOut();
  const polls2: Measured[] = [];
  const filed2: Measured[] = [];
  // All polls first, as the single API's were, not each right after a filing run: the workers
  // were still at work on the cases just filed then (56 % of a core; the row read 0.46 of one
  // API, polled first 0.91).
  for (let i = 0; i < REPS; i++) polls2.push(await measure(httpSpec(pollUrl, pollToken, 50, { alsoOn: [secondApi] })));
  for (let i = 0; i < REPS; i++) filed2.push(await measure(httpSpec(`${s.apiUrl}/cases`, filerToken, 10, { method: 'POST', body: filingBody, durationSec: FILING_SECONDS, alsoOn: [secondApi] })));
  const scaleNote = 'p50/p99: the slower instance of the two (percentiles of separate load generators do not merge)';
  const scaledPoll: Entry = {
    path: 'scale-out: status poll, 2 API processes (+2 workers), 50 connections split between them',
    product: side('2 APIs', polls2),
    baseline: pollEntry.product,
    ratioOf: 'two instances / one (req/s)',
    ratio: round(median(polls2.map((m) => m.result.perSecond)) / pollEntry.product.perSecond),
    note: scaleNote,
  };
  const scaledFiling: Entry = {
    path: 'scale-out: filing, 2 API processes + 2 workers, concurrency 10 split between them',
    product: side('2 APIs + 2 workers', filed2),
    baseline: filingEntry.product,
    ratioOf: 'two instances / one (per s)',
    ratio: round(median(filed2.map((m) => m.result.perSecond)) / filingEntry.product.perSecond),
    note: scaleNote,
  };
  entries.push(scaledPoll, scaledFiling);
  report(scaledPoll);
  report(scaledFiling);

  await temporal.connection.close();
  machine.loadAfter = os.loadavg().map((x) => round(x, 2));
  const results = {
    date: new Date().toISOString(),
    quick: QUICK,
    seconds: round((performance.now() - wallStart) / 1000, 0),
    machine,
    settings: { secondsPerMeasurement: SECONDS, repetitions: REPS, claimsPerRepetition: CLAIMS_PER_REP, seed: SEED, logLevel: 'info', rateLimit: 'raised out of the way' },
    paths: entries,
    history,
    memory,
    seeded: { ...counts, seconds: round(seeded.seconds, 1) },
    plans,
  };
  await writeFile(`${OUT}.json`, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(`${OUT}.md`, markdown(results, entries, { history, memory }));
  say(`\nwrote ${path.relative(PROJECT_ROOT, OUT)}.json and .md (${results.seconds} s wall)`);
}

let exitCode = 0;
(args.timers ? runTimersBench({ quick: QUICK, onSystem: (s) => (system = s) }) : main())
  .catch((err: unknown) => {
    exitCode = 1;
    process.stderr.write(`✗ npm run bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  })
  .finally(async () => {
    if (system) {
      say('stopping the system');
      await system.stop();
    }
    process.exit(exitCode);
  });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void (async () => {
      await system?.stop();
      process.exit(130);
    })();
  });
}
