import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { accounts, deliveryAttempts, outbox } from '../../db/schema';
import { readReceived } from '../../notifications/sinks/received';
import { file } from '../support/http';
import { startStack, testService, type Stack } from '../support/stack';
import { exited, startWorkerProcess } from '../support/worker-process';

/**
 * A push provider that keeps its side of the Idempotency-Key contract: every request is
 * recorded; the first one is held unanswered (the worker dies while it waits), later ones
 * are accepted.
 */
async function startPushProvider() {
  const requests: { key: string; body: string }[] = [];
  let arrived: () => void;
  const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ key: String(req.headers['idempotency-key']), body: Buffer.concat(chunks).toString() });
      if (requests.length === 1) return arrived();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `push-${requests.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/push`,
    requests,
    firstArrived,
    close: () =>
      new Promise<void>((resolve) => {
        // The held request has no answer coming: drop it with the server.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let stack: Stack;
let provider: Awaited<ReturnType<typeof startPushProvider>>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  provider = await startPushProvider();
  // A short provider timeout: the dead worker's lease on the message runs out in 3 s.
  stack = await startStack({ inProcessWorker: false, env: { DELIVERY_TIMEOUT_MS: '1000' } });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map(exited));
  await stack?.close();
  await provider?.close();
});

it('a worker killed while a provider holds a notice: its successor sends nothing twice', { timeout: 120_000 }, async () => {
  const env = { ...stack.workerEnv, PUSH_GATEWAY_URL: provider.url, LOG_LEVEL: 'info' };
  workers.push(await startWorkerProcess(env));

  const id = `citizen-${randomBytes(4).toString('hex')}`;
  const email = `${id}@example.ru`;
  await stack.database.db.insert(accounts).values({ id, name: 'Анна Петрова', email, phone: '+79120000001', passwordHash: 'x', status: 'active', level: 'confirmed' });
  const anna: Principal = { id, role: 'citizen', level: 'confirmed' };
  const service = testService();
  await stack.addService(service);
  const { number } = await file(stack, anna, service.code);

  // The submission notice goes by e-mail and push; the push provider has it and has not answered.
  await provider.firstArrived;
  workers[0]!.kill('SIGKILL');
  await exited(workers[0]!);
  workers.push(await startWorkerProcess(env));

  const rows = () => stack.database.db.select().from(outbox).where(eq(outbox.caseNumber, number));
  for (let i = 0; (await rows()).some((r) => r.sentAt === null); i++) {
    if (i > 200) throw new Error(`notices of ${number} still unsent: ${JSON.stringify(await rows())}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const sent = await rows();
  expect(sent.map((r) => [r.channel, r.type]).sort()).toEqual([
    ['email', 'submission_confirmed'],
    ['push', 'submission_confirmed'],
  ]);

  // The e-mail left once; the push was handed over again under the same key, which a provider keeps once.
  const mails = (await readReceived(stack.config.notifications.sinks.dir, { channel: 'email' })).filter((m) => m.to === email);
  expect(mails).toHaveLength(1);
  expect(provider.requests.length).toBeGreaterThanOrEqual(2);
  expect(new Set(provider.requests.map((r) => r.key))).toEqual(new Set([`${number}:${sent.find((r) => r.channel === 'push')!.messageKey}`]));
  expect(new Set(provider.requests.map((r) => r.body)).size).toBe(1);

  const attempts = await stack.database.db.select().from(deliveryAttempts);
  const accepted = attempts.filter((a) => sent.some((r) => r.id === a.outboxId) && a.outcome === 'accepted');
  expect(accepted.map((a) => a.channel).sort()).toEqual(['email', 'push']);
});
