/**
 * The load generator: one process per measurement, forked by bench/harness.ts, which
 * sends it a spec over the IPC channel. It prepares (connections, inputs), says `ready`, waits for `go`,
 * runs bounded in time (or in count), and answers `done` with its numbers, so that the
 * parent's CPU window covers the load alone.
 *
 * Kinds: `http` (autocannon), and the raw Temporal baselines `start`
 * (client.workflow.start), `query` (a workflow query) and `update` (an update).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation, type WorkflowStartOptions } from '@temporalio/client';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { caseWorkflowId, formatCaseNumber } from '../core/case-model';
import { loadConfig } from '../config';
import { actorOf, type Principal } from '../core/principal';
import { connectDatabase } from '../db/client';
import { getCalendar, getService } from '../db/queries/catalogue';
import { dataConverter, payloadCodecFromConfig } from '../temporal/data-converter';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import { latencySummary, type LoadResult } from './stats';

export type LoadSpec =
  | {
      kind: 'http';
      url: string;
      /** The same path on more API instances: the connections are split evenly across all of them. */
      alsoOn?: string[];
      connections: number;
      durationSec: number;
      method?: 'GET' | 'POST';
      headers?: Record<string, string>;
      body?: string;
      /** One request per item, `path` and body from it: for actions that each need a fresh case. */
      perItem?: { path: string; body: string }[];
    }
  | {
      kind: 'start';
      temporalAddress: string;
      namespace: string;
      /** The system's DATA_DIR, where its payload codec key is kept. */
      dataDir: string;
      taskQueue: string;
      databaseUrl: string;
      serviceCode: string;
      form: Record<string, unknown>;
      applicant: Principal;
      /** Wait, in the same round trip, for the `registered` update (the case projected), as a filing does. */
      awaitRegistered?: boolean;
      concurrency: number;
      durationSec: number;
      /** Stop after this many starts (else the window ends the run). */
      count?: number;
    }
  | {
      kind: 'query' | 'update';
      temporalAddress: string;
      namespace: string;
      dataDir: string;
      /** A query or update name, e.g. `state` or `registered`. */
      name: string;
      workflowIds: string[];
      concurrency: number;
      durationSec: number;
      /** Each workflow once at most (stops when all had their turn). */
      once?: boolean;
    };

function send(message: unknown): void {
  process.send!(message);
}

const go = new Promise<void>((resolve) => process.on('message', (m: { type?: string }) => m.type === 'go' && resolve()));

async function http(spec: Extract<LoadSpec, { kind: 'http' }>): Promise<LoadResult> {
  const items = spec.perItem ? [...spec.perItem] : undefined;
  const requests = items
    ? [
        {
          method: spec.method ?? 'POST',
          setupRequest: (req: autocannon.Request) => {
            const item = items.shift();
            // Out of items: autocannon restarts the list; `amount` keeps that from happening.
            if (!item) return req;
            return { ...req, path: item.path, body: item.body };
          },
        },
      ]
    : undefined;
  const urls = [spec.url, ...(spec.alsoOn ?? []).map((base) => new URL(new URL(spec.url).pathname, base).toString())];
  send({ type: 'ready' });
  await go;
  const runs = await Promise.all(urls.map((url, i) => cannon(spec, url, Math.floor(spec.connections / urls.length) + (i < spec.connections % urls.length ? 1 : 0), requests, items)));
  if (runs.length === 1) return runs[0]!;
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  const seconds = Math.max(...runs.map((r) => r.seconds));
  // Percentiles of separate instances do not merge: the slowest instance's stand for all (an upper bound).
  return { seconds, ok, failed: runs.reduce((n, r) => n + r.failed, 0), perSecond: ok / seconds, p50: Math.max(...runs.map((r) => r.p50)), p99: Math.max(...runs.map((r) => r.p99)) };
}

async function cannon(
  spec: Extract<LoadSpec, { kind: 'http' }>,
  url: string,
  connections: number,
  requests: autocannon.Request[] | undefined,
  items: unknown[] | undefined,
): Promise<LoadResult> {
  // autocannon's own percentiles are whole milliseconds (its histogram keeps integers): at a
  // few ms a request that truncation is a quarter of the value, and the Temporal baselines
  // are timed to the microsecond. Each answer's own time is kept instead.
  const latencies: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url,
        connections,
        duration: spec.durationSec,
        amount: items ? items.length : undefined,
        method: spec.method ?? 'GET',
        headers: { 'content-type': 'application/json', ...spec.headers },
        body: spec.body,
        requests,
        timeout: 30,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    run.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
    });
  });
  const ok = r['2xx'];
  return {
    seconds: r.duration,
    ok,
    failed: r.non2xx + r.errors + r.timeouts,
    perSecond: ok / r.duration,
    ...latencySummary(latencies),
    statusCodes: r.statusCodeStats as unknown as Record<string, { count: number }>,
  };
}

/** Runs `op` with `concurrency` loops until the deadline (or until `next` runs dry), timing each call. */
async function loops<T>(concurrency: number, durationSec: number, next: () => T | undefined, op: (item: T) => Promise<unknown>) {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + durationSec * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const item = next();
        if (item === undefined) return;
        const t = performance.now();
        try {
          await op(item);
          latencies.push(performance.now() - t);
        } catch (err) {
          failed++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, ok: latencies.length, failed, firstError, perSecond: latencies.length / seconds, ...latencySummary(latencies) };
}

/** A client with the system's payload codec: the development key in the system's DATA_DIR, as its worker and API use. */
async function client(spec: { temporalAddress: string; namespace: string; dataDir: string }): Promise<Client> {
  const codec = await payloadCodecFromConfig(loadConfig({ DATA_DIR: spec.dataDir }));
  return new Client({ connection: await Connection.connect({ address: spec.temporalAddress }), namespace: spec.namespace, dataConverter: dataConverter(codec) });
}

async function start(spec: Extract<LoadSpec, { kind: 'start' }>): Promise<LoadResult> {
  const temporal = await client(spec);
  const database = connectDatabase(spec.databaseUrl, 2);
  const service = await getService(database.db, spec.serviceCode);
  if (!service) throw new Error(`no service ${spec.serviceCode}`);
  const calendar = await getCalendar(database.db);
  // Numbers from the product's sequence, drawn before the window: `count`, or more than the run can use.
  const raw = postgres(spec.databaseUrl, { max: 1, onnotice: () => {} });
  const seqs = await raw<{ seq: string }[]>`select nextval('case_number_seq') as seq from generate_series(1, ${spec.count ?? Math.ceil(spec.durationSec * 200) + 50})`;
  await raw.end();
  await database.close();
  const year = new Date().getUTCFullYear();
  const numbers = seqs.map((s) => formatCaseNumber('application', year, Number(s.seq)));
  const startedIds: string[] = [];
  send({ type: 'ready' });
  await go;
  const result = await loops(spec.concurrency, spec.durationSec, () => numbers.shift(), async (number) => {
    // The same workflow type, input and options as temporal/start-case.ts gives a filing.
    const workflowId = caseWorkflowId(number);
    const options = {
      workflowId,
      taskQueue: spec.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
      args: [
        {
          number,
          service,
          calendar,
          applicantId: spec.applicant.id,
          form: spec.form,
          documents: [],
          meta: { clientAddress: '127.0.0.1', requestId: randomUUID(), actor: actorOf(spec.applicant) },
        },
      ],
      typedSearchAttributes: [
        { key: CaseSearchAttributes.kind, value: 'application' },
        { key: CaseSearchAttributes.status, value: 'submitted' },
        { key: CaseSearchAttributes.applicant, value: spec.applicant.id },
        { key: CaseSearchAttributes.service, value: service.code },
        { key: CaseSearchAttributes.agency, value: service.agency },
      ],
      memo: { number, serviceName: service.name, serviceCode: service.code },
    } satisfies WorkflowStartOptions & { workflowIdConflictPolicy: 'USE_EXISTING' };
    if (spec.awaitRegistered) {
      const startOperation = new WithStartWorkflowOperation('applicationWorkflow', options);
      await temporal.workflow.executeUpdateWithStart('registered', { startWorkflowOperation: startOperation });
    } else {
      await temporal.workflow.start('applicationWorkflow', options);
    }
    startedIds.push(workflowId);
  });
  await temporal.connection.close();
  return { ...result, workflowIds: startedIds };
}

async function queryOrUpdate(spec: Extract<LoadSpec, { kind: 'query' | 'update' }>): Promise<LoadResult> {
  const temporal = await client(spec);
  let i = 0;
  send({ type: 'ready' });
  await go;
  const next = () => (spec.once && i >= spec.workflowIds.length ? undefined : spec.workflowIds[i++ % spec.workflowIds.length]);
  const result = await loops(spec.concurrency, spec.durationSec, next, (id) => {
    const handle = temporal.workflow.getHandle(id);
    return spec.kind === 'query' ? handle.query(spec.name) : handle.executeUpdate(spec.name);
  });
  await temporal.connection.close();
  return result;
}

const specified = new Promise<LoadSpec>((resolve) => process.on('message', (m: { type?: string; spec?: LoadSpec }) => m.type === 'spec' && resolve(m.spec!)));
send({ type: 'listening' });

async function main(): Promise<void> {
  const spec = await specified;
  const result = spec.kind === 'http' ? await http(spec) : spec.kind === 'start' ? await start(spec) : await queryOrUpdate(spec);
  // Disconnect once the answer is written: 10,000 workflow ids are a large message, and a
  // channel closed right after `send` can drop it (the parent then waits for ever).
  await new Promise<void>((resolve) => process.send!({ type: 'done', result }, () => resolve()));
  process.disconnect?.();
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
