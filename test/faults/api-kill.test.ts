/**
 * The API killed (SIGKILL) while acting requests are in flight (issue 13). The API runs
 * as a process of its own (`node server.ts`) on the stack's database and Temporal; the
 * worker stays in the test's process. A burst of keyed actions over HTTP (claims,
 * decisions and answers, one per case) is cut off by the kill. Some of it is held in
 * flight on purpose: those cases' projections wait, so the kill finds their updates
 * accepted by the case but not answered; the last few are sent just before the kill, so
 * they reach the API but not, or not all, their cases. A new API process then gets every
 * request again with its Idempotency-Key. Each acted exactly once, by its first attempt
 * (answered: its stored answer comes back; unanswered: the retry takes the key over once
 * the dead attempt's lease runs out and finds the update by its id) or by the retry, as
 * the cases' histories show (which request each accepted update came from); the journals
 * are contiguous.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { answerInfoUpdate, claimUpdate, decideUpdate } from '../../workflows/machinery/review-desk';
import { freePort } from '../../lib/free-port';
import { testPayloadCodec } from '../support/codec';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { detail, file, officially } from '../support/http';
import { alice, rita } from '../support/personas';
import { projectionGate } from '../support/projection-gate';
import { startStack, testService, type Stack } from '../support/stack';
import { exited } from '../support/worker-process';

const service = testService();
const PER_KIND = 10;
/** Of each kind, this many are held in flight at the kill. */
const HELD_PER_KIND = 2;
/** Of the rest, this many answered before the kill: the others are cut off on their way. */
const ANSWERED_BEFORE_KILL = 3;
/** Sent just before the kill, once the first of them is in the API's hands. */
const LATE = 6;
const UPDATE_OF = { claim: claimUpdate.name, decide: decideUpdate.name, answer: answerInfoUpdate.name } as const;

type Kind = 'claim' | 'decide' | 'answer';
interface Planned {
  kind: Kind;
  number: string;
  who: Principal;
  body: Record<string, unknown>;
  key: string;
  /** The journal entry the action writes: exactly one per case whatever happens. */
  effect: string;
  held: boolean;
}
interface Answer {
  status: number;
  body: string;
  replayed: boolean;
  retryAfter: number;
  code?: string;
}

let stack: Stack;
/**
 * Connections of the test's own for the lock and what it watches: while `cases` is locked,
 * the worker's projections wait on it holding the stack's pooled connections.
 */
let side: postgres.Sql;
let api: ApiProcess | undefined;
const projections = projectionGate();

beforeAll(async () => {
  stack = await startStack({ wrapActivities: projections.wrap });
  await stack.addService(service);
  side = postgres(stack.database.url, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  projections.releaseAll();
  if (api) await stopApi(api.child);
  await side?.end();
  await stack?.close();
});

async function stopApi(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exited(child);
}

/** A case made ready for one action of `kind`, and the request that acts on it. */
async function prepare(kind: Kind, i: number): Promise<Planned> {
  const { number } = await file(stack, alice, service.code);
  const held = i < HELD_PER_KIND;
  const key = `api-kill-${kind}-${i}-${number}`;
  if (kind === 'claim') {
    return { kind, number, who: rita, body: { version: (await detail(stack, rita, number)).version }, key, effect: 'claimed', held };
  }
  await officially(stack, rita, number, 'claim');
  if (kind === 'decide') {
    const { version } = await detail(stack, rita, number);
    return { kind, number, who: rita, body: { version, outcome: 'approve', comment: 'Оснований для отказа нет' }, key, effect: 'approved', held };
  }
  await officially(stack, rita, number, 'request-info', { message: 'Приложите копию' });
  return { kind, number, who: alice, body: { comment: 'Прилагаю', documents: [] }, key, effect: 'information_provided', held };
}

/** Each attempt names itself in X-Request-Id, which the case's update carries in its meta. */
async function send(url: string, p: Planned, attempt: string): Promise<Answer> {
  const res = await fetch(`${url}/cases/${p.number}/${p.kind}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await stack.token(p.who)}`,
      'content-type': 'application/json',
      'idempotency-key': p.key,
      'x-request-id': `${p.number}-${attempt}`,
    },
    body: JSON.stringify(p.body),
  });
  const body = await res.text();
  const code = res.headers.get('content-type')?.startsWith('application/problem+json') ? (JSON.parse(body) as { code?: string }).code : undefined;
  return { status: res.status, body, replayed: res.headers.get('idempotent-replayed') === 'true', retryAfter: Number(res.headers.get('retry-after') ?? 0), code };
}

/** A client that keeps its key: while the first attempt is (or was, until its lease runs out) in flight, it waits as told. */
async function retry(url: string, p: Planned, deadline: number): Promise<Answer & { waits: number }> {
  for (let waits = 0; ; waits++) {
    const answer = await send(url, p, `retry-${waits}`);
    if (answer.code !== 'InProgress' || Date.now() > deadline) return { ...answer, waits };
    await delay(answer.retryAfter * 1000);
  }
}

async function effects(p: Planned): Promise<number> {
  return (await stack.database.sql`select 1 from journal where case_number = ${p.number} and type = ${p.effect}`).length;
}

/** The requests whose update of the planned kind the case accepted, from its history: one, whoever sent it. */
async function acceptedFrom(p: Planned): Promise<string[]> {
  const { events } = await stack.client.workflow.getHandle(caseWorkflowId(p.number)).fetchHistory();
  return (events ?? []).flatMap((e) => {
    const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    if (request?.input?.name !== UPDATE_OF[p.kind]) return [];
    const meta = defaultPayloadConverter.fromPayload<ActionMeta>(testPayloadCodec.decrypt(request.input.args!.payloads!.at(-1)!));
    return [meta.requestId ?? ''];
  });
}

/** Takes the `cases` table from every reader until the returned function is called. */
async function lockCases(): Promise<() => Promise<void>> {
  let taken!: () => void;
  let release!: () => void;
  const locked = new Promise<void>((resolve) => (taken = resolve));
  const lock = side.begin(async (tx) => {
    await tx`lock table cases in access exclusive mode`;
    taken();
    await new Promise<void>((resolve) => (release = resolve));
  });
  await locked;
  return async () => {
    release();
    await lock;
  };
}

/** The attempt a key is at: above 1 once a retry took it over from a dead one. */
async function attemptOf(p: Planned): Promise<number> {
  const [row] = await side`select attempt from idempotent_requests where key = ${p.key}`;
  return (row?.attempt as number | undefined) ?? 0;
}

it('acts once on every request cut off by the kill, whether the first attempt or the retry did it', { timeout: 360_000 }, async () => {
  const kinds: Kind[] = ['claim', 'decide', 'answer'];
  const planned = (
    await Promise.all(
      kinds.map(async (kind) => {
        const cases: Planned[] = [];
        for (let i = 0; i < PER_KIND; i++) cases.push(await prepare(kind, i));
        return cases;
      }),
    )
  ).flat();
  const held = planned.filter((p) => p.held);
  const rest = planned.filter((p) => !p.held);
  const late = rest.slice(-LATE);
  const burst = rest.slice(0, -LATE);
  const letGo = projections.hold(held.map((p) => p.number));

  api = await startApiProcess(stack.workerEnv, await freePort());
  const first = new Map<Planned, Answer>();
  const sending = (p: Planned) => send(api!.url, p, 'first').then((a) => void first.set(p, a), () => undefined);
  const inFlight = held.map(sending);
  // The held actions are in their cases, waiting for their projections, before the rest go.
  await expect.poll(() => held.every((p) => projections.reached(p.number, p.effect)), { timeout: 60_000, interval: 20 }).toBe(true);
  inFlight.push(...burst.map(sending));
  await expect.poll(() => first.size >= ANSWERED_BEFORE_KILL, { timeout: 60_000, interval: 5 }).toBe(true);
  // Every action of the burst is answered or in its case (waiting for its answer): none
  // is still reading its case, holding one of the API's database connections.
  await expect.poll(() => burst.every((p) => first.has(p) || projections.reached(p.number, p.effect)), { timeout: 60_000, interval: 5 }).toBe(true);
  // A slow database from here on: what the API reads of a case waits, so the last
  // requests hold their keys without having reached their cases when the API dies.
  const unlock = await lockCases();
  try {
    inFlight.push(...late.map(sending));
    await expect.poll(async () => (await Promise.all(late.map(attemptOf))).every((a) => a === 1), { timeout: 30_000, interval: 5 }).toBe(true);
    await stopApi(api.child);
    api = undefined;
  } finally {
    await unlock();
  }
  await Promise.all(inFlight);
  const answeredBeforeKill = planned.filter((p) => first.has(p));
  const cutOff = planned.filter((p) => !first.has(p));
  for (const p of answeredBeforeKill) expect(first.get(p)!.status, first.get(p)!.body).toBe(200);
  for (const p of held) expect(cutOff).toContain(p);

  // The held updates stay in their cases until the retries have taken their keys over:
  // those retries then wait on the very update the dead attempt started.
  api = await startApiProcess(stack.workerEnv, await freePort());
  const deadline = Date.now() + 120_000;
  const retrying = Promise.all(planned.map(async (p) => [p, await retry(api!.url, p, deadline)] as const));
  await expect.poll(async () => (await Promise.all(held.map(attemptOf))).every((a) => a > 1), { timeout: 90_000, interval: 100 }).toBe(true);
  letGo();
  const retried = new Map(await retrying);

  const accepted = new Map<Planned, string[]>();
  for (const p of planned) {
    const answer = retried.get(p)!;
    expect(answer.status, `${p.kind} ${p.number}: ${answer.body}`).toBe(200);
    accepted.set(p, await acceptedFrom(p));
    expect(accepted.get(p), `${p.kind} ${p.number}`).toHaveLength(1);
    expect(await effects(p), `${p.kind} ${p.number}`).toBe(1);
    const seqs = (await stack.database.sql`select seq from journal where case_number = ${p.number} order by seq`).map((r) => r.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  }
  const actedByFirst = (p: Planned) => accepted.get(p)![0] === `${p.number}-first`;
  // An answer that left before the kill was stored first: the retry gets it again, to the byte.
  for (const p of answeredBeforeKill) {
    expect(actedByFirst(p)).toBe(true);
    expect(retried.get(p)!.replayed).toBe(true);
    expect(retried.get(p)!.body).toBe(first.get(p)!.body);
  }
  // The held actions were in their cases at the kill: their retries took the keys over and found them.
  for (const p of held) {
    expect(actedByFirst(p), `${p.kind} ${p.number}`).toBe(true);
    expect(retried.get(p)!.replayed).toBe(false);
  }
  // The last ones never reached their cases: their retries took the keys over and acted.
  for (const p of late) expect(accepted.get(p), `${p.kind} ${p.number}`).toEqual([expect.stringMatching(/-retry-\d+$/)]);

  const replayed = planned.filter((p) => retried.get(p)!.replayed);
  const foundByKey = cutOff.filter((p) => !retried.get(p)!.replayed && actedByFirst(p));
  const actedByRetry = cutOff.filter((p) => !actedByFirst(p));
  const takenOver = (await Promise.all(planned.map(attemptOf))).filter((a) => a > 1).length;
  const waits = [...retried.values()].reduce((n, a) => n + a.waits, 0);
  console.log(
    `api kill: ${planned.length} acting requests (${kinds.map((k) => `${PER_KIND} ${k}`).join(', ')}); ` +
      `answered before the kill ${answeredBeforeKill.length}, in flight at the kill ${cutOff.length} (${held.length} held in their cases, ${late.length} sent last); ` +
      `retried ${planned.length}: replayed ${replayed.length}, acted before the kill and found by key ${foundByKey.length}, acted by the retry ${actedByRetry.length}; ` +
      `keys taken over after their lease ${takenOver}, 409 waits ${waits}; acted twice 0, not acted 0`,
  );
});
