/**
 * `npm run fuzz`: a bounded contract fuzz run of the served OpenAPI document with
 * schemathesis. Installs schemathesis (pinned) into `.fuzz/venv` when missing, starts
 * the whole system (`scripts/start.ts`) on free ports with a throwaway data directory,
 * and runs `st run <api>/docs/json` once per role (a citizen, a reviewer, an expert, an admin) with
 * a fixed seed, deterministic generation and a bound on examples per operation; as many
 * roles at once as the machine has cores (`--jobs`), since st itself, not the system, is
 * what keeps a core busy. Prints the passed/failed counts per check, per role and in total,
 * and the distinct failures; exits non-zero when any check failed. The system is stopped on
 * every exit path.
 *
 *   npm run fuzz [-- --max-examples N] [--role citizen|reviewer|expert|admin ...] [--jobs N]
 *
 * With TEST_DATABASE_URL (or DATABASE_URL) naming a reachable Postgres, the system runs
 * on a fresh database there (dropped afterwards); otherwise on an embedded Postgres.
 * Reports (schemathesis NDJSON/JSON per role) and the server log stay in `.fuzz/report`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mintToken } from '../accounts/tokens';
import { loadConfig } from '../config';
import type { Principal } from '../core/principal';
import { createScratchDatabase, type ScratchDatabase } from '../db/scratch-database';
import { freePort } from '../lib/free-port';
import { alice, erik, rita } from '../test/support/personas';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FUZZ_DIR = path.join(ROOT, '.fuzz');
const VENV = path.join(FUZZ_DIR, 'venv');
const REPORT_DIR = path.join(FUZZ_DIR, 'report');
const SCHEMATHESIS_VERSION = '4.32.5';
const SEED = '20260901';
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];
const DEFAULT_MAX_EXAMPLES = 100;
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 40_000;

// The admin's routes answer only an admin: fuzzed as the others, they would show only their 403.
const ROLES: Record<string, Principal> = { citizen: alice, reviewer: rita, expert: erik, admin: { id: 'root', role: 'admin' } };

const { values } = parseArgs({
  options: {
    'max-examples': { type: 'string', default: String(DEFAULT_MAX_EXAMPLES) },
    role: { type: 'string', multiple: true },
    jobs: { type: 'string', default: String(availableParallelism()) },
  },
});
const maxExamples = Number(values['max-examples']);
if (!Number.isInteger(maxExamples) || maxExamples < 1) fail(`--max-examples must be a positive integer, not ${values['max-examples']}`);
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) fail(`--jobs must be a positive integer, not ${values.jobs}`);
const roles = values.role ?? Object.keys(ROLES);
for (const r of roles) if (!ROLES[r]) fail(`unknown role ${r} (one of ${Object.keys(ROLES).join(', ')})`);

function fail(message: string): never {
  process.stderr.write(`✗ ${message}\n`);
  process.exit(2);
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------
// schemathesis in .fuzz/venv

function installedVersion(): string | undefined {
  const python = path.join(VENV, 'bin', 'python');
  if (!existsSync(python)) return undefined;
  const r = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("schemathesis"))'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function ensureSchemathesis(): string {
  const st = path.join(VENV, 'bin', 'st');
  if (installedVersion() === SCHEMATHESIS_VERSION && existsSync(st)) return st;
  const run = (cmd: string, args: string[]) => {
    say(`$ ${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit code ${r.status}`}): schemathesis needs Python 3 with venv and a reachable PyPI`);
  };
  if (!existsSync(path.join(VENV, 'bin', 'python'))) run('python3', ['-m', 'venv', VENV]);
  run(path.join(VENV, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  if (installedVersion() !== SCHEMATHESIS_VERSION) fail(`schemathesis ${SCHEMATHESIS_VERSION} is not in ${VENV} after installing it`);
  return st;
}

// ---------------------------------------------------------------------------------------
// The system under test

/** A fresh database on the Postgres that TEST_DATABASE_URL / DATABASE_URL name, if it answers. */
async function freshDatabase(): Promise<ScratchDatabase | undefined> {
  const adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!adminUrl) return undefined;
  try {
    return await createScratchDatabase(adminUrl, 'cases_fuzz');
  } catch (err) {
    say(`! cannot create a database on ${new URL(adminUrl).host} (${err instanceof Error ? err.message : String(err)}): using an embedded Postgres`);
    return undefined;
  }
}

interface System {
  api: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  stop(): Promise<void>;
}

let system: System | undefined;
const fuzzers = new Set<ChildProcess>();

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function startSystem(logFile: string): Promise<System> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cases-fuzz-'));
  // As root, embedded Postgres runs as the user postgres, who must be able to enter it.
  chmodSync(dataDir, 0o755);
  const database = await freshDatabase();
  const [port, temporalPort, temporalUiPort, pgPort, workerMetricsPort, sdkMetricsPort] = await Promise.all([
    freePort(), freePort(), freePort(), freePort(), freePort(), freePort(),
  ]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_DEV_UI_PORT: String(temporalUiPort),
    EMBEDDED_PG_PORT: String(pgPort),
    WORKER_METRICS_PORT: String(workerMetricsPort),
    TEMPORAL_METRICS_PORT: String(sdkMetricsPort),
    // Every request comes from one address: the fuzzer must reach the handlers, not the limiter.
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  };
  // No METRICS_TOKEN: the fuzzer reads /metrics as it reads the rest, with the roles' tokens.
  for (const key of ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'PUBLIC_URL', 'API_URL', 'OIDC_ISSUER', 'METRICS_TOKEN']) delete env[key];
  if (database) env.DATABASE_URL = database.url;

  const log = openSync(logFile, 'w');
  // Its own process group: stopped (and if need be killed) as a whole, by this script only.
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/start.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  const done = exited(child);
  let stopped: Promise<void> | undefined;
  const sys: System = {
    api: `http://127.0.0.1:${port}`,
    env,
    logFile,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              // already gone
            }
          }, STOP_TIMEOUT_MS);
          await done;
          clearTimeout(timer);
        }
        await database?.drop().catch((err: unknown) => say(`! dropping the fuzz database failed: ${String(err)}`));
        await rm(dataDir, { recursive: true, force: true }).catch(() => {});
      })();
      return stopped;
    },
  };
  system = sys;
  say(`starting the system: API on ${sys.api}, Postgres ${database ? `database ${new URL(database.url).pathname.slice(1)} on ${new URL(database.url).host}` : `embedded on port ${pgPort}`}, data in ${dataDir}, log in ${path.relative(ROOT, logFile)}`);

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
      throw new Error(`the system stopped while starting (${child.signalCode ?? `exit code ${child.exitCode}`}):\n${tail}`);
    }
    const ready = await fetch(`${sys.api}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ready) return sys;
    if (Date.now() > deadline) throw new Error(`the system was not ready within ${START_TIMEOUT_MS / 1000} s (see ${logFile})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ---------------------------------------------------------------------------------------
// Fuzzing and the counts

interface Tally {
  passed: number;
  failed: number;
}

interface Failure {
  check: string;
  operation: string;
  status: number | undefined;
  code: string;
  title: string;
  message: string;
  count: number;
  roles: Set<string>;
}

interface RunResult {
  role: string;
  exitCode: number;
  seconds: number;
  cases: number;
  checks: Map<string, Tally>;
  failures: Map<string, Failure>;
}

interface CheckRecord {
  name: string;
  status: string;
  failure_info?: { failure?: { code?: string; title?: string; operation?: string; message?: string } };
}

interface ScenarioFinished {
  recorder?: {
    label?: string;
    checks?: Record<string, CheckRecord[]>;
    interactions?: Record<string, { response?: { status_code?: number } }>;
  };
}

function tally(result: RunResult, ndjsonFile: string): void {
  if (!existsSync(ndjsonFile)) return;
  for (const line of readFileSync(ndjsonFile, 'utf8').split('\n')) {
    if (!line.startsWith('{"ScenarioFinished"')) continue;
    const { recorder } = (JSON.parse(line) as { ScenarioFinished: ScenarioFinished }).ScenarioFinished;
    for (const [caseId, checks] of Object.entries(recorder?.checks ?? {})) {
      result.cases += 1;
      for (const check of checks) {
        const t = result.checks.get(check.name) ?? { passed: 0, failed: 0 };
        result.checks.set(check.name, t);
        if (check.status === 'success') t.passed += 1;
        else if (check.status === 'failure') {
          t.failed += 1;
          const f = check.failure_info?.failure ?? {};
          const status = recorder?.interactions?.[caseId]?.response?.status_code;
          const operation = f.operation ?? recorder?.label ?? '?';
          // Schema mismatches carry the offending instance: one entry per check, operation, status and kind.
          const message = (f.message ?? '').split('\n').slice(0, check.name === 'response_schema_conformance' ? 1 : 4).join(' / ');
          const key = [check.name, operation, status, f.code, message].join('|');
          const known = result.failures.get(key);
          if (known) known.count += 1;
          else result.failures.set(key, { check: check.name, operation, status, code: f.code ?? '', title: f.title ?? '', message, count: 1, roles: new Set([result.role]) });
        }
      }
    }
  }
}

async function fuzz(st: string, api: string, role: string, token: string): Promise<RunResult> {
  const dir = path.join(REPORT_DIR, role);
  await mkdir(dir, { recursive: true });
  const ndjson = path.join(dir, 'events.ndjson');
  const args = [
    'run',
    `${api}/docs/json`,
    '--header',
    `Authorization: Bearer ${token}`,
    '--mode',
    'all',
    '--seed',
    SEED,
    // Deterministic generation (which also keeps no example database between runs).
    '--generation-deterministic',
    '--max-examples',
    String(maxExamples),
    '--checks',
    CHECKS.join(','),
    '--request-timeout',
    '20',
    '--report',
    'ndjson,json',
    '--report-ndjson-path',
    ndjson,
    '--report-json-path',
    path.join(dir, 'report.json'),
    '--no-color',
  ];
  say(`\n# ${role} (${ROLES[role]!.id})\n$ ${path.relative(ROOT, st)} ${args.map((a) => (a.startsWith('Authorization') ? '"Authorization: Bearer <token>"' : a)).join(' ')}`);
  const started = Date.now();
  // st's own report goes to a file: its closing line has pytest's shape ("=== No issues found
  // in 31.6s ==="), which a log reader takes for a test run that executed nothing.
  const log = path.join(dir, 'st.log');
  const out = openSync(log, 'w');
  const child = spawn(st, args, { cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  fuzzers.add(child);
  const exitCode = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      say(`! cannot run ${st}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  fuzzers.delete(child);
  if (exitCode !== 0) say(`st exited with ${exitCode}; its output: ${path.relative(ROOT, log)}\n${tail(log, 60)}`);
  const result: RunResult = { role, exitCode, seconds: (Date.now() - started) / 1000, cases: 0, checks: new Map(), failures: new Map() };
  tally(result, ndjson);
  return result;
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `  | ${l}`).join('\n');
}

function table(title: string, checks: Map<string, Tally>, cases: number, seconds?: number): void {
  say(`\n${title}: ${cases} test cases${seconds === undefined ? '' : ` in ${seconds.toFixed(1)} s`}`);
  for (const name of CHECKS) {
    const t = checks.get(name) ?? { passed: 0, failed: 0 };
    say(`  ${t.failed ? '✗' : '✓'} ${name.padEnd(30)} ${String(t.passed).padStart(6)} passed ${String(t.failed).padStart(6)} failed`);
  }
}

function report(results: RunResult[], wallSeconds: number): boolean {
  say('\n# contract fuzz summary');
  say(`schemathesis ${SCHEMATHESIS_VERSION}, seed ${SEED} (deterministic generation), --max-examples ${maxExamples}, mode all, ${Math.min(jobs, results.length)} role(s) at a time`);
  const total = new Map<string, Tally>();
  const failures = new Map<string, Failure>();
  for (const r of results) {
    table(`${r.role} (st exit code ${r.exitCode})`, r.checks, r.cases, r.seconds);
    for (const [name, t] of r.checks) {
      const sum = total.get(name) ?? { passed: 0, failed: 0 };
      total.set(name, { passed: sum.passed + t.passed, failed: sum.failed + t.failed });
    }
    for (const [key, f] of r.failures) {
      const known = failures.get(key);
      if (known) {
        known.count += f.count;
        known.roles.add(r.role);
      } else failures.set(key, { ...f, roles: new Set(f.roles) });
    }
  }
  table('total', total, results.reduce((n, r) => n + r.cases, 0), wallSeconds);
  if (failures.size) {
    // One entry per kind of failure (check and message), with the operations and statuses it was seen on.
    const kinds = new Map<string, { check: string; label: string; count: number; roles: Set<string>; seen: Map<string, Set<number | undefined>> }>();
    for (const f of failures.values()) {
      const key = `${f.check}|${f.code}|${f.message}`;
      const kind = kinds.get(key) ?? { check: f.check, label: `${f.code} ${f.title}: ${f.message}`, count: 0, roles: new Set(), seen: new Map() };
      kinds.set(key, kind);
      kind.count += f.count;
      for (const r of f.roles) kind.roles.add(r);
      const statuses = kind.seen.get(f.operation) ?? new Set();
      kind.seen.set(f.operation, statuses.add(f.status));
    }
    say(`\ndistinct failures: ${failures.size} (check, operation, status), of ${kinds.size} kinds:`);
    for (const kind of [...kinds.values()].sort((a, b) => a.check.localeCompare(b.check) || a.label.localeCompare(b.label))) {
      say(`\n  ${kind.check} — ${kind.label}  [${kind.count} cases; ${[...kind.roles].join(', ')}]`);
      for (const [operation, statuses] of [...kind.seen].sort(([a], [b]) => a.localeCompare(b))) {
        say(`      ${operation.padEnd(52)} → ${[...statuses].sort().join(', ')}`);
      }
    }
  }
  say(`\nreports: ${path.relative(ROOT, REPORT_DIR)}/<role>/{events.ndjson,report.json}; server log: ${system ? path.relative(ROOT, system.logFile) : '-'}`);
  const anyFailed = [...total.values()].some((t) => t.failed > 0);
  // st fails for errors too (an unreachable schema, crashed operations): those are failures here as well.
  const anyError = results.some((r) => r.exitCode !== 0);
  if (anyError && !anyFailed) say('✗ schemathesis exited non-zero without a failed check: see its output above');
  return !anyFailed && !anyError;
}

// ---------------------------------------------------------------------------------------

let stopping: Promise<never> | undefined;
/** Stops the fuzzers and the system, then exits; once, however often it is asked (a signal may arrive twice through tsx). */
function shutdown(exitCode: number): Promise<never> {
  stopping ??= (async () => {
    for (const child of fuzzers) child.kill('SIGTERM');
    if (system) {
      say('stopping the system');
      await system.stop();
    }
    process.exit(exitCode);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (!stopping) say(`${signal}: stopping`);
    void shutdown(130);
  });
}

async function main(): Promise<void> {
  const st = ensureSchemathesis();
  await rm(REPORT_DIR, { recursive: true, force: true });
  await mkdir(REPORT_DIR, { recursive: true });
  const sys = await startSystem(path.join(REPORT_DIR, 'server.log'));
  // The same environment as the system's: the same (development) JWT secret, issuer and audience.
  const { auth } = loadConfig(sys.env);
  const results: RunResult[] = [];
  const waiting = [...roles];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: Math.min(jobs, roles.length) }, async () => {
      for (let role = waiting.shift(); role && !stopping; role = waiting.shift()) {
        results.push(await fuzz(st, sys.api, role, await mintToken(auth, ROLES[role]!)));
      }
    }),
  );
  // Interrupted: shutdown() is stopping everything and exits.
  if (stopping) return;
  results.sort((a, b) => roles.indexOf(a.role) - roles.indexOf(b.role));
  const ok = report(results, (Date.now() - started) / 1000);
  await shutdown(ok ? 0 : 1);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`✗ npm run fuzz failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await shutdown(2);
});
