/**
 * Workers die under a burst of live cases: 200 applications are filed and driven to their
 * end by concurrent citizens and reviewers (claims, information requests and answers,
 * approvals with their result documents, rejections, fees paid by the gateway's callback)
 * on two worker processes. A third of the way in one worker is SIGKILLed and a new one
 * starts; two thirds in the other is SIGKILLed too, and the new one carries on alone. Every case must reach its end state
 * with a journal that is contiguous, intact and free of repeated steps, every message sent
 * under one key (a copy after a kill only under the same key), one result document per
 * approval and one receipt per fee.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accounts } from '../../db/schema';
import { verifyCaseJournal } from '../../cases/journal-verification';
import type { Principal } from '../../core/principal';
import { readReceived } from '../../notifications/sinks/received';
import { act, detail, file, ok } from '../support/http';
import { rita } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';
import { exited, startWorkerProcess } from '../support/worker-process';

const CASES = 200;
const WALKERS = 10;
const free = testService();
const paid = testService({ fee: { base: 500 } });

/** What each case goes through, by its index; and where it must end. */
const PATHS = [
  { name: 'approved', service: free, infoFirst: false, outcome: 'approve', end: 'completed' },
  { name: 'approved after an information request', service: free, infoFirst: true, outcome: 'approve', end: 'completed' },
  { name: 'rejected', service: free, infoFirst: false, outcome: 'reject', end: 'rejected' },
  { name: 'paid, then approved', service: paid, infoFirst: false, outcome: 'approve', end: 'completed' },
] as const;

/** Journal entries a case makes once on these paths: a second one would be a step done twice. */
const ONCE = ['submitted', 'information_requested', 'information_provided', 'approved', 'result_issued', 'invoice_issued', 'paid'];

/** A citizen with an e-mail and a phone: each case's notices leave by mail and SMS. */
const anna: Principal = { id: 'anna-wk', role: 'citizen', level: 'confirmed' };

let stack: Stack;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  // One citizen and one reviewer act for a whole office here: no per-person limit in the way.
  stack = await startStack({ inProcessWorker: false, env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  await stack.addService(free);
  await stack.addService(paid);
  await stack.database.db
    .insert(accounts)
    .values({ id: anna.id, name: 'Анна Петрова', email: 'anna-wk@example.ru', phone: '+79120000077', passwordHash: 'x', status: 'active', level: 'confirmed' });
  // Each worker process bundles the workflow code first: a while on a busy machine.
  workers.push(...(await Promise.all([startWorkerProcess(stack.workerEnv), startWorkerProcess(stack.workerEnv)])));
}, 300_000);
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map(exited));
  await stack?.close();
});

interface Tally {
  actions: number;
  /** Actions sent and not yet answered; what a kill finds here was in flight. */
  inFlight: number;
  /** How long each answer took, in ms. */
  latencies: number[];
  /** Answers that were not the action's: 409 stale (someone else's step got there first), 5xx while a worker was away. */
  retried: Record<number, number>;
}

/** Takes one case one step further from what the GET shows; false once it is at its end. */
async function step(number: string, path: (typeof PATHS)[number], asked: Set<string>, tally: Tally): Promise<boolean> {
  const d = await detail(stack, anna, number);
  if (d.status === path.end) return false;
  const send = async (who: Principal, action: string, body: Record<string, unknown>) => {
    tally.inFlight++;
    const t0 = performance.now();
    const res = await act(stack, who, number, action, body).finally(() => tally.inFlight--);
    tally.latencies.push(performance.now() - t0);
    if (res.statusCode < 300) tally.actions++;
    else if (res.statusCode === 409 || res.statusCode >= 500) tally.retried[res.statusCode] = (tally.retried[res.statusCode] ?? 0) + 1;
    else throw new Error(`${action} of ${number} (${d.status}, version ${d.version}) answered ${res.statusCode}: ${res.body}`);
  };
  switch (d.status) {
    case 'awaiting_payment': {
      const { paymentId } = d.fee.invoice;
      // The gateway calls back until it hears 202, under one transaction id.
      const res = await stack.signedPost('/payments/callback', stack.config.auth.paymentWebhookSecret, {
        paymentId,
        amount: 500,
        transactionId: `tx-${number}`,
        paidAt: new Date().toISOString(),
      });
      ok(res, 202);
      tally.actions++;
      await new Promise((r) => setTimeout(r, 100));
      return true;
    }
    case 'submitted':
      await send(rita, 'claim', { version: d.version });
      return true;
    case 'awaiting_info':
      asked.add(number);
      await send(anna, 'answer', { comment: 'Копия приложена', documents: [] });
      return true;
    case 'in_review':
      if (path.infoFirst && !asked.has(number)) {
        await send(rita, 'request-info', { version: d.version, message: 'Приложите копию паспорта' });
        if (d.version < (await detail(stack, anna, number)).version) asked.add(number);
      } else if (path.outcome === 'approve') await send(rita, 'decide', { version: d.version, outcome: 'approve', comment: 'Оснований для отказа нет' });
      else await send(rita, 'decide', { version: d.version, outcome: 'reject', reasonCode: 'not_eligible', comment: 'Не положено' });
      return true;
    case 'approved':
      // Decided, its result still being issued: what an approval whose answer was cut off leaves for a moment.
      await new Promise((r) => setTimeout(r, 200));
      return true;
    default:
      throw new Error(`${number} is ${d.status}, which its path (${path.name}) never passes`);
  }
}

it('cases driven through two worker kills all end right, nothing lost and nothing done twice', { timeout: 600_000 }, async () => {
  const tally: Tally = { actions: 0, inFlight: 0, latencies: [], retried: {} };
  const numbers: string[] = [];
  const pathOf = new Map<string, (typeof PATHS)[number]>();
  const asked = new Set<string>();
  const kills: string[] = [];
  const totalSteps = CASES * 3.5;

  let next = 0;
  const killAt = [Math.round(totalSteps / 3), Math.round((2 * totalSteps) / 3)];
  const faults = async () => {
    while (killAt.length && tally.actions >= killAt[0]!) {
      killAt.shift();
      const victim = workers.find((w) => w.exitCode === null && w.signalCode === null)!;
      const inFlight = tally.inFlight;
      victim.kill('SIGKILL');
      await exited(victim);
      // The first is replaced; after the second the survivor carries on alone.
      const replaced = kills.length === 0;
      kills.push(`worker ${victim.pid} SIGKILLed after ${tally.actions} actions with ${inFlight} in flight${replaced ? ', replaced' : ', the other carried on alone'}`);
      if (replaced) workers.push(await startWorkerProcess(stack.workerEnv));
    }
  };
  const started = Date.now();
  await Promise.all(
    Array.from({ length: WALKERS }, async () => {
      for (let i = next++; i < CASES; i = next++) {
        const path = PATHS[i % PATHS.length]!;
        const { number } = await file(stack, anna, path.service.code);
        numbers.push(number);
        pathOf.set(number, path);
        while (await step(number, path, asked, tally)) await faults();
      }
    }),
  );
  const drivenIn = (Date.now() - started) / 1000;
  expect(kills).toHaveLength(2);

  // Everything the cases queued has left before it is counted.
  const { sql } = stack.database;
  await expect
    .poll(async () => (await sql`select count(*)::int as n from outbox where channel <> 'letter' and sent_at is null and failed_at is null`)[0]!.n, {
      timeout: 120_000,
      interval: 500,
    })
    .toBe(0);

  const ends = await sql<{ number: string; status: string }[]>`select number, status from cases where number = any(${numbers})`;
  expect(ends).toHaveLength(CASES);
  const wrongEnds = ends.filter((c) => c.status !== pathOf.get(c.number)!.end);
  expect(wrongEnds).toEqual([]);

  // Sequence numbers 1..n with none missing, and no step journaled twice.
  const journals = await sql<{ number: string; entries: number; last: number; first: number }[]>`
    select case_number as number, count(*)::int as entries, max(seq)::int as last, min(seq)::int as first
    from journal where case_number = any(${numbers}) group by case_number`;
  const gaps = journals.filter((j) => j.first !== 1 || j.last !== j.entries);
  expect(gaps).toEqual([]);
  const repeated = await sql<{ number: string; type: string; n: number }[]>`
    select case_number as number, type, count(*)::int as n from journal
    where case_number = any(${numbers}) and type = any(${ONCE}) group by case_number, type having count(*) > 1`;
  expect(repeated).toEqual([]);
  const broken = [];
  for (const n of numbers) if (!(await verifyCaseJournal(stack.database.db, n)).intact) broken.push(n);
  expect(broken).toEqual([]);

  // One result per approval, one receipt per fee.
  const approvals = numbers.filter((n) => pathOf.get(n)!.end === 'completed');
  const [documents] = await sql<{ n: number; cases: number }[]>`
    select count(*)::int as n, count(distinct case_number)::int as cases from issued_documents where case_number = any(${numbers})`;
  expect(documents).toEqual({ n: approvals.length, cases: approvals.length });
  for (const n of numbers.filter((x) => pathOf.get(x)!.service === paid)) {
    expect((await detail(stack, anna, n)).fee.receipts, n).toHaveLength(1);
  }

  // Every message handed over under one key: each outbox row reached its sink, nothing else
  // did. A worker killed between a provider's acceptance and the mark sends that message
  // again under the same key and Message-ID, by which the provider keeps it once (README,
  // Messages): such copies must be identical, and are counted.
  const sent = await sql<{ key: string; channel: string }[]>`
    select case_number || ':' || message_key as key, channel from outbox where case_number = any(${numbers}) and channel <> 'letter'`;
  const received = (await readReceived(stack.config.notifications.sinks.dir)).filter((m) => m.idempotencyKey);
  const copies = new Map<string, Set<string>>();
  const times = new Map<string, number>();
  for (const m of received) {
    const key = `${m.channel}|${m.idempotencyKey}`;
    times.set(key, (times.get(key) ?? 0) + 1);
    copies.set(key, (copies.get(key) ?? new Set()).add(`${m.to}|${m.subject}|${m.text}|${m.channel === 'email' ? m.messageId : ''}`));
  }
  const expected = new Set(sent.map((s) => `${s.channel}|${s.key}`));
  const lost = [...expected].filter((k) => !times.has(k));
  const unexpected = [...times.keys()].filter((k) => !expected.has(k));
  const differing = [...copies].filter(([, c]) => c.size > 1).map(([k]) => k);
  const resent = [...times].filter(([, n]) => n > 1).map(([k]) => k);
  expect(lost).toEqual([]);
  expect(unexpected).toEqual([]);
  expect(differing).toEqual([]);
  // Only a kill can leave a message accepted and unmarked: a handful at most per kill.
  expect(resent.length).toBeLessThanOrEqual(kills.length * WALKERS);

  const sorted = tally.latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const [events] = await sql<{ n: number }[]>`select count(*)::int as n from journal where case_number = any(${numbers})`;
  process.stdout.write(
    `\nworker-kill: ${CASES} cases, ${tally.actions} actions in ${drivenIn.toFixed(0)} s; faults: ${kills.join('; ')}; ` +
      `answers p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, slowest ${at(1)} ms; answers retried: ${JSON.stringify(tally.retried)}; checked ${events!.n} journal entries, ${sent.length} messages, ${documents!.n} result documents: ` +
      `duplicates 0, lost 0, wrong end states 0; re-sent under their key after a kill: ${resent.length} (${resent.join(', ') || 'none'})\n`,
  );
});
