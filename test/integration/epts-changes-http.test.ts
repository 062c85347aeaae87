/**
 * Signed passport changes over HTTP on the real stack: every change kind, forged and
 * tampered signatures, a revoked certificate, racing approvals, old versions, extract
 * checks; the buyer who never confirms on the time-skipping server.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { accounts } from '../../db/schema';
import { seedDemoVehicles } from '../../db/seed';
import { readReceived } from '../../notifications/sinks/received';
import { DAY, HOUR } from '../support/case-workflows';
import { createTestCa, issueTestCertificate, type TestCa, type TestCertificate } from '../support/certificates';
import { HONDA, LADA, POLO, SOLARIS } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { detail, eventually, get, officially, ok, passportVersion, post, requestChange, signChange, timelineOf } from '../support/http';
import { alice, bob, igor, inna } from '../support/personas';
import { startStack, type Stack } from '../support/stack';
import { createTimeSkippingEnv } from '../support/temporal';

const BOB_EMAIL = 'boris.buyer@example.ru';
const BOB_PHONE = '+79165550101';
const ALICE_EMAIL = 'alisa.owner@example.ru';
const ALICE_PHONE = '+79165550202';
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(1500, 0x20), Buffer.from('\n%%EOF\n')]);

const register = async (stack: Stack, as: Principal, cert: TestCertificate) =>
  ok(await post(stack, as, '/certificates', { certificatePem: cert.pem })).id as string;

/** igor of the traffic police takes the change and decides it. */
async function decide(stack: Stack, number: string, outcome: 'approve' | 'reject' = 'approve') {
  await officially(stack, igor, number, 'claim');
  const reject = outcome === 'reject' ? { reasonCode: 'invalid_documents' } : {};
  await officially(stack, igor, number, 'decide', { outcome, comment: 'Проверено', ...reject });
}

const counts = async (stack: Stack) =>
  (await stack.database.sql`select (select count(*)::int from case_registry where kind = 'epts_change') as cases,
    (select count(*)::int from vehicles where open_change is not null) as open`)[0];

describe('passport changes over HTTP on the dev server', () => {
  let stack: Stack;
  let ca: TestCa;
  let aliceCert: TestCertificate;
  let bobCert: TestCertificate;
  let revokedByCa: TestCertificate;

  beforeAll(async () => {
    ca = await createTestCa();
    aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
    bobCert = await issueTestCertificate(ca, { name: 'Борис', snils: '11223344596', algorithm: 'rsa-pss' });
    revokedByCa = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
    stack = await startStack({ trust: { caPem: ca.pem, revokedSerials: [revokedByCa.serialNumber] } });
    await seedDemoVehicles(stack.database.db);
    await register(stack, alice, aliceCert);
    await register(stack, bob, bobCert);
  });
  afterAll(async () => stack?.close());

  it('changes the plate: a new passport version, the old one readable, an extract anyone can check', async () => {
    const scan = await stack.upload(alice, 'vehicle_document', PDF, 'заявление.pdf');
    const res = await requestChange(stack, alice, LADA, { kind: 'plate', payload: { plate: 'b456ck 77' }, documents: [scan.json().id] }, aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    expect(number).toMatch(/^E-\d{4}-\d{7}$/);
    const filed = await detail(stack, alice, number);
    expect(filed).toMatchObject({ kind: 'epts_change', status: 'submitted', vin: LADA, changeKind: 'plate', payload: { plate: 'b456ck 77' }, basedOnVersion: 1 });
    expect(filed.signedWith).toBe(aliceCert.serialNumber);
    const sa = (await stack.client.workflow.getHandle(`case-${number}`).describe()).typedSearchAttributes;
    expect(sa.get({ name: 'CaseVin', type: 'KEYWORD' })).toBe(LADA);
    expect(sa.get({ name: 'CaseService', type: 'KEYWORD' })).toBe('epts-plate');
    expect(sa.get({ name: 'CaseParties', type: 'KEYWORD_LIST' })).toEqual(['alice']);

    // One open change per vehicle.
    const second = await requestChange(stack, alice, LADA, { kind: 'technical', payload: { technical: { color: 'синий' } } }, aliceCert);
    expect(second.statusCode).toBe(409);
    expect(second.json().openChange).toBe(number);

    const queue = ok(await get(stack, igor, '/queue'));
    expect(queue.items.map((c: { number: string }) => c.number)).toContain(number);
    await decide(stack, number);
    const done = await eventually(stack, alice, number, 'completed');
    expect(done.result).toMatchObject({ version: 2, extractCode: expect.any(String) });
    expect(done.result.verify).toBe(`/extracts/${done.result.extractCode}/verify`);

    const now = ok(await get(stack, alice, `/vehicles/${LADA}`));
    expect(now).toMatchObject({ version: 2, currentVersion: 2, caseNumber: number, passport: { plate: 'В456СК77' } });
    expect(now.passport.registrations.at(-1)).toMatchObject({ plate: 'В456СК77', caseNumber: number });
    const old = ok(await get(stack, alice, `/vehicles/${LADA}/versions/1`));
    expect(old).toMatchObject({ version: 1, currentVersion: 2, passport: { plate: 'А123ВС77' } });

    const genuine = await get(stack, undefined, done.result.verify);
    expect(genuine.statusCode).toBe(200);
    expect(genuine.json()).toMatchObject({ genuine: true, vin: LADA, version: 2 });
    const fake = await get(stack, undefined, '/extracts/ABCD-EFGH-JKMN/verify');
    expect(fake.statusCode).toBe(404);

    // The vehicle is free for the next change (a VIN typed in lower case is the same vehicle).
    const next = await requestChange(stack, alice, LADA.toLowerCase(), { kind: 'technical', payload: { technical: { color: 'синий', enginePowerKw: 60 } } }, aliceCert);
    expect(next.statusCode, next.body).toBe(201);
    await decide(stack, next.json().number);
    await eventually(stack, alice, next.json().number, 'completed');
    expect(ok(await get(stack, alice, `/vehicles/${LADA}`)).passport.technical).toMatchObject({ color: 'синий', enginePowerKw: 60 });
  });

  it('sells with both parties: the buyer confirms with a signature of their own, the car moves at once', async () => {
    const change = { kind: 'sale', payload: { buyerId: bob.id, contractDate: '2026-11-20' } };
    const res = await requestChange(stack, alice, SOLARIS, change, aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    const filed = await detail(stack, bob, number);
    expect(filed).toMatchObject({ status: 'awaiting_buyer', buyer: { id: bob.id, confirmedAt: null } });
    // The review waits for the buyer.
    expect((await post(stack, igor, `/cases/${number}/claim`, { version: filed.version })).statusCode).toBe(409);
    // The seller cannot confirm for the buyer; a signature over anything else is refused.
    const sellerSig = await signChange(stack, alice, SOLARIS, change, 1, aliceCert);
    expect((await post(stack, alice, `/cases/${number}/confirm-sale`, { signature: sellerSig })).statusCode).toBe(403);
    const wrong = await post(stack, bob, `/cases/${number}/confirm-sale`, { signature: (await bobCert.sign(Buffer.from('something else'))).toString('base64') });
    expect(wrong.statusCode).toBe(422);

    // The buyer signs the seller's request as it stands (its signing form, read from the seller's side).
    const form = ok(await post(stack, alice, `/vehicles/${SOLARIS}/signing-form`, { ...change, basedOnVersion: 1 }));
    const confirmed = await post(stack, bob, `/cases/${number}/confirm-sale`, { signature: (await bobCert.sign(Buffer.from(form.base64, 'base64'))).toString('base64') });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json().status).toBe('submitted');
    await decide(stack, number);
    await eventually(stack, alice, number, 'completed');
    expect(ok(await get(stack, bob, '/vehicles')).items.map((v: { vin: string }) => v.vin)).toContain(SOLARIS);
    expect(ok(await get(stack, alice, '/vehicles')).items.map((v: { vin: string }) => v.vin)).not.toContain(SOLARIS);
    expect((await get(stack, alice, `/vehicles/${SOLARIS}`)).statusCode).toBe(404);
    const passport = ok(await get(stack, bob, `/vehicles/${SOLARIS}`)).passport;
    expect(passport.owners.at(-1)).toMatchObject({ ownerId: bob.id, caseNumber: number });
    expect(passport.owners.at(-2)).toMatchObject({ ownerId: alice.id, to: expect.any(String) });
    await recordHistory(stack.client, number, 'epts-sale-completed');
  });

  it('asks the owner for more, takes the answer, and lets the owner withdraw before the decision', async () => {
    const res = await requestChange(stack, alice, LADA, { kind: 'technical', payload: { technical: { bodyType: 'универсал' } } }, aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    await officially(stack, igor, number, 'claim');
    await officially(stack, igor, number, 'request-info', { message: 'Приложите заключение о переоборудовании' });
    expect(await detail(stack, alice, number)).toMatchObject({ status: 'awaiting_info', infoRequest: { message: 'Приложите заключение о переоборудовании' } });
    const scan = await stack.upload(alice, 'certificate', PDF, 'заключение.pdf');
    ok(await post(stack, alice, `/cases/${number}/answer`, { comment: 'Прилагаю', documents: [scan.json().id] }));
    expect((await detail(stack, igor, number)).status).toBe('in_review');
    // Only the owner withdraws.
    expect((await post(stack, bob, `/cases/${number}/withdraw`, {})).statusCode).toBe(404);
    const withdrawn = ok(await post(stack, alice, `/cases/${number}/withdraw`, {}));
    expect(withdrawn.status).toBe('withdrawn');
    // The workflow frees the vehicle as it ends.
    const openChange = async () => (await stack.database.sql`select open_change from vehicles where vin = ${LADA}`)[0]!.open_change;
    await expect.poll(openChange, { timeout: 10_000 }).toBeNull();
    expect(ok(await get(stack, alice, `/vehicles/${LADA}`)).passport.technical.bodyType).not.toBe('универсал');
  });

  it('refuses forged and tampered requests and a revoked certificate, storing nothing', async () => {
    const before = await counts(stack);
    const change = { kind: 'plate', payload: { plate: 'М002ОР78' } };
    const basedOnVersion = await passportVersion(stack, bob, HONDA);

    // Forged: signed with a key that is not the owner's registered certificate.
    const forger = await issueTestCertificate(ca, { name: 'Злоумышленник', snils: '11223344597' });
    const forged = await post(stack, bob, `/vehicles/${HONDA}/changes`, { ...change, basedOnVersion, signature: await signChange(stack, bob, HONDA, change, basedOnVersion, forger) });
    expect(forged.statusCode).toBe(422);
    expect(forged.headers['content-type']).toContain('application/problem+json');
    expect(forged.json().detail).toContain('changed after signing or signed with another key');

    // Tampered: signed for one plate, sent with another.
    const signature = await signChange(stack, bob, HONDA, change, basedOnVersion, bobCert);
    const tampered = await post(stack, bob, `/vehicles/${HONDA}/changes`, { ...change, payload: { plate: 'М003ОР78' }, basedOnVersion, signature });
    expect(tampered.statusCode).toBe(422);
    expect(tampered.json().detail).toContain('changed after signing');

    // Revoked by its authority, then registered anyway? Registration refuses it already.
    expect((await post(stack, alice, '/certificates', { certificatePem: revokedByCa.pem })).statusCode).toBe(422);
    // Revoked by the owner: the request it signs is refused with the date.
    const spare = await issueTestCertificate(ca, { name: 'Борис', snils: '11223344596' });
    const spareId = await register(stack, bob, spare);
    ok(await post(stack, bob, `/certificates/${spareId}/revoke`));
    const revoked = await post(stack, bob, `/vehicles/${HONDA}/changes`, {
      ...change,
      basedOnVersion,
      certificateId: spareId,
      signature: await signChange(stack, bob, HONDA, change, basedOnVersion, spare),
    });
    expect(revoked.statusCode).toBe(422);
    expect(revoked.json().detail).toMatch(/revoked on \d{4}-\d{2}-\d{2}/);

    // A stale base version, someone else's car (as if there were none), an annulled passport, a bad plate.
    expect((await post(stack, bob, `/vehicles/${HONDA}/changes`, { ...change, basedOnVersion: basedOnVersion + 1, signature })).statusCode).toBe(409);
    expect((await post(stack, alice, `/vehicles/${HONDA}/changes`, { ...change, basedOnVersion, signature })).statusCode).toBe(404);
    const annulled = await post(stack, bob, `/vehicles/${POLO}/changes`, { ...change, basedOnVersion: 1, signature });
    expect(annulled.statusCode).toBe(409);
    expect(annulled.json().detail).toContain('annulled');
    const badPlate = await post(stack, bob, `/vehicles/${HONDA}/changes`, { kind: 'plate', payload: { plate: 'ZZZ' }, basedOnVersion, signature });
    expect(badPlate.statusCode).toBe(400);
    expect(badPlate.json().errors[0].path).toBe('/body/payload/plate');

    expect(await counts(stack)).toEqual(before);
  });

  it('lets exactly one of two racing approvals through, then annuls the passport for good', async () => {
    const res = await requestChange(stack, bob, HONDA, { kind: 'annulment', payload: { reason: 'disposal' } }, bobCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    await officially(stack, igor, number, 'claim');
    const v = (await detail(stack, igor, number)).version;
    const [a, b] = await Promise.all([
      post(stack, igor, `/cases/${number}/decide`, { version: v, outcome: 'approve', comment: 'раз' }),
      post(stack, igor, `/cases/${number}/decide`, { version: v, outcome: 'approve', comment: 'два' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    // A second reviewer cannot slip in either.
    expect((await post(stack, inna, `/cases/${number}/decide`, { version: v, outcome: 'reject', reasonCode: 'other', comment: 'нет' })).statusCode).toBe(409);
    const done = await eventually(stack, bob, number, 'completed');
    expect(done.result.version).toBe(2);
    const versions = await stack.database.sql`select version from passport_versions where vin = ${HONDA} order by version`;
    expect(versions.map((r) => r.version)).toEqual([1, 2]);
    const passport = ok(await get(stack, bob, `/vehicles/${HONDA}`)).passport;
    expect(passport).toMatchObject({ status: 'annulled', plate: null, annulment: { reason: 'disposal', caseNumber: number } });
    const after = await requestChange(stack, bob, HONDA, { kind: 'plate', payload: { plate: 'М009ОР78' } }, bobCert);
    expect(after.statusCode).toBe(409);
  });
});

describe('passport changes over HTTP on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let ca: TestCa;
  let aliceCert: TestCertificate;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    ca = await createTestCa();
    aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
    stack = await startStack({ timeSkipping: env, trust: { caPem: ca.pem } });
    await seedDemoVehicles(stack.database.db);
    await register(stack, alice, aliceCert);
    // The buyer has an account here, so the sale's notices leave by mail, SMS and push.
    await stack.database.db.insert(accounts).values({ id: bob.id, name: 'Борис Покупателев', email: BOB_EMAIL, phone: BOB_PHONE, passwordHash: 'x', status: 'active', level: 'confirmed' });
  });

  /** What the sinks received for `who` about case `number`, as type/channel, once `count` arrived. */
  async function noticesOf(number: string, addresses: string[], count: number) {
    const received = async () =>
      (await readReceived(stack.config.notifications.sinks.dir)).filter((m) => addresses.includes(m.to) && m.idempotencyKey?.startsWith(`${number}:`));
    await expect.poll(async () => (await received()).length, { timeout: 15_000 }).toBe(count);
    const types = new Map((await stack.database.sql`select message_key, type from outbox where case_number = ${number}`).map((r) => [`${number}:${r.message_key}`, r.type]));
    return (await received()).map((m) => ({ type: types.get(m.idempotencyKey!), channel: m.channel, text: m.text, key: m.idempotencyKey }));
  }
  afterAll(async () => {
    await stack?.close();
    await env?.teardown();
  });

  it('lets a sale lapse when the buyer never confirms, and frees the vehicle', async () => {
    const res = await requestChange(stack, alice, SOLARIS, { kind: 'sale', payload: { buyerId: bob.id, contractDate: '2026-11-20' } }, aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    expect((await detail(stack, bob, number)).status).toBe('awaiting_buyer');
    await env.sleep(stack.config.epts.buyerConfirmDays * DAY + 60_000);
    const lapsed = await eventually(stack, alice, number, 'lapsed');
    expect(lapsed).toMatchObject({ statusLabel: 'Покупатель не подтвердил', closedAt: expect.any(String) });
    const timeline = (await timelineOf(stack, alice, number)).map((e: { type: string }) => e.type);
    expect(timeline).toEqual(expect.arrayContaining(['buyer_confirmation_requested', 'reminder_sent', 'lapsed']));
    // The buyer was told on every default channel, and reminded 3 and 1 days before the
    // deadline, each once: the sinks really received them.
    const received = await noticesOf(number, [bob.id, BOB_EMAIL, BOB_PHONE], 9);
    const pairs = received.map((m) => `${m.type}/${m.channel}`).sort();
    expect(pairs).toEqual(['deadline_approaching/email', 'deadline_approaching/email', 'deadline_approaching/push', 'deadline_approaching/push', 'deadline_approaching/sms', 'deadline_approaching/sms', 'sale_awaiting_buyer/email', 'sale_awaiting_buyer/push', 'sale_awaiting_buyer/sms']);
    const texts = received.filter((m) => m.channel === 'sms').map((m) => m.text);
    expect(texts.some((t) => t.includes('подтвердите покупку до'))).toBe(true);
    expect(texts.filter((t) => /осталось дней: 3, срок до/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /осталось дней: 1, срок до/.test(t))).toHaveLength(1);
    expect(new Set(received.map((m) => m.key)).size).toBe(9);
    // The car is still Alice's and takes a new request.
    const again = await requestChange(stack, alice, SOLARIS, { kind: 'technical', payload: { technical: { color: 'белый' } } }, aliceCert);
    expect(again.statusCode, again.body).toBe(201);
    await recordHistory(stack.client, number, 'epts-sale-lapsed');
  });

  it('reminds the owner of an information request 3 and 1 days before its deadline, on every default channel, each once', async () => {
    await stack.database.db.insert(accounts).values({ id: alice.id, name: 'Алиса Иванова', email: ALICE_EMAIL, phone: ALICE_PHONE, passwordHash: 'x', status: 'active', level: 'confirmed' });
    const res = await requestChange(stack, alice, LADA, { kind: 'technical', payload: { technical: { color: 'синий' } } }, aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    await officially(stack, igor, number, 'claim');
    await officially(stack, igor, number, 'request-info', { message: 'Приложите фото автомобиля', dueDays: 10 });
    // Past both reminders (days 7 and 9), before the deadline (day 10).
    await env.sleep(9 * DAY + 12 * HOUR);
    // Filed and in review by e-mail and push (2 × 2), the request everywhere (3), two reminders everywhere (6).
    const received = await noticesOf(number, [alice.id, ALICE_EMAIL, ALICE_PHONE], 13);
    const reminders = received.filter((m) => m.type === 'deadline_approaching');
    expect(reminders.map((m) => m.channel).sort()).toEqual(['email', 'email', 'push', 'push', 'sms', 'sms']);
    const texts = reminders.filter((m) => m.channel === 'sms').map((m) => m.text);
    expect(texts.filter((t) => t.includes('осталось дней: 3, срок до'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('осталось дней: 1, срок до'))).toHaveLength(1);
    expect(received.filter((m) => m.type === 'documents_requested').map((m) => m.channel).sort()).toEqual(['email', 'push', 'sms']);
    expect(new Set(received.map((m) => m.key)).size).toBe(13);
  });
});
