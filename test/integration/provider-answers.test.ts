/**
 * What providers answer, on real servers: an SMTP server and SMS gateways that refuse by
 * quoting the address and the message, a gateway that does not answer in time, and an
 * account whose phone changes between two notices. The delivery runs as the activities
 * run it (createDelivery on a database of this file's own), without a Temporal stack.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { accounts, caseRegistry, outbox } from '../../db/schema';
import { listDeliveryAttempts } from '../../db/queries/deliveries';
import type { Senders } from '../../notifications/channel';
import { createDeliveryMetrics } from '../../metrics/delivery-metrics';
import { createDelivery } from '../../notifications/deliver';
import { createHttpGatewaySender, pushJson, smsJson } from '../../notifications/http-gateway-sender';
import { providerWords } from '../../notifications/provider-words';
import { startHttpGatewaySink } from '../../notifications/sinks/http-gateway-sink';
import { readReceived } from '../../notifications/sinks/received';
import type { RunningSink } from '../../notifications/sinks/sink-files';
import { createSmtpSender } from '../../notifications/smtp-sender';
import { createTestDatabase, type TestDatabase } from '../support/db';

const config = loadConfig({});
const secrets = { sms: config.notifications.sms.secret, push: config.notifications.push.secret };
const TIMEOUT_MS = 500;
const CODE = '483920';
const EMAIL = 'anna.petrova@example.ru';
const PHONE = '+79161234567';

let db: TestDatabase;
let sinkDir: string;
let sink: RunningSink & { url: string };
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sinkDir = await mkdtemp(path.join(tmpdir(), 'cases-provider-answers-'));
  sink = await startHttpGatewaySink({ dir: sinkDir, secrets });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sink?.close();
  await db?.drop();
  if (sinkDir) await rm(sinkDir, { recursive: true, force: true });
});

/** An HTTP gateway answering request n with `answer(n, body)`: a status and reason phrase, or nothing at all. */
async function startGateway(answer: (n: number, body: string) => { status: number; phrase?: string; body?: string } | 'hold' | 'forward') {
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const a = answer(n++, body);
      if (a === 'hold') return;
      if (a === 'forward') {
        const headers = Object.fromEntries(['content-type', 'idempotency-key', 'x-signature'].map((h) => [h, String(req.headers[h] ?? '')]));
        void fetch(`${sink.url}${req.url}`, { method: 'POST', headers, body }).then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()));
        return;
      }
      res.writeHead(a.status, a.phrase ?? '', { 'content-type': 'application/json' }).end(a.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gateway = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(gateway);
  return gateway;
}

/** A mail server that refuses every message, quoting the recipient and the message's code back. */
async function startRefusingSmtp() {
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
        // A content filter reads the decoded text and quotes what it objects to.
        void simpleParser(Buffer.concat(chunks)).then((mail) => {
          const code = /\d{6}/.exec(mail.text ?? '')?.[0];
          callback(Object.assign(new Error(`5.7.1 Message to <${to}> rejected as spam: "Код подтверждения: ${code}"`), { responseCode: 554 }));
        });
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const mailServer = { port: (server.server.address() as { port: number }).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  servers.push(mailServer);
  return mailServer;
}

function sendersWith(opts: { smsUrl?: string; smtpPort?: number }): Senders {
  const unused = `${sink.url}/push`;
  return {
    email: createSmtpSender({ ...config.notifications.mail, host: '127.0.0.1', port: opts.smtpPort ?? 1, secure: false }, TIMEOUT_MS),
    sms: createHttpGatewaySender({ url: opts.smsUrl ?? `${sink.url}/sms`, secret: secrets.sms }, TIMEOUT_MS, smsJson),
    push: createHttpGatewaySender({ url: unused, secret: secrets.push }, TIMEOUT_MS, pushJson),
  };
}

let caseCount = 0;
/** A case whose one-time code waits in the outbox, addressed as a registration addresses it. */
async function codeWaiting(channel: 'sms' | 'email', to: string) {
  const caseNumber = `T-PROVIDER-${++caseCount}`;
  await db.db.insert(caseRegistry).values({ number: caseNumber, kind: 'identity_registration', applicantId: `acc-${caseNumber}` });
  await db.db.insert(outbox).values({
    caseNumber,
    messageKey: 'code-1',
    channel,
    type: 'one_time_code',
    recipient: to,
    subject: channel === 'email' ? 'Регистрация на портале госуслуг' : null,
    body: `Код подтверждения: ${CODE}. Никому его не сообщайте.`,
  });
  return { caseNumber, messageKey: 'code-1' };
}

const errorsOf = async (caseNumber: string) =>
  (await db.sql`select a.outcome, a.provider_status, a.error from delivery_attempts a join outbox o on o.id = a.outbox_id where o.case_number = ${caseNumber} order by a.id`).map((r) => ({ ...r }));

describe('what a provider says is logged without the address or the message', () => {
  it('an SMS gateway refusing with a reason phrase and a body that quote the number and the code', async () => {
    const gateway = await startGateway((_n, body) => ({ status: 400, phrase: `Invalid destination ${PHONE} for ${CODE}`, body: JSON.stringify({ error: `bad ${PHONE}`, echo: body }) }));
    const delivery = createDelivery(db.db, sendersWith({ smsUrl: `${gateway.url}/sms` }), pino({ level: 'silent' }), 3 * TIMEOUT_MS, createDeliveryMetrics(new Registry()));
    const ref = await codeWaiting('sms', PHONE);
    const failure = (await delivery.code(ref).catch((err: unknown) => err)) as Error;
    expect(failure.message).not.toContain(PHONE);
    expect(failure.message).not.toContain(CODE);
    expect(await errorsOf(ref.caseNumber)).toEqual([{ outcome: 'rejected', provider_status: 400, error: '400 Bad Request' }]);
    const log = await listDeliveryAttempts(db.db, { caseNumber: ref.caseNumber, limit: 10, offset: 0 });
    expect(log.items).toEqual([expect.objectContaining({ recipient: PHONE, outcome: 'rejected', error: '400 Bad Request' })]);
  });

  it('a mail server refusing with a reply that quotes the address and the code', async () => {
    const smtp = await startRefusingSmtp();
    const delivery = createDelivery(db.db, sendersWith({ smtpPort: smtp.port }), pino({ level: 'silent' }), 3 * TIMEOUT_MS, createDeliveryMetrics(new Registry()));
    const ref = await codeWaiting('email', EMAIL);
    const failure = (await delivery.code(ref).catch((err: unknown) => err)) as Error;
    expect(failure.message).toMatch(/refused/);
    const [attempt] = await errorsOf(ref.caseNumber);
    // The server's words are kept for what they tell (a 5.7.1 spam refusal), masked.
    expect(attempt).toMatchObject({ outcome: 'rejected', provider_status: 554 });
    expect(attempt!.error).toContain('554 5.7.1 Message to <address> rejected as spam');
    expect(attempt!.error).not.toContain(EMAIL);
    expect(attempt!.error).not.toContain(CODE);
    const log = await listDeliveryAttempts(db.db, { caseNumber: ref.caseNumber, limit: 10, offset: 0 });
    expect(JSON.stringify(log.items.map((i) => ({ ...i, recipient: undefined })))).not.toMatch(new RegExp(`${EMAIL}|${CODE}`));
  });

  it('masks addresses, numbers in any spelling and the message’s words and digits, and keeps the rest', () => {
    const message = { to: PHONE, subject: 'Регистрация', text: `Код подтверждения: ${CODE}. Никому его не сообщайте.` };
    expect(providerWords(`550 5.1.1 <${EMAIL}>: unknown, tel. +7 (916) 123-45-67, 8 916 1234567`, message)).toBe(
      '550 5.1.1 <address>: unknown, tel. <number>, <number>',
    );
    expect(providerWords(`rejected "Код подтверждения: ${CODE}. Никому его не сообщайте." code ${CODE} id 1234`, message)).toBe(
      'rejected "<text>" code <digits> id 1234',
    );
    expect(providerWords(`421 4.7.0 try again later to ${PHONE.slice(1)}`, message)).toBe('421 4.7.0 try again later to <number>');
    expect(providerWords('x'.repeat(500), message)).toHaveLength(200);
  });
});

describe('a gateway that does not answer in time', () => {
  it('is retried: the attempt without an answer is logged as retryable, the next one delivers once', async () => {
    const gateway = await startGateway((n) => (n === 0 ? 'hold' : 'forward'));
    const delivery = createDelivery(db.db, sendersWith({ smsUrl: `${gateway.url}/sms` }), pino({ level: 'silent' }), 3 * TIMEOUT_MS, createDeliveryMetrics(new Registry()));
    const phone = '+79161230001';
    const ref = await codeWaiting('sms', phone);
    const started = Date.now();
    await expect(delivery.code(ref)).rejects.toMatchObject({ name: 'DeliveryFailure', final: false, message: `no answer within ${TIMEOUT_MS} ms` });
    expect(Date.now() - started).toBeLessThan(5 * TIMEOUT_MS);
    // The activity's retry: the lease was released with the failure, so it goes at once.
    await delivery.code(ref);
    await delivery.code(ref);
    expect(gateway.requests()).toBe(2);
    expect(await readReceived(sinkDir, { to: phone })).toHaveLength(1);
    expect(await errorsOf(ref.caseNumber)).toEqual([
      { outcome: 'retryable', provider_status: null, error: `no answer within ${TIMEOUT_MS} ms` },
      { outcome: 'accepted', provider_status: 202, error: null },
    ]);
  });
});

describe('a changed phone', () => {
  it('is used from the next notice on; the one sent before stays logged with the old number', async () => {
    const id = 'citizen-phone-change';
    const caseNumber = 'T-PROVIDER-PHONE';
    const newPhone = '+79169990000';
    await db.db.insert(accounts).values({ id, name: 'Анна Петрова', phone: PHONE, passwordHash: 'x', status: 'active', level: 'simplified' });
    await db.db.insert(caseRegistry).values({ number: caseNumber, kind: 'application', applicantId: id });
    const notice = (seq: number) => ({
      caseNumber,
      messageKey: `notice-${seq}-${id}-sms`,
      channel: 'sms' as const,
      type: 'documents_requested' as const,
      accountId: id,
      seq,
      body: `Госуслуги: ${caseNumber} — ответьте на запрос ведомства (${seq}).`,
    });
    await db.db.insert(outbox).values([notice(1), notice(2)]);
    const delivery = createDelivery(db.db, sendersWith({}), pino({ level: 'silent' }), 3 * TIMEOUT_MS, createDeliveryMetrics(new Registry()));

    expect(await delivery.notices({ caseNumber, seqs: [1] }, 1)).toEqual({ sent: 1, failed: 0 });
    await db.sql`update accounts set phone = ${newPhone} where id = ${id}`;
    expect(await delivery.notices({ caseNumber, seqs: [1, 2] }, 1)).toEqual({ sent: 1, failed: 0 });

    expect((await readReceived(sinkDir, { to: PHONE })).map((m) => m.text)).toEqual([notice(1).body]);
    expect((await readReceived(sinkDir, { to: newPhone })).map((m) => m.text)).toEqual([notice(2).body]);
    const sent = await db.sql`select seq, recipient from outbox where case_number = ${caseNumber} order by seq`;
    expect(sent.map((r) => [r.seq, r.recipient])).toEqual([
      [1, PHONE],
      [2, newPhone],
    ]);
  });
});
