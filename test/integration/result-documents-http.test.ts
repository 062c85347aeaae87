/**
 * Result documents over HTTP on the real stack: the signed PDF of an approval read back
 * (text, QR), its download and signature, public verification by code, QR and bytes, a
 * re-decision after an appeal superseding the old document, in-person appointments and
 * passport extracts. Every issuing activity in this file runs twice, as a retry after a
 * lost answer would: each round still has one document.
 */
import { createPublicKey, verify } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateToDay, isWorkingDay } from '../../core/deadline-clock';
import { printedDate, printedDay } from '../../core/result-document';
import { accounts } from '../../db/schema';
import { getCalendar } from '../../db/queries/catalogue';
import { seedDemoVehicles } from '../../db/seed';
import { createTestCa, issueTestCertificate, type TestCertificate } from '../support/certificates';
import { LADA } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { detail, eventually, file, get, officially, ok, post, requestChange } from '../support/http';
import { alice, bob, erik, fedor, igor, rita, rob } from '../support/personas';
import { readResultPdf } from '../support/result-pdf';
import { readReceived } from '../../notifications/sinks/received';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
let aliceCert: TestCertificate;
const electronic = testService({ name: 'Справка об отсутствии судимости (тест)' });
const inPerson = testService({ name: 'Выдача удостоверения (тест)', resultType: 'in_person_pickup' });
const ALICE_NAME = 'Иванова Алиса Петровна';

beforeAll(async () => {
  const ca = await createTestCa();
  aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
  stack = await startStack({
    trust: { caPem: ca.pem },
    wrapActivities: (real) => ({
      ...real,
      issueApplicationResult: async (req) => (await real.issueApplicationResult(req), real.issueApplicationResult(req)),
      applyPassportChange: async (req) => (await real.applyPassportChange(req), real.applyPassportChange(req)),
    }),
  });
  for (const s of [electronic, inPerson]) await stack.addService(s);
  await stack.database.db.insert(accounts).values({ id: alice.id, name: ALICE_NAME, phone: '+79990001122', passwordHash: 'x', status: 'active', level: 'confirmed' });
  await seedDemoVehicles(stack.database.db);
  ok(await post(stack, alice, '/certificates', { certificatePem: aliceCert.pem }));
});
afterAll(async () => stack?.close());

async function approved(serviceCode: string, reviewer = rita): Promise<string> {
  const { number } = await file(stack, alice, serviceCode);
  await officially(stack, reviewer, number, 'claim');
  await officially(stack, reviewer, number, 'decide', { outcome: 'approve', comment: 'Основания есть' });
  await eventually(stack, alice, number, 'completed');
  return number;
}

async function download(number: string) {
  const res = await get(stack, alice, `/cases/${number}/result`);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  return res.rawPayload;
}

const verifyPath = (url: string) => url.slice(stack.config.results.verifyBaseUrl.length);
const verifyBytes = (bytes: Buffer) => stack.call(undefined, { method: 'POST', url: '/results/verify', payload: bytes, headers: { 'content-type': 'application/pdf' } });
/** The notices of a case that reached alice (push only: she has no e-mail here), by type, once they all arrived. */
async function noticesToAlice(number: string, expected: number): Promise<string[]> {
  const received = async () => (await readReceived(stack.config.notifications.sinks.dir, { to: alice.id })).filter((m) => m.idempotencyKey?.startsWith(`${number}:`));
  await expect.poll(async () => (await received()).length, { timeout: 15_000 }).toBe(expected);
  const types = new Map((await stack.database.sql`select message_key, type from outbox where case_number = ${number}`).map((r) => [`${number}:${r.message_key}`, r.type as string]));
  return (await received()).map((m) => `${m.channel}/${types.get(m.idempotencyKey!)}`).sort();
}
const documentsOf = async (number: string) => stack.database.sql`select code, sha256 from issued_documents where case_number = ${number}`;

describe('result documents over HTTP', () => {
  it('an approval issues a signed PDF in Russian that anyone can check by its QR code, its code or its bytes', async () => {
    const number = await approved(electronic.code);
    const d = await detail(stack, alice, number);
    const code = d.result.verificationCode as string;
    expect(d.links).toMatchObject({ result: `/cases/${number}/result`, resultSignature: `/cases/${number}/result/signature` });
    expect(d.result.sha256).toMatch(/^[0-9a-f]{64}$/);

    const pdf = await download(number);
    const { text, qr } = await readResultPdf(pdf);
    for (const printed of [number, electronic.name, ALICE_NAME, 'Заявление одобрено', printedDate(d.decision.decidedAt), 'Министерство внутренних дел Российской Федерации', code]) {
      expect(text).toContain(printed);
    }
    expect(qr).toBe(`${stack.config.results.verifyBaseUrl}/results/${code}/verify`);

    // The QR's address answers without a sign-in, with what the document prints.
    const checked = ok(await get(stack, undefined, verifyPath(qr!)), 200);
    expect(checked).toMatchObject({ standing: 'genuine', code, kind: 'application_result', sha256: d.result.sha256, revokedAt: null, supersededAt: null });
    expect(checked.printed).toEqual(expect.arrayContaining([{ label: 'Заявитель', value: ALICE_NAME }, { label: 'Номер заявления', value: number }]));
    expect(ok(await get(stack, undefined, `/results/${code.toLowerCase()}/verify`)).standing).toBe('genuine');
    const forged = await get(stack, undefined, '/results/ABCD-EFGH-JKMN/verify');
    expect(forged.statusCode).toBe(404);
    expect(forged.headers['content-type']).toContain('application/problem+json');

    // The bytes: the real copy is registered, one altered byte makes a forgery.
    expect(ok(await verifyBytes(pdf), 200)).toMatchObject({ registered: true, standing: 'genuine', code });
    const altered = Buffer.from(pdf);
    altered.writeUInt8(altered.readUInt8(altered.length - 20) ^ 1, altered.length - 20);
    expect(ok(await verifyBytes(altered), 200)).toMatchObject({ registered: false });
    expect((await verifyBytes(Buffer.from('not a pdf at all'))).statusCode).toBe(400);

    // Offline: the detached signature verifies with the published key, and not over other bytes.
    const keyRes = await get(stack, undefined, '/results/signing-key');
    expect(keyRes.headers['content-type']).toContain('application/x-pem-file');
    const key = createPublicKey(keyRes.body);
    const sigRes = await get(stack, alice, `/cases/${number}/result/signature`);
    expect(sigRes.statusCode).toBe(200);
    expect(verify('sha256', pdf, key, sigRes.rawPayload)).toBe(true);
    expect(verify('sha256', altered, key, sigRes.rawPayload)).toBe(false);
    expect(Buffer.from(checked.signature, 'base64')).toEqual(sigRes.rawPayload);

    // The applicant and the agency's officials download it; nobody else sees the case.
    expect((await get(stack, rob, `/cases/${number}/result`)).statusCode).toBe(200);
    expect((await get(stack, bob, `/cases/${number}/result`)).statusCode).toBe(404);
    expect((await get(stack, fedor, `/cases/${number}/result`)).statusCode).toBe(404);
    expect((await get(stack, undefined, `/cases/${number}/result`)).statusCode).toBe(401);

    // Issued twice (the retry): one document, stored once.
    const rows = await documentsOf(number);
    expect(rows).toHaveLength(1);
    const stored = await readdir(path.join(stack.config.documents.dir, rows[0]!.sha256.slice(0, 2), rows[0]!.sha256.slice(2, 4)));
    expect(stored).toEqual([rows[0]!.sha256]);
    // The applicant is told the result is ready once, although it was issued twice.
    // (Status changes: in review, approved.)
    expect(await noticesToAlice(number, 4)).toEqual(['push/result_issued', 'push/status_changed', 'push/status_changed', 'push/submission_confirmed']);
  });

  it('a case decided again after an appeal supersedes its document; the overturned one is revoked meanwhile', async () => {
    const number = await approved(electronic.code);
    const first = await detail(stack, alice, number);
    const oldCode = first.result.verificationCode as string;
    const oldPdf = await download(number);

    const filed = await post(stack, alice, `/cases/${number}/appeals`, { ground: 'wrong_service', reasons: 'Оказана не та услуга, что была запрошена' });
    expect(filed.statusCode, filed.body).toBe(201);
    const appealNumber = filed.json().number as string;
    await officially(stack, erik, appealNumber, 'claim');
    await officially(stack, erik, appealNumber, 'appeal-decision', { outcome: 'upheld', reasons: 'Услуга определена неверно', remedy: 'reopen' });
    const reopened = await eventually(stack, alice, number, 'reopened');
    expect(reopened.result).toBeNull();
    expect(reopened.links.result).toBeUndefined();
    expect((await get(stack, alice, `/cases/${number}/result`)).statusCode).toBe(404);
    expect(ok(await get(stack, undefined, `/results/${oldCode}/verify`))).toMatchObject({ standing: 'revoked', revokedAt: expect.any(String) });

    await officially(stack, rob, number, 'claim');
    await officially(stack, rob, number, 'decide', { outcome: 'approve', comment: 'Одобрено после жалобы' });
    const done = await eventually(stack, alice, number, 'completed');
    const newCode = done.result.verificationCode as string;
    expect(newCode).not.toBe(oldCode);

    const old = ok(await get(stack, undefined, `/results/${oldCode}/verify`));
    expect(old).toMatchObject({ standing: 'superseded', supersededAt: expect.any(String) });
    // Only what the old document printed: not the code of the new one.
    expect(JSON.stringify(old)).not.toContain(newCode);
    expect(ok(await verifyBytes(oldPdf))).toMatchObject({ registered: true, standing: 'superseded', code: oldCode });
    expect(ok(await get(stack, undefined, `/results/${newCode}/verify`)).standing).toBe('genuine');
    const { text } = await readResultPdf(await download(number));
    expect(text).toContain(newCode);
    expect(text).toContain(printedDate(done.decision.decidedAt));
    expect(await documentsOf(number)).toHaveLength(2);
    await recordHistory(stack.client, number, 'application-result-revoked-then-superseded');
  });

  it('a result collected in person carries an appointment a few working days out instead of a PDF', async () => {
    const number = await approved(inPerson.code);
    const d = await detail(stack, alice, number);
    expect(d.result).toMatchObject({ resultType: 'in_person_pickup', sha256: null, appointment: { office: stack.config.results.pickupOffice, time: '10:00' } });
    const day = dateToDay(d.result.appointment.date);
    expect(isWorkingDay(day, await getCalendar(stack.database.db))).toBe(true);
    expect(day).toBeGreaterThan(dateToDay(d.decision.decidedAt.slice(0, 10)) + 2);
    expect(d.links.result).toBeUndefined();
    const none = await get(stack, alice, `/cases/${number}/result`);
    expect(none.statusCode).toBe(404);
    expect(none.json().detail).toContain('collected in person');
    const checked = ok(await get(stack, undefined, `/results/${d.result.verificationCode}/verify`));
    expect(checked).toMatchObject({ standing: 'genuine', sha256: null, signature: null });
    expect(checked.printed).toEqual(expect.arrayContaining([{ label: 'Место получения', value: stack.config.results.pickupOffice }]));
    // The notice says where and when to come, not that there is something to download.
    await noticesToAlice(number, 4);
    const [ready] = (await readReceived(stack.config.notifications.sinks.dir, { to: alice.id })).filter((m) => m.idempotencyKey?.startsWith(`${number}:`) && /^Результат/.test(m.subject ?? ''));
    expect(ready?.subject).toBe(`Результат готов к получению ${printedDay(d.result.appointment.date)}`);
  });

  it('an approved passport change gets its extract as a signed PDF, checked by the same machinery', async () => {
    const res = await requestChange(stack, alice, LADA, { kind: 'plate', payload: { plate: 'м777мм 77' } }, aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    await officially(stack, igor, number, 'claim');
    await officially(stack, igor, number, 'decide', { outcome: 'approve', comment: 'Проверено' });
    const done = await eventually(stack, alice, number, 'completed');
    const code = done.result.extractCode as string;
    expect(done.links.result).toBe(`/cases/${number}/result`);

    const pdf = await download(number);
    const { text, qr } = await readResultPdf(pdf);
    for (const printed of [LADA, 'М777ММ77', ALICE_NAME, 'регистрационный знак', 'Госавтоинспекция МВД России', code]) expect(text).toContain(printed);
    expect(qr).toBe(`${stack.config.results.verifyBaseUrl}/results/${code}/verify`);
    expect(ok(await get(stack, undefined, verifyPath(qr!)))).toMatchObject({ standing: 'genuine', kind: 'passport_extract' });
    expect(ok(await verifyBytes(pdf))).toMatchObject({ registered: true, code });
    // The extract's own check still answers for its code.
    expect(ok(await get(stack, undefined, `/extracts/${code}/verify`))).toMatchObject({ genuine: true, vin: LADA });
    const sig = (await get(stack, igor, `/cases/${number}/result/signature`)).rawPayload;
    expect(verify('sha256', pdf, createPublicKey((await get(stack, undefined, '/results/signing-key')).body), sig)).toBe(true);
    expect(await documentsOf(number)).toHaveLength(1);
    // The owner is told of the filing and of the extract, each once.
    // (Status changes: in review, approved.)
    expect(await noticesToAlice(number, 4)).toEqual(['push/result_issued', 'push/status_changed', 'push/status_changed', 'push/submission_confirmed']);
  });
});
