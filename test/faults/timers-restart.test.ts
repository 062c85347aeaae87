/**
 * Timers across a worker restart, in real time on the dev server: 1,000 registrations are
 * opened ten at a time, each waiting on its one-time code's expiry (OTP_TTL_MINUTES, 5,
 * the shortest the product allows), so 1,000 durable timers fall due within the minutes the
 * opening took (111 s alone on a slow 2-core machine). Half a minute before the first is
 * due the worker is SIGKILLed and a new one started. Every timer must fire exactly once
 * (one `code_expired` entry per case) and each case must show it; how late each fired
 * (entry time less the code's expiry) is printed, not asserted.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { post } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { exited, startWorkerProcess } from '../support/worker-process';

const CASES = 1_000;
const CONCURRENCY = 10;
const KILL_BEFORE_FIRST_DUE_MS = 30_000;

let stack: Stack;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  // One address opens every registration here: no per-address limit in the way.
  stack = await startStack({ inProcessWorker: false, env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', OTP_TTL_MINUTES: '5' } });
  workers.push(await startWorkerProcess(stack.workerEnv));
}, 300_000);
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map(exited));
  await stack?.close();
});

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

it('1,000 code expiries due within minutes of each other fire once each after the worker is killed and replaced', { timeout: 900_000 }, async () => {
  const due = new Map<string, number>();
  let next = 0;
  const opened = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < CASES; i = next++) {
        const res = await post(stack, undefined, '/identity/registrations', {
          name: 'Таймер Проверка',
          phone: `+79${String(400_000_000 + i)}`,
          password: 'Secret123',
        });
        expect(res.statusCode, res.body).toBe(201);
        const answer = res.json() as { number: string; codeExpiresAt: string };
        due.set(answer.number, Date.parse(answer.codeExpiresAt));
      }
    }),
  );
  const openedIn = (Date.now() - opened) / 1000;
  const dues = [...due.values()].sort((a, b) => a - b);
  const first = dues[0]!;
  const last = dues.at(-1)!;

  // The restart, just before the timers fall due.
  await new Promise((r) => setTimeout(r, Math.max(0, first - KILL_BEFORE_FIRST_DUE_MS - Date.now())));
  const killedAt = Date.now();
  workers[0]!.kill('SIGKILL');
  await exited(workers[0]!);
  workers.push(await startWorkerProcess(stack.workerEnv));
  const replacedIn = (Date.now() - killedAt) / 1000;

  const numbers = [...due.keys()];
  const { sql } = stack.database;
  const fired = () => sql<{ number: string; n: number; at: string }[]>`
    select case_number as number, count(*)::int as n, min(at) as at from journal
    where case_number = any(${numbers}) and type = 'code_expired' group by case_number`;
  await expect.poll(async () => (await fired()).length, { timeout: Math.max(0, last - Date.now()) + 180_000, interval: 1_000 }).toBe(CASES);
  // A timer that fired twice would show a second entry a little later.
  await new Promise((r) => setTimeout(r, 5_000));
  const rows = await fired();
  expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  const [shown] = await sql<{ n: number }[]>`select count(*)::int as n from cases where number = any(${numbers}) and status = 'code_expired'`;
  expect(shown!.n).toBe(CASES);

  const lateness = rows.map((r) => Date.parse(r.at) - due.get(r.number)!).sort((a, b) => a - b);
  expect(lateness[0]).toBeGreaterThanOrEqual(0);
  process.stdout.write(
    `\ntimers-restart: ${CASES} registrations opened in ${openedIn.toFixed(0)} s, their code expiries due within ${((last - first) / 1000).toFixed(0)} s; ` +
      `worker SIGKILLed ${((first - killedAt) / 1000).toFixed(0)} s before the first was due, replaced in ${replacedIn.toFixed(0)} s; ` +
      `fired once each: ${rows.length}, twice: 0, missing: 0; lateness p50 ${percentile(lateness, 0.5)} ms, p99 ${percentile(lateness, 0.99)} ms, max ${lateness.at(-1)} ms\n`,
  );
});
