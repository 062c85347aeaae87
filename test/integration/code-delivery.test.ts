import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { loadConfig } from '../../config';
import { FailureType } from '../../core/failures';
import { accounts, caseRegistry } from '../../db/schema';
import { createSimulatedRegistry } from '../../identity/registry';
import { DeliveryFailure } from '../../notifications/channel';
import { sendersFromConfig } from '../../notifications/senders';
import { startHttpGatewaySink } from '../../notifications/sinks/http-gateway-sink';
import { readReceived } from '../../notifications/sinks/received';
import { resultDocumentsFromConfig } from '../../results/from-config';
import type { RunningSink } from '../../notifications/sinks/sink-files';
import { messageIdFor } from '../../notifications/smtp-sender';
import { verifierFromConfig } from '../../signatures/from-config';
import { lastCode, post } from '../support/http';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { startStack, type Stack } from '../support/stack';

const defaults = loadConfig({});
let stack: Stack;
let smsDir: string;
let smsSink: RunningSink & { url: string };
// The SMS gateway is down for its first request; after that it passes messages on to a real sink.
let flakySms: ScriptedGateway;
const crashedAfterSending = new Set<string>();

beforeAll(async () => {
  smsDir = await mkdtemp(path.join(tmpdir(), 'cases-sms-'));
  smsSink = await startHttpGatewaySink({ dir: smsDir, secrets: { sms: defaults.notifications.sms.secret, push: defaults.notifications.push.secret } });
  flakySms = await startScriptedGateway((n) => (n === 0 ? 503 : undefined), smsSink.url);
  stack = await startStack({
    env: { SMS_GATEWAY_URL: `${flakySms.url}/sms` },
    // Each code's first successful attempt "crashes" after the provider took the message,
    // as a worker dying before the activity completes would: the retry must not send again.
    wrapActivities: (real) => ({
      ...real,
      async issueCode(req) {
        const issued = await real.issueCode(req);
        const key = `${req.caseNumber}:${req.messageKey}`;
        if (!crashedAfterSending.has(key)) {
          crashedAfterSending.add(key);
          throw new Error('simulated crash after sending');
        }
        return issued;
      },
    }),
  });
});
afterAll(async () => {
  await stack?.close();
  await Promise.all([flakySms?.close(), smsSink?.close()]);
  if (smsDir) await rm(smsDir, { recursive: true, force: true });
});

const attemptsOf = (caseNumber: string) =>
  stack.database.sql`
    select a.channel, a.recipient, a.outcome, a.provider_status, a.provider_message_id, a.error
    from delivery_attempts a join outbox o on o.id = a.outbox_id
    where o.case_number = ${caseNumber} order by a.id`;

describe('one-time codes over real channels, exactly once', () => {
  it('an SMS through a gateway that fails once is retried, delivered once despite a crash after sending, and completes the registration', async () => {
    const phone = '+79125558801';
    const started = await post(stack, undefined, '/identity/registrations', { name: 'Вера Смирнова', phone, password: 'Secret123' });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId } = started.json();

    const received = await readReceived(smsDir, { to: phone });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ channel: 'sms', idempotencyKey: `${number}:code-1` });
    expect(flakySms.requests).toBe(2);

    const attempts = await attemptsOf(number);
    expect(attempts).toEqual([
      { channel: 'sms', recipient: phone, outcome: 'retryable', provider_status: 503, provider_message_id: null, error: '503 Service Unavailable' },
      { channel: 'sms', recipient: phone, outcome: 'accepted', provider_status: 202, provider_message_id: received[0]!.messageId, error: null },
    ]);
    const [sent] = await stack.database.sql`select sent_at, provider_message_id from outbox where case_number = ${number}`;
    expect(sent!.sent_at).not.toBeNull();
    expect(sent!.provider_message_id).toBe(received[0]!.messageId);

    const code = /(\d{6})/.exec(received[0]!.text)![1]!;
    const confirmed = await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'confirmed', accepted: true });
    // The log knows where and how a message went, never what it said.
    expect(JSON.stringify(await stack.database.sql`select * from delivery_attempts`)).not.toContain(code);
  });

  it('an e-mail reaches the SMTP server once, with a Message-ID and Idempotency-Key derived from the outbox key', async () => {
    const email = 'lev.orlov@example.ru';
    const started = await post(stack, undefined, '/identity/registrations', { name: 'Лев Орлов', email, password: 'Secret123' });
    expect(started.statusCode, started.body).toBe(201);
    const { number, accountId } = started.json();

    const mails = await readReceived(stack.config.notifications.sinks.dir, { to: email });
    expect(mails).toHaveLength(1);
    const key = `${number}:code-1`;
    expect(mails[0]).toMatchObject({ channel: 'email', idempotencyKey: key, messageId: messageIdFor(key, stack.config.notifications.mail.from) });
    expect(mails[0]!.subject).toBe('Регистрация на портале госуслуг');
    expect((await attemptsOf(number)).map((a) => [a.outcome, a.provider_status])).toEqual([['accepted', 250]]);

    const code = await lastCode(stack, email);
    expect((await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code })).statusCode).toBe(200);
    expect(JSON.stringify(await stack.database.sql`select * from delivery_attempts`)).not.toContain(code);
  });
});

describe('the code activity on its own', () => {
  let caseSeq = 0;
  /** A case and an account to send codes for, as a registration would have made them. */
  async function citizen(phone: string) {
    const number = `T-DELIVERY-${Date.now()}-${caseSeq++}`;
    const id = `delivery-${number}`;
    await stack.database.db.insert(caseRegistry).values({ number, kind: 'identity_registration', applicantId: id });
    await stack.database.db.insert(accounts).values({ id, name: 'Тест', phone, passwordHash: 'x', status: 'pending' });
    return { caseNumber: number, accountId: id };
  }
  const activitiesWith = async (smsUrl: string, logger = pino({ level: 'silent' })) => {
    const config = { ...stack.config, notifications: { ...stack.config.notifications, sms: { ...stack.config.notifications.sms, url: smsUrl } } };
    return createActivities({
      db: stack.database.db,
      codeSecret: config.identity.codeSecret,
      registry: createSimulatedRegistry({ latencyMs: 0, failureRate: 0 }),
      verifier: verifierFromConfig(config),
      senders: sendersFromConfig(config),
      supervisors: config.inbox.supervisors,
      deliveryTimeoutMs: config.notifications.timeoutMs,
      logger,
      metrics: new Registry(),
      results: await resultDocumentsFromConfig(config, stack.database.db),
    });
  };

  it('called twice with the same key, sends once and returns the same digest', async () => {
    const phone = '+79125558802';
    const activities = await activitiesWith(stack.config.notifications.sms.url!);
    const req = { ...(await citizen(phone)), messageKey: 'code-1', channel: 'sms' as const, purpose: 'Проверка' };
    const first = await activities.issueCode(req);
    const second = await activities.issueCode(req);
    expect(second).toEqual(first);
    expect(await readReceived(smsDir, { to: phone })).toHaveLength(1);
  });

  it('a 4xx from the gateway is final: nothing is sent, the refusal is logged and the row stays unsent', async () => {
    const phone = '+79125558803';
    const refusing = await startScriptedGateway(() => 400);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }));
    try {
      const activities = await activitiesWith(`${refusing.url}/sms`, logger);
      const req = { ...(await citizen(phone)), messageKey: 'code-1', channel: 'sms' as const, purpose: 'Проверка' };
      const failure = await activities.issueCode(req).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: FailureType.Permanent, nonRetryable: true });
      expect(refusing.requests).toBe(1);

      const rows = await stack.database.sql`
        select a.outcome, a.provider_status, o.sent_at, o.body from delivery_attempts a join outbox o on o.id = a.outbox_id
        where o.case_number = ${req.caseNumber}`;
      expect(rows.map((r) => [r.outcome, r.provider_status, r.sent_at])).toEqual([['rejected', 400, null]]);
      const code = /(\d{6})/.exec(rows[0]!.body)![1]!;
      expect(lines.join('')).toMatch(/refused the message for good/);
      expect(lines.join('')).not.toContain(code);
      expect(lines.join('')).not.toContain(phone);
      expect(await readReceived(smsDir, { to: phone })).toHaveLength(0);
    } finally {
      await refusing.close();
    }
  });
});

describe('push gateway', () => {
  it('takes signed JSON with its idempotency key, and refuses a message signed with another secret for good', async () => {
    const senders = sendersFromConfig(stack.config);
    const message = { idempotencyKey: 'T-1:push-1', to: 'device-token-1', subject: 'Статус заявления', text: 'Заявление принято' };
    const accepted = await senders.push.send(message);
    expect(accepted.status).toBe(202);
    const [push] = await readReceived(stack.config.notifications.sinks.dir, { channel: 'push', to: 'device-token-1' });
    expect(push).toMatchObject({ to: 'device-token-1', subject: 'Статус заявления', text: 'Заявление принято', idempotencyKey: 'T-1:push-1', messageId: accepted.messageId });

    const forged = sendersFromConfig({ ...stack.config, notifications: { ...stack.config.notifications, push: { ...stack.config.notifications.push, secret: 'x'.repeat(16) } } });
    const refused = await forged.push.send({ ...message, idempotencyKey: 'T-1:push-2' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DeliveryFailure);
    expect(refused).toMatchObject({ final: true, status: 401 });
    expect(await readReceived(stack.config.notifications.sinks.dir, { channel: 'push', to: 'device-token-1' })).toHaveLength(1);
  });
});
