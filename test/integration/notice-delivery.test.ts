/**
 * Notices on real channels: the stack's SMTP server receives the e-mails, an HTTP gateway
 * sink of this file the SMS and push messages (SMS through a gateway that fails on cue).
 * Counts are taken once a case's deliveries are settled: every queued message sent or
 * given up and no delivery activity pending, so nothing can arrive afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { createActivities } from '../../activities';
import { caseWorkflowId, type AccountLevel, type JournalEntry, type NotificationIntent } from '../../core/case-model';
import type { CaseProjection } from '../../core/case-projection';
import { CITIZEN_NOTICE_TYPES } from '../../core/notices';
import { getCase, getTimeline } from '../../db/queries/cases';
import { createSimulatedRegistry } from '../../identity/registry';
import { sendersFromConfig } from '../../notifications/senders';
import { verifierFromConfig } from '../../signatures/from-config';
import type { Principal } from '../../core/principal';
import { loadConfig } from '../../config';
import { accounts } from '../../db/schema';
import { startHttpGatewaySink } from '../../notifications/sinks/http-gateway-sink';
import { readReceived, type ReceivedMessage } from '../../notifications/sinks/received';
import type { RunningSink } from '../../notifications/sinks/sink-files';
import { resultDocumentsFromConfig } from '../../results/from-config';
import { journalEntriesOf } from '../support/db';
import { recordHistory } from '../support/histories';
import { act, deliveriesSettled, detail, file, get, lastLetterCode, ok, officially, post } from '../support/http';
import { erik, rita } from '../support/personas';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { startStack, testService, type Stack } from '../support/stack';

const defaults = loadConfig({});
const service = testService();
let stack: Stack;
let gatewayDir: string;
let gatewaySink: RunningSink & { url: string };
/** SMS pass through here: the statuses queued in `smsFailures` answer the next requests, then it forwards. */
let sms: ScriptedGateway;
const smsFailures: number[] = [];
/** Cases whose first delivery activity "crashes" right after the real one sent everything. */
const crashAfterSending = new Set<string>();
const crashed = new Set<string>();
let realActivities: Activities;

beforeAll(async () => {
  gatewayDir = await mkdtemp(path.join(tmpdir(), 'cases-gateway-'));
  gatewaySink = await startHttpGatewaySink({ dir: gatewayDir, secrets: { sms: defaults.notifications.sms.secret, push: defaults.notifications.push.secret } });
  sms = await startScriptedGateway(() => smsFailures.shift(), gatewaySink.url);
  stack = await startStack({
    env: { SMS_GATEWAY_URL: `${sms.url}/sms`, PUSH_GATEWAY_URL: `${gatewaySink.url}/push` },
    wrapActivities: (real) => ({
      ...(realActivities = real),
      async deliverNotices(req) {
        const report = await real.deliverNotices(req);
        if (crashAfterSending.has(req.caseNumber) && !crashed.has(req.caseNumber)) {
          crashed.add(req.caseNumber);
          throw new Error('simulated worker crash after the provider took the messages');
        }
        return report;
      },
    }),
  });
  await stack.addService(service);
});
afterAll(async () => {
  await stack?.close();
  await Promise.all([sms?.close(), gatewaySink?.close()]);
  if (gatewayDir) await rm(gatewayDir, { recursive: true, force: true });
});

interface Citizen extends Principal {
  email: string;
  phone: string;
}

/** An active account with an e-mail and a phone, as a finished registration leaves it. */
async function citizen(level: AccountLevel = 'confirmed'): Promise<Citizen> {
  const id = `citizen-${randomBytes(4).toString('hex')}`;
  const phone = `+7912${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const email = `${id}@example.ru`;
  await stack.database.db.insert(accounts).values({ id, name: 'Анна Петрова', email, phone, passwordHash: 'x', status: 'active', level });
  return { id, role: 'citizen', level, email, phone };
}

/** Everything the sinks received for `c`, on any channel, oldest first. */
async function messagesTo(c: { id: string; email: string; phone: string }): Promise<ReceivedMessage[]> {
  const [mail, gateway] = await Promise.all([readReceived(stack.config.notifications.sinks.dir, { channel: 'email' }), readReceived(gatewayDir)]);
  return [...mail, ...gateway].filter((m) => [c.id, c.email, c.phone].includes(m.to)).sort((a, b) => path.basename(a.file).localeCompare(path.basename(b.file)));
}

/** The code as the phone got it: this file's SMS pass its own gateway sink. */
async function smsCode(phone: string): Promise<string> {
  const [text] = await readReceived(gatewayDir, { to: phone, channel: 'sms', last: 1 });
  return /Код подтверждения: (\d{6})/.exec(text?.text ?? '')![1]!;
}

const settled = (number: string) => deliveriesSettled(stack, number);

/** The new messages to `c` after `seen` of them, as (channel, seq) pairs read from their keys. */
async function since(c: Citizen, seen: number) {
  const fresh = (await messagesTo(c)).slice(seen);
  return fresh.map((m) => [m.channel, keyType(m)]);
}
/** Messages sent one after another may share a millisecond, so their order on disk is not theirs: compare sorted. */
const sorted = <T extends unknown[]>(pairs: T[]) => [...pairs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const keyType = (m: ReceivedMessage) => /:notice-(\d+)-/.exec(m.idempotencyKey ?? '')?.[1];

const attemptsOf = (number: string) => stack.database.sql`
  select o.message_key, o.type, a.channel, a.recipient, a.outcome, a.provider_status from delivery_attempts a join outbox o on o.id = a.outbox_id
  where o.case_number = ${number} order by a.id`;

/** The type of each notice message of the case, by the seq in its key. */
async function typesBySeq(number: string): Promise<Map<string, string>> {
  const rows = await stack.database.sql`select distinct seq, type from outbox where case_number = ${number} and seq is not null`;
  return new Map(rows.map((r) => [String(r.seq), r.type as string]));
}

/** (channel, seq) pairs as (channel, type), sorted. */
async function typed(number: string, pairs: (string | undefined)[][]) {
  const types = await typesBySeq(number);
  return sorted(pairs.map(([channel, seq]) => [channel, types.get(seq!)]));
}

describe('notices of an application, over HTTP', () => {
  it('each step reaches each channel its type defaults to exactly once, in Russian with number, service and status label', async () => {
    const anna = await citizen();
    const { number } = await file(stack, anna, service.code);
    await settled(number);
    expect(await typed(number, await since(anna, 0))).toEqual([
      ['email', 'submission_confirmed'],
      ['push', 'submission_confirmed'],
    ]);
    const [mail] = (await messagesTo(anna)).filter((m) => m.channel === 'email');
    expect(mail).toMatchObject({ to: anna.email, subject: `${number}: заявление получено` });
    expect(mail!.text).toContain(`Номер: ${number}`);
    expect(mail!.text).toContain(`Услуга: ${service.name}`);
    expect(mail!.text).toContain('Статус: Получено');

    let seen = (await messagesTo(anna)).length;
    await officially(stack, rita, number, 'claim');
    await settled(number);
    expect(await typed(number, await since(anna, seen))).toEqual([
      ['email', 'status_changed'],
      ['push', 'status_changed'],
    ]);
    const claimed = (await messagesTo(anna)).slice(seen);
    expect(claimed.find((m) => m.channel === 'email')?.subject).toBe(`${number}: статус «В работе»`);
    expect(claimed.find((m) => m.channel === 'push')).toMatchObject({ to: anna.id, subject: 'Статус «В работе»', text: `${number} · ${service.name}. Статус: «В работе»` });

    // One notice per step: the request names its status, so its status change sends nothing more.
    seen = (await messagesTo(anna)).length;
    await officially(stack, rita, number, 'request-info', { message: 'Приложите скан', dueDays: 10 });
    await settled(number);
    expect(await typed(number, await since(anna, seen))).toEqual([
      ['email', 'documents_requested'],
      ['push', 'documents_requested'],
      ['sms', 'documents_requested'],
    ]);
    const text = (await messagesTo(anna)).slice(seen).find((m) => m.channel === 'sms')!;
    expect(text.to).toBe(anna.phone);
    expect(text.text).toMatch(new RegExp(`^Госуслуги: ${number} \\(${service.name}\\) — ответьте на запрос ведомства до \\d\\d\\.\\d\\d\\.\\d{4}\\. Статус: «Требуется уточнение»\\.$`));

    ok(await act(stack, anna, number, 'answer', { comment: 'Прикладываю', documents: [] }), 200);
    await officially(stack, rita, number, 'decide', { outcome: 'approve', comment: 'ok' });
    await expect.poll(async () => (await detail(stack, anna, number)).status, { timeout: 15_000 }).toBe('completed');
    await settled(number);

    const all = await typed(number, await since(anna, 0));
    const count = (channel: string, type: string) => all.filter(([c, t]) => c === channel && t === type).length;
    expect(count('email', 'status_changed')).toBe(3); // in review, in review again, approved
    expect(count('email', 'result_issued')).toBe(1);
    expect(count('push', 'result_issued')).toBe(1);
    expect(count('sms', 'status_changed')).toBe(0);
    expect(all).toHaveLength(2 + 2 + 3 + 2 + 2 + 2);
    // Every message went out once: one accepted attempt per queued message, each key once in the sinks.
    const attempts = await attemptsOf(number);
    expect(attempts.every((a) => a.outcome === 'accepted')).toBe(true);
    expect(new Set(attempts.map((a) => a.message_key)).size).toBe(attempts.length);
    const keys = (await messagesTo(anna)).map((m) => m.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    // The delivery loop's commands (patch notification-deliveries), for the replay test.
    await recordHistory(stack.client, number, 'application-approved-notices-delivered');
  });

  it('runs a delivery only for entries with messages queued: a citizen without an account gets inbox rows and no delivery activity', async () => {
    const anna = await citizen();
    const nobody: Principal = { id: `outside-${randomBytes(4).toString('hex')}`, role: 'citizen', level: 'confirmed' };
    const [withAccount, without] = [(await file(stack, anna, service.code)).number, (await file(stack, nobody, service.code)).number];
    for (const number of [withAccount, without]) {
      await officially(stack, rita, number, 'claim');
      await settled(number);
    }
    // The claim's status change notifies the applicant; the inbox has it in both cases.
    const inbox = (number: string) => stack.database.sql`select seq from notifications where case_number = ${number} and type = 'status_changed'`;
    expect(await inbox(withAccount)).toHaveLength(1);
    expect(await inbox(without)).toHaveLength(1);
    const delivered = async (number: string) =>
      ((await stack.client.workflow.getHandle(caseWorkflowId(number)).fetchHistory()).events ?? []).flatMap((e) => {
        const scheduled = e.activityTaskScheduledEventAttributes;
        return scheduled?.activityType?.name === 'deliverNotices' ? [scheduled] : [];
      });
    const queued = async (number: string) => (await stack.database.sql`select distinct seq from outbox where case_number = ${number} order by seq`).map((r) => Number(r.seq));
    // Submission and claim: one delivery each, of the entries whose messages were queued.
    expect(await queued(withAccount)).toHaveLength(2);
    expect(await delivered(withAccount)).toHaveLength(2);
    expect(await typed(withAccount, await since(anna, 0))).toEqual([
      ['email', 'status_changed'],
      ['email', 'submission_confirmed'],
      ['push', 'status_changed'],
      ['push', 'submission_confirmed'],
    ]);
    expect(await queued(without)).toEqual([]);
    expect(await delivered(without)).toEqual([]);
    await recordHistory(stack.client, without, 'application-claimed-no-messages-queued');
  });

  it('a projection tells which entries have messages queued, also when the API wrote the batch ahead', async () => {
    const anna = await citizen();
    const nobody: Principal = { id: `outside-${randomBytes(4).toString('hex')}`, role: 'citizen', level: 'confirmed' };
    const { number } = await file(stack, anna, service.code);
    const { number: unreachable } = await file(stack, nobody, service.code);
    await settled(number);
    // The case's batch as its workflow handed it over, notices (read back from the inbox) included.
    const batchOf = async (n: string) => {
      const notices = await stack.database.sql<{ seq: number; recipient: string; type: NotificationIntent['type']; title: string }[]>`
        select seq, recipient, type, title from notifications where case_number = ${n}`;
      const entries = journalEntriesOf(await getTimeline(stack.database.db, n)).map((e) => {
        const notify = notices.filter((r) => r.seq === e.seq).map(({ recipient, type, title }) => ({ recipient, type, title }));
        return notify.length ? { ...e, notify } : e;
      });
      return { projection: (await getCase(stack.database.db, n)) as CaseProjection, entries };
    };
    const run = new MockActivityEnvironment();
    // Version 1 (the filing, written ahead by the API): read, not written again.
    const filed = await batchOf(number);
    expect(filed.projection.version).toBe(1);
    const submission = filed.entries.filter((e) => e.notify?.length).map((e) => e.seq);
    expect(submission).toHaveLength(1);
    expect(await run.run(realActivities.projectCase, filed)).toEqual({ queuedNotices: submission });
    expect(await run.run(realActivities.projectCase, await batchOf(unreachable))).toEqual({ queuedNotices: [] });
    // A later version, written again as a retry would: the outbox holds its messages already, and says so.
    const claimed = await officially(stack, rita, number, 'claim');
    await settled(number);
    const again = await batchOf(number);
    expect(again.projection.version).toBe(claimed.version);
    expect(await run.run(realActivities.projectCase, again)).toEqual({ queuedNotices: again.entries.filter((e) => e.notify?.length).map((e) => e.seq) });
  });

  it('respects the citizen’s choices: a channel switched off gets nothing, the inbox still gets the notice', async () => {
    const boris = await citizen();
    expect(ok(await get(stack, boris, '/me/notification-preferences'), 200).channels).toMatchObject({
      status_changed: ['email', 'push'],
      documents_requested: ['email', 'sms', 'push'],
      deadline_approaching: ['email', 'sms', 'push'],
    });
    const changed = await stack.call(boris, {
      method: 'PATCH',
      url: '/me/notification-preferences',
      payload: { channels: { status_changed: [], documents_requested: ['sms'], submission_confirmed: ['push', 'email'] } },
    });
    const answer = ok(changed, 200);
    expect(answer).toEqual(ok(await get(stack, boris, '/me/notification-preferences'), 200));
    expect(answer.channels).toMatchObject({ status_changed: [], documents_requested: ['sms'], submission_confirmed: ['email', 'push'], result_issued: ['email', 'push'] });
    expect(answer).toMatchObject({ inbox: 'always', alwaysSent: ['one_time_code', 'letter_code'] });

    const { number } = await file(stack, boris, service.code);
    await officially(stack, rita, number, 'claim');
    await officially(stack, rita, number, 'request-info', { message: 'Уточните адрес' });
    await settled(number);
    expect(await typed(number, await since(boris, 0))).toEqual([
      ['email', 'submission_confirmed'],
      ['push', 'submission_confirmed'],
      ['sms', 'documents_requested'],
    ]);
    const inbox = await stack.database.sql`select type from notifications where case_number = ${number} and recipient = ${boris.id} order by seq`;
    expect(inbox.map((r) => r.type)).toEqual(expect.arrayContaining(['submission_confirmed', 'status_changed', 'documents_requested']));
  });

  it('refuses unknown types and channels, and codes, with the path of each', async () => {
    const vera = await citizen();
    const patch = (channels: unknown) => stack.call(vera, { method: 'PATCH', url: '/me/notification-preferences', payload: { channels } });
    for (const [channels, where] of [
      [{ newsletter: ['email'] }, '/body/channels/newsletter'],
      [{ status_changed: ['fax'] }, '/body/channels/status_changed/0'],
      [{ one_time_code: [] }, '/body/channels/one_time_code'],
      [{ status_changed: ['email', 'email'] }, '/body/channels/status_changed'],
    ] as const) {
      const refused = await patch(channels);
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json().errors.map((e: { path: string }) => e.path)).toContain(where);
    }
    expect(ok(await get(stack, vera, '/me/notification-preferences'), 200).channels.status_changed).toEqual(['email', 'push']);
    expect((await get(stack, rita, '/me/notification-preferences')).statusCode).toBe(403);
  });

  it('sends the next message to a changed e-mail address', async () => {
    const gleb = await citizen();
    const { number } = await file(stack, gleb, service.code);
    await settled(number);
    const newAddress = `new-${gleb.email}`;
    await stack.database.sql`update accounts set email = ${newAddress} where id = ${gleb.id}`;
    await officially(stack, rita, number, 'claim');
    await settled(number);
    const mails = (await readReceived(stack.config.notifications.sinks.dir, { channel: 'email' })).filter((m) => [gleb.email, newAddress].includes(m.to));
    expect(mails.map((m) => [m.to, m.subject])).toEqual([
      [gleb.email, `${number}: заявление получено`],
      [newAddress, `${number}: статус «В работе»`],
    ]);
  });
});

describe('failing providers and crashes', () => {
  it('an SMS gateway answering 503 is retried, then the SMS arrives once', async () => {
    const dina = await citizen();
    const { number } = await file(stack, dina, service.code);
    await officially(stack, rita, number, 'claim');
    await settled(number);
    smsFailures.push(503, 503);
    await officially(stack, rita, number, 'request-info', { message: 'Приложите справку' });
    await settled(number);
    const texts = (await messagesTo(dina)).filter((m) => m.channel === 'sms');
    expect(texts).toHaveLength(1);
    const smsAttempts = (await attemptsOf(number)).filter((a) => a.channel === 'sms');
    expect(smsAttempts.map((a) => [a.outcome, a.provider_status])).toEqual([
      ['retryable', 503],
      ['retryable', 503],
      ['accepted', 202],
    ]);
    // The e-mail and push of the same notice went out on the first attempt and were not sent again.
    expect((await messagesTo(dina)).filter((m) => keyType(m) === keyType(texts[0]!))).toHaveLength(3);
  });

  it('a 4xx is final: logged as rejected, given up, not retried', async () => {
    const egor = await citizen();
    const { number } = await file(stack, egor, service.code);
    await officially(stack, rita, number, 'claim');
    await settled(number);
    smsFailures.push(400);
    const before = sms.requests;
    await officially(stack, rita, number, 'request-info', { message: 'Приложите справку' });
    await settled(number);
    expect(sms.requests - before).toBe(1);
    expect((await messagesTo(egor)).filter((m) => m.channel === 'sms')).toEqual([]);
    const [refused] = (await attemptsOf(number)).filter((a) => a.channel === 'sms');
    expect(refused).toMatchObject({ outcome: 'rejected', provider_status: 400, recipient: egor.phone, type: 'documents_requested' });
    const [row] = await stack.database.sql`select sent_at, failed_at from outbox where case_number = ${number} and channel = 'sms'`;
    expect(row).toMatchObject({ sent_at: null, failed_at: expect.anything() });
    // The admin's log shows it; citizens may not read it.
    const log = ok(await get(stack, { id: 'root', role: 'admin' }, `/admin/deliveries?caseNumber=${number}&channel=sms`), 200);
    expect(log.items).toEqual([expect.objectContaining({ caseNumber: number, channel: 'sms', outcome: 'rejected', providerStatus: 400, type: 'documents_requested' })]);
    expect(log.total).toBe(1);
    expect((await get(stack, egor, '/admin/deliveries')).statusCode).toBe(403);
  });

  it('a delivery activity that dies after the provider took the messages is retried and sends nothing twice', async () => {
    const fima = await citizen();
    const { number } = await file(stack, fima, service.code);
    crashAfterSending.add(number);
    await officially(stack, rita, number, 'claim');
    await settled(number);
    expect(crashed.has(number)).toBe(true);
    const keys = (await messagesTo(fima)).map((m) => m.idempotencyKey);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(4);
    expect((await attemptsOf(number)).map((a) => a.outcome)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    // And once more by hand, as a worker restarted on the same task would: nothing to send.
    const seqs = (await stack.database.sql`select distinct seq from outbox where case_number = ${number}`).map((r) => Number(r.seq));
    expect(await new MockActivityEnvironment().run(realActivities.deliverNotices, { caseNumber: number, seqs })).toEqual({ sent: 0, failed: 0 });
    expect(await messagesTo(fima)).toHaveLength(4);
  });
});

describe('notices of the other kinds', () => {
  it('an appeal’s result, a level raised at registration and a postal address saved reach their channels once', async () => {
    // The appeal: filed against a rejection, dismissed by an expert.
    const ilya = await citizen();
    const { number } = await file(stack, ilya, service.code);
    await officially(stack, rita, number, 'claim');
    await officially(stack, rita, number, 'decide', { outcome: 'reject', reasonCode: 'not_eligible', comment: 'не положено' });
    const appeal = ok(await post(stack, ilya, `/cases/${number}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), 201);
    await officially(stack, erik, appeal.number, 'claim');
    await officially(stack, erik, appeal.number, 'appeal-decision', { outcome: 'dismissed', reasons: 'Доводы не подтверждены' });
    await settled(appeal.number);
    const appealMessages = (await messagesTo(ilya)).filter((m) => m.idempotencyKey?.startsWith(`${appeal.number}:`));
    expect(await typed(appeal.number, appealMessages.map((m) => [m.channel, keyType(m)]))).toEqual([
      ['email', 'appeal_result'],
      ['email', 'status_changed'],
      ['email', 'submission_confirmed'],
      ['push', 'appeal_result'],
      ['push', 'status_changed'],
      ['push', 'submission_confirmed'],
    ]);
    expect(appealMessages.filter((m) => m.channel === 'email').at(-1)!.subject).toMatch(new RegExp(`^${appeal.number}: жалоба рассмотрена: «.+»$`));

    // A registration: the code by SMS, then the new account hears of its level by push; the
    // e-mail given beside the phone got no code, so it is not the account's and hears nothing.
    const phone = '+79125557001';
    const email = 'zoya.registered@example.ru';
    const started = ok(await post(stack, undefined, '/identity/registrations', { name: 'Зоя Ким', phone, email, password: 'Secret123' }), 201);
    ok(await post(stack, undefined, `/identity/registrations/${started.number}/code`, { accountId: started.accountId, code: await smsCode(phone) }), 200);
    await settled(started.number);
    const zoya = { id: started.accountId as string, email, phone };
    const registered = (await messagesTo(zoya)).map((m) => [m.channel, m.subject ?? null]);
    expect(registered[0]).toEqual(['sms', null]);
    expect(sorted(registered)).toEqual([
      ['push', 'Уровень учётной записи «упрощённая»'],
      ['sms', null],
    ]);
    // The log knows where the code went, never the code.
    const log = ok(await get(stack, { id: 'root', role: 'admin' }, `/admin/deliveries?caseNumber=${started.number}`), 200);
    expect(log.items.map((i: { type: string; channel: string }) => [i.type, i.channel])).toEqual([
      ['identity_level_changed', 'push'],
      ['one_time_code', 'sms'],
    ]);
    expect(JSON.stringify(log)).not.toContain(await smsCode(phone));

    // A confirmation by registered letter saves the postal address: personal data changed.
    const kira = await citizen('standard');
    const letter = ok(await post(stack, kira, '/identity/upgrades/confirmed', { method: 'letter', place: 'г. Тверь, ул. Советская, 5' }), 202);
    await settled(letter.number);
    expect(await typed(letter.number, await since(kira, 0))).toEqual([
      ['email', 'personal_data_updated'],
      ['push', 'personal_data_updated'],
    ]);
  });
});

describe('codes cannot be switched off', () => {
  it('a citizen who switched every notice off still gets the letter’s code; the notices stay in the inbox', async () => {
    const nina = await citizen('standard');
    const nothing = Object.fromEntries(CITIZEN_NOTICE_TYPES.map((t) => [t, []]));
    ok(await stack.call(nina, { method: 'PATCH', url: '/me/notification-preferences', payload: { channels: nothing } }), 200);
    const address = '170100, г. Тверь, ул. Советская, д. 7';
    const letter = ok(await post(stack, nina, '/identity/upgrades/confirmed', { method: 'letter', place: address }), 202);
    const code = await lastLetterCode(stack, address);
    ok(await post(stack, nina, `/identity/upgrades/confirmed/${letter.number}/letter-code`, { code }), 200);
    await expect.poll(async () => (await detail(stack, nina, letter.number)).status, { timeout: 15_000 }).toBe('confirmed');
    await settled(letter.number);
    // The code went out (by post: its outbox row), the notices on no channel.
    const queued = await stack.database.sql`select channel, type from outbox where case_number = ${letter.number} order by id`;
    expect(queued.map((r) => [r.channel, r.type])).toEqual([['letter', 'letter_code']]);
    expect(await messagesTo(nina)).toEqual([]);
    const inbox = await stack.database.sql`select type from notifications where case_number = ${letter.number} and recipient = ${nina.id}`;
    expect(inbox.map((r) => r.type)).toEqual(expect.arrayContaining(['personal_data_updated', 'identity_level_changed']));
  });
});

describe('the delivery activities on their own', () => {
  const everyChannel = Object.fromEntries(CITIZEN_NOTICE_TYPES.map((t) => [t, ['email', 'sms', 'push']]));

  /** A notice of each type as the workflows journal them, appended to a real case of `c`'s. */
  async function everyNotice(c: Citizen, firstSeq: number) {
    const { number } = await file(stack, c, service.code);
    await settled(number);
    const projection = (await getCase(stack.database.db, number)) as CaseProjection;
    const entries: JournalEntry[] = CITIZEN_NOTICE_TYPES.map((type, i) => ({
      seq: firstSeq + i,
      at: new Date(Date.now() + i).toISOString(),
      type: `test_${type}`,
      actor: { id: 'system', role: 'system' },
      summary: `A ${type} notice`,
      data: { daysLeft: 3, dueAt: '2026-12-20T09:00:00.000Z' },
      notify: [{ recipient: c.id, type, title: `${number}: ${type}` }],
    }));
    return { number, batch: { projection, entries }, seqs: entries.map((e) => e.seq) };
  }

  it('every type reaches every chosen channel exactly once, however often projection and delivery are retried', async () => {
    const lev = await citizen();
    ok(await stack.call(lev, { method: 'PATCH', url: '/me/notification-preferences', payload: { channels: everyChannel } }), 200);
    const { number, batch, seqs } = await everyNotice(lev, 1000);
    const before = (await messagesTo(lev)).length;
    const run = new MockActivityEnvironment();
    await realActivities.projectCase(batch);
    await realActivities.projectCase(batch);
    expect(await run.run(realActivities.deliverNotices, { caseNumber: number, seqs })).toEqual({ sent: 27, failed: 0 });
    expect(await run.run(realActivities.deliverNotices, { caseNumber: number, seqs })).toEqual({ sent: 0, failed: 0 });

    const fresh = (await messagesTo(lev)).slice(before);
    expect(await typed(number, fresh.map((m) => [m.channel, keyType(m)]))).toEqual(
      sorted(CITIZEN_NOTICE_TYPES.flatMap((t) => (['email', 'sms', 'push'] as const).map((c) => [c, t]))),
    );
    for (const m of fresh) {
      expect(m.text).toContain(number);
      expect(m.text).toContain(service.name);
      expect(m.text).toContain('Получено');
      if (m.channel === 'email') expect(m.subject).toMatch(new RegExp(`^${number}: `));
      if (m.channel === 'push') expect(m.subject).toMatch(/^[А-Я]/);
      if (m.channel === 'sms') expect(m.text.length).toBeLessThan(200);
    }
    const reminder = fresh.find((m) => m.channel === 'sms' && /осталось дней/.test(m.text));
    expect(reminder?.text).toContain('осталось дней: 3, срок до 20.12.2026');
  });

  it('a gateway’s 4xx is logged by status, without the address or the text', async () => {
    const mila = await citizen();
    ok(await stack.call(mila, { method: 'PATCH', url: '/me/notification-preferences', payload: { channels: { ...everyChannel, submission_confirmed: ['sms'] } } }), 200);
    const { number, batch, seqs } = await everyNotice(mila, 2000);
    const refusing = await startScriptedGateway(() => 422);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }));
    try {
      const config = { ...stack.config, notifications: { ...stack.config.notifications, sms: { ...stack.config.notifications.sms, url: `${refusing.url}/sms` } } };
      const activities = createActivities({
        db: stack.database.db,
        codeSecret: config.identity.codeSecret,
        registry: createSimulatedRegistry({ latencyMs: 0, failureRate: 0 }),
        verifier: verifierFromConfig(config),
        senders: sendersFromConfig(config),
        supervisors: config.inbox.supervisors,
        deliveryTimeoutMs: config.notifications.timeoutMs,
        results: await resultDocumentsFromConfig(config, stack.database.db),
        logger,
        metrics: new Registry(),
      });
      await activities.projectCase(batch);
      const report = await new MockActivityEnvironment().run(activities.deliverNotices, { caseNumber: number, seqs });
      // Submission by SMS only, the other eight types on all three channels: 9 SMS refused, 16 others sent.
      expect(report).toEqual({ sent: 16, failed: 9 });
      expect(refusing.requests).toBe(9);
      const log = lines.join('');
      expect(log).toMatch(/refused the message for good/);
      expect(log).toContain('"status":422');
      expect(log).not.toContain(mila.phone);
      expect(log).not.toContain(mila.email);
      expect(log).not.toContain(service.name);
      const rejected = (await attemptsOf(number)).filter((a) => a.outcome === 'rejected');
      expect(rejected).toHaveLength(9);
      expect(rejected.every((a) => a.channel === 'sms' && a.provider_status === 422 && a.recipient === mila.phone)).toBe(true);
    } finally {
      await refusing.close();
    }
  });
});
