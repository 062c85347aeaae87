import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { applyChange, canonicalChangeRequest, type ChangeRequest } from '../../core/vehicle';
import {
  applyPassportVersion,
  getCertificate,
  getPassport,
  issueExtract,
  PassportWriteError,
  revokeCertificate,
} from '../../db/queries/vehicles';
import { accounts } from '../../db/schema';
import { seedDemoVehicles } from '../../db/seed';
import { createTrust } from '../../signatures/trust';
import { createX509Verifier } from '../../signatures/verifier';
import { checkChangeSignature } from '../../vehicles/change-signature';
import { createTestCa, issueTestCertificate, type TestCa, type TestCertificate } from '../support/certificates';
import { HONDA, LADA, POLO, SOLARIS } from '../support/fixtures';
import { get, post } from '../support/http';
import { alice, bob, dora, igor, rita } from '../support/personas';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let ca: TestCa;
let rogueCa: TestCa;
let aliceCert: TestCertificate;
let revokedByCa: TestCertificate;
const caRevocations = new Set<string>();

beforeAll(async () => {
  ca = await createTestCa();
  rogueCa = await createTestCa('Rogue CA');
  aliceCert = await issueTestCertificate(ca, { name: 'Алиса Смирнова', snils: '11223344595' });
  revokedByCa = await issueTestCertificate(ca, { name: 'Алиса Смирнова', snils: '11223344595' });
  // The API trusts the authorities of its configuration, as in production.
  stack = await startStack({ trust: { caPem: ca.pem, revokedSerials: [revokedByCa.serialNumber.toUpperCase()] } });
  await seedDemoVehicles(stack.database.db);
});
afterAll(async () => stack?.close());

const registerCert = (as: Principal, certificatePem: string) => post(stack, as, '/certificates', { certificatePem });

const passportOf = async (vin: string) => (await getPassport(stack.database.db, vin))!;
const writeError = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PassportWriteError);
  return err as PassportWriteError;
};

describe('owners and their vehicles', () => {
  it('lists only my own vehicles, annulled ones included', async () => {
    const mine = await get(stack, alice, '/vehicles');
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().items).toEqual([
      { vin: LADA, make: 'LADA', model: '2109', year: 2000, plate: 'А123ВС77', status: 'active', version: 1 },
      { vin: SOLARIS, make: 'HYUNDAI', model: 'SOLARIS', year: 2015, plate: 'Е777КХ199', status: 'active', version: 1 },
    ]);
    expect((await get(stack, bob, '/vehicles')).json().items.map((v: { vin: string; status: string }) => [v.vin, v.status])).toEqual([
      [HONDA, 'active'],
      [POLO, 'annulled'],
    ]);
    expect((await get(stack, dora, '/vehicles')).json()).toEqual({ items: [] });
    expect((await get(stack, undefined, '/vehicles')).statusCode).toBe(401);
    expect((await get(stack, igor, '/vehicles')).statusCode).toBe(403);
  });

  it('shows the current passport with its whole history to the owner, the traffic police and no one else', async () => {
    const res = await get(stack, alice, `/vehicles/${LADA.toLowerCase()}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ vin: LADA, version: 1, currentVersion: 1, caseNumber: null, passport: { ownerId: 'alice', plate: 'А123ВС77' } });
    expect(res.json().passport.owners).toHaveLength(2);
    expect(res.json().passport.insurance).toHaveLength(2);
    expect(res.json().passport.inspections).toEqual([{ date: '2025-04-11', validUntil: '2027-04-11', result: 'passed', mileageKm: 214500 }]);
    expect((await get(stack, igor, `/vehicles/${LADA}`)).statusCode).toBe(200);
    expect((await get(stack, bob, `/vehicles/${LADA}`)).statusCode).toBe(404);
    expect((await get(stack, rita, `/vehicles/${LADA}`)).statusCode).toBe(404);
    expect((await get(stack, alice, '/vehicles/1HGCM82633A004353')).statusCode).toBe(404);
  });

  it('answers a malformed VIN or version with 400 and the path', async () => {
    const bad = await get(stack, alice, '/vehicles/XTA2109I0Y2766389');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: '/params/vin' })]);
    const version = await get(stack, alice, `/vehicles/${LADA}/versions/0`);
    expect(version.statusCode).toBe(400);
    expect(version.json().errors).toEqual([expect.objectContaining({ path: '/params/version' })]);
    expect((await get(stack, alice, `/vehicles/${LADA}/versions/99999999999`)).statusCode).toBe(400);
  });
});

it('describes the vehicle routes in the OpenAPI document, the extract check without security', async () => {
  const spec = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json();
  for (const p of ['/vehicles', '/vehicles/{vin}', '/vehicles/{vin}/versions', '/vehicles/{vin}/versions/{version}', '/certificates', '/certificates/{id}/revoke', '/extracts/{code}/verify']) {
    expect(Object.keys(spec.paths)).toContain(p);
  }
  expect(spec.paths['/certificates'].post.responses).toHaveProperty('422');
  expect(spec.paths['/extracts/{code}/verify'].get.security).toBeUndefined();
});

describe('passport versions', () => {
  it('keeps every earlier version readable after a change', async () => {
    const v1 = await passportOf(SOLARIS);
    const next = applyChange(v1.data, { kind: 'plate', payload: { plate: 'o555oo77' } }, '2026-05-04T10:00:00.000Z', 'E-2026-0000101');
    expect(await applyPassportVersion(stack.database.db, { vin: SOLARIS, expectedVersion: 1, data: next, caseNumber: 'E-2026-0000101' })).toEqual({ version: 2 });

    const current = await get(stack, alice, `/vehicles/${SOLARIS}`);
    expect(current.json()).toMatchObject({ version: 2, currentVersion: 2, caseNumber: 'E-2026-0000101', passport: { plate: 'О555ОО77' } });
    const old = await get(stack, alice, `/vehicles/${SOLARIS}/versions/1`);
    expect(old.statusCode).toBe(200);
    expect(old.json()).toMatchObject({ version: 1, currentVersion: 2, caseNumber: null, passport: { plate: 'Е777КХ199' } });
    expect(old.json().passport).toEqual(v1.data);
    expect((await get(stack, alice, `/vehicles/${SOLARIS}/versions/3`)).statusCode).toBe(404);
    const versions = (await get(stack, alice, `/vehicles/${SOLARIS}/versions`)).json().items;
    expect(versions.map((v: { version: number; caseNumber: string | null }) => [v.version, v.caseNumber])).toEqual([
      [1, null],
      [2, 'E-2026-0000101'],
    ]);
    expect((await get(stack, alice, '/vehicles')).json().items.find((v: { vin: string }) => v.vin === SOLARIS)).toMatchObject({ plate: 'О555ОО77', version: 2 });
  });

  it('lets exactly one of several approvals based on the same version apply', async () => {
    const base = await passportOf(HONDA);
    const attempts = ['красный', 'синий', 'зелёный', 'жёлтый'].map((color, i) =>
      applyPassportVersion(stack.database.db, {
        vin: HONDA,
        expectedVersion: base.version,
        data: applyChange(base.data, { kind: 'technical', payload: { technical: { color } } }, new Date().toISOString(), `E-2026-000020${i}`),
        caseNumber: `E-2026-000020${i}`,
      }),
    );
    const settled = await Promise.allSettled(attempts);
    expect(settled.filter((s) => s.status === 'fulfilled')).toEqual([{ status: 'fulfilled', value: { version: base.version + 1 } }]);
    for (const lost of settled.filter((s) => s.status === 'rejected')) {
      expect(lost.reason).toBeInstanceOf(PassportWriteError);
      expect(lost.reason).toMatchObject({ code: 'stale_version', currentVersion: base.version + 1 });
    }
    const [row] = await stack.database.sql`select count(*)::int as n from passport_versions where vin = ${HONDA}`;
    expect(row?.n).toBe(2);
  });

  it('repeats a write that already succeeded for the same case, and refuses a stale one', async () => {
    const { version, data } = await passportOf(HONDA);
    const winner = (await stack.database.sql`select case_number from passport_versions where vin = ${HONDA} and version = ${version}`)[0]!;
    const retry = { vin: HONDA, expectedVersion: version - 1, data, caseNumber: winner.case_number as string };
    expect(await applyPassportVersion(stack.database.db, retry)).toEqual({ version });
    expect(await writeError(applyPassportVersion(stack.database.db, { ...retry, caseNumber: 'E-2026-0000299' }))).toMatchObject({
      code: 'stale_version',
      currentVersion: version,
    });
  });

  it('refuses changes to an annulled passport, to an unknown vehicle, and data of another VIN', async () => {
    const polo = await passportOf(POLO);
    const db = stack.database.db;
    expect(await writeError(applyPassportVersion(db, { vin: POLO, expectedVersion: 1, data: polo.data, caseNumber: 'E-2026-0000301' }))).toMatchObject({ code: 'annulled' });
    expect(await writeError(applyPassportVersion(db, { vin: '1M8GDM9AXKP042788', expectedVersion: 1, data: { ...polo.data, vin: '1M8GDM9AXKP042788' }, caseNumber: 'E-2026-0000302' }))).toMatchObject({
      code: 'vehicle_not_found',
    });
    expect(await writeError(applyPassportVersion(db, { vin: LADA, expectedVersion: 1, data: polo.data, caseNumber: 'E-2026-0000303' }))).toMatchObject({ code: 'vin_mismatch' });
    expect((await passportOf(POLO)).version).toBe(1);
  });

  it('moves a sold vehicle to the buyer: the seller no longer sees it', async () => {
    const lada = await passportOf(LADA);
    const sold = applyChange(lada.data, { kind: 'sale', payload: { buyerId: 'dora', contractDate: '2026-05-01' } }, new Date().toISOString(), 'E-2026-0000401');
    await applyPassportVersion(stack.database.db, { vin: LADA, expectedVersion: 1, data: sold, caseNumber: 'E-2026-0000401' });
    expect((await get(stack, dora, '/vehicles')).json().items.map((v: { vin: string }) => v.vin)).toEqual([LADA]);
    expect((await get(stack, alice, '/vehicles')).json().items.map((v: { vin: string }) => v.vin)).toEqual([SOLARIS]);
    expect((await get(stack, alice, `/vehicles/${LADA}/versions/1`)).statusCode).toBe(404);
    expect((await get(stack, dora, `/vehicles/${LADA}/versions/1`)).json().passport.ownerId).toBe('alice');
  });
});

describe('extracts', () => {
  it('confirms a genuine code without sign-in, says when the passport changed since, and denies a fake', async () => {
    const { version } = await passportOf(SOLARIS);
    const extract = await issueExtract(stack.database.db, { vin: SOLARIS, version, caseNumber: 'E-2026-0000101' });
    expect(extract.code).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
    expect(await issueExtract(stack.database.db, { vin: SOLARIS, version, caseNumber: 'E-2026-0000101' })).toEqual(extract);

    const ok = await get(stack, undefined, `/extracts/${extract.code.toLowerCase()}/verify`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ genuine: true, vin: SOLARIS, version, issuedAt: new Date(extract.issuedAt).toISOString(), current: true });
    expect(ok.body).not.toContain('alice');

    const { data } = await passportOf(SOLARIS);
    const next = applyChange(data, { kind: 'technical', payload: { technical: { color: 'белый' } } }, new Date().toISOString(), 'E-2026-0000102');
    await applyPassportVersion(stack.database.db, { vin: SOLARIS, expectedVersion: version, data: next, caseNumber: 'E-2026-0000102' });
    expect((await get(stack, undefined, `/extracts/${extract.code}/verify`)).json()).toMatchObject({ genuine: true, version, current: false });

    const fake = await get(stack, undefined, '/extracts/AAAA-BBBB-CCCC/verify');
    expect(fake.statusCode).toBe(404);
    expect(fake.headers['content-type']).toContain('application/problem+json');
    const malformed = await get(stack, undefined, '/extracts/not-a-code/verify');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors).toEqual([expect.objectContaining({ path: '/params/code' })]);
  });
});

describe('signing certificates', () => {
  it('registers a trusted, valid certificate once per owner', async () => {
    const res = await registerCert(alice, aliceCert.pem);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ serial: aliceCert.serialNumber, revokedAt: null, subject: expect.stringContaining('11223344595') });
    const again = await registerCert(alice, `\n${aliceCert.pem}\n`);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(res.json().id);
    expect((await registerCert(bob, aliceCert.pem)).statusCode).toBe(409);
    expect((await get(stack, alice, '/certificates')).json().items.map((c: { id: string }) => c.id)).toEqual([res.json().id]);
    expect((await get(stack, bob, '/certificates')).json()).toEqual({ items: [] });
  });

  it('answers a PEM that is not a certificate with 400 and the path', async () => {
    for (const pem of ['hello', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----']) {
      const res = await registerCert(alice, pem);
      expect(res.statusCode, pem).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: '/body/certificatePem' })]);
    }
    expect((await post(stack, alice, '/certificates', {})).json().errors).toEqual([
      expect.objectContaining({ path: '/body/certificatePem' }),
    ]);
  });

  it('refuses revoked, expired, untrusted and authority certificates with the reason', async () => {
    const expired = await issueTestCertificate(ca, { name: 'Алиса Смирнова', snils: '11223344595', startsDaysAgo: 400, validDays: 365 });
    const rogue = await issueTestCertificate(rogueCa, { name: 'Алиса Смирнова', snils: '11223344595' });
    for (const [pem, reason] of [
      [revokedByCa.pem, 'revoked'],
      [expired.pem, 'expired'],
      [rogue.pem, 'not issued by a trusted certification authority'],
      [ca.pem, 'authority certificate'],
    ] as const) {
      const res = await registerCert(alice, pem);
      expect(res.statusCode, reason).toBe(422);
      expect(res.json().detail).toContain(reason);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: '/body/certificatePem' })]);
    }
  });

  it('refuses a certificate of another person when the account has a SNILS', async () => {
    await stack.database.db.insert(accounts).values({ id: 'dora', name: 'Дора', passwordHash: 'x', status: 'active', level: 'confirmed', snils: '123-456-789 64' });
    const someoneElse = await issueTestCertificate(ca, { name: 'Другой', snils: '11223344595' });
    const res = await registerCert(dora, someoneElse.pem);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toContain('SNILS differs');
    const own = await issueTestCertificate(ca, { name: 'Дора', snils: '12345678964' });
    expect((await registerCert(dora, own.pem)).statusCode).toBe(201);
  });

  it('revokes my own certificate only, for good', async () => {
    const cert = await issueTestCertificate(ca, { name: 'Боб', snils: '12345678964' });
    const { id } = (await registerCert(bob, cert.pem)).json();
    expect((await post(stack, alice, `/certificates/${id}/revoke`)).statusCode).toBe(404);
    const res = await post(stack, bob, `/certificates/${id}/revoke`);
    expect(res.statusCode).toBe(200);
    expect(res.json().revokedAt).toEqual(expect.any(String));
    const again = await post(stack, bob, `/certificates/${id}/revoke`);
    expect(again.json().revokedAt).toBe(res.json().revokedAt);
  });
});

describe('the signature over a change request', () => {
  const verifier = createX509Verifier(createTrust({ trustedCaPems: [], isRevoked: async (s) => caRevocations.has(s) }));
  const deps = () => ({ db: stack.database.db, verifier: createX509Verifier(createTrust({ trustedCaPems: [ca.pem], isRevoked: async (s) => caRevocations.has(s) })) });
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const request = (over: Partial<ChangeRequest> = {}) =>
    ({
      vin: SOLARIS,
      kind: 'plate',
      payload: { plate: 'Т001ТТ77' },
      basedOnVersion: 3,
      requesterId: 'alice',
      documentSha256: [sha('application.pdf'), sha('photo.jpg')],
      ...over,
    }) as ChangeRequest;
  let certificateId: string;

  beforeAll(async () => {
    certificateId = (await registerCert(alice, aliceCert.pem)).json().id;
  });
  const signed = async (r: ChangeRequest, cert = aliceCert) => ({ certificateId, signature: await cert.sign(Buffer.from(canonicalChangeRequest(r))) });

  it('accepts the owner’s signature by a registered certificate', async () => {
    const r = request();
    const { signature } = await signed(r);
    // A raw signature has no signing time and is its own evidence.
    expect(await checkChangeSignature(deps(), r, { certificateId, signature })).toEqual({
      ok: true,
      certificateId,
      serialNumber: aliceCert.serialNumber,
      signedAt: null,
      evidence: signature,
    });
    expect(await checkChangeSignature(deps(), r, { signature })).toMatchObject({ ok: true, certificateId });
    // Latin look-alikes in the plate sign the same bytes.
    expect((await checkChangeSignature(deps(), request({ payload: { plate: 'T001TT77' } }), await signed(r))).ok).toBe(true);
  });

  it('refuses a forged signature, and a request changed after signing', async () => {
    const r = request();
    const forger = await issueTestCertificate(ca, { name: 'Мэллори', snils: '11223344595' });
    const mismatch = 'the signature does not match the request: it was changed after signing or signed with another key';
    expect(await checkChangeSignature(deps(), r, await signed(r, forger))).toEqual({ ok: false, reason: mismatch });
    const s = await signed(r);
    expect(await checkChangeSignature(deps(), request({ payload: { plate: 'Т002ТТ77' } }), s)).toEqual({ ok: false, reason: mismatch });
    expect(await checkChangeSignature(deps(), request({ documentSha256: [sha('application.pdf'), sha('other.jpg')] }), s)).toEqual({ ok: false, reason: mismatch });
    expect(await checkChangeSignature(deps(), request({ basedOnVersion: 4 }), s)).toEqual({ ok: false, reason: mismatch });
    expect(await checkChangeSignature(deps(), r, { certificateId, signature: Buffer.from('not a signature') })).toEqual({ ok: false, reason: mismatch });
  });

  it('refuses a certificate that is not the requester’s, expired, or untrusted by the verifier', async () => {
    const r = request({ requesterId: 'bob' });
    expect(await checkChangeSignature(deps(), r, await signed(r))).toEqual({ ok: false, reason: 'the signer has no such registered certificate' });
    const later = new Date(Date.now() + 400 * 86_400_000);
    expect((await checkChangeSignature(deps(), request(), await signed(request()), later)).ok).toBe(false);
    expect(await checkChangeSignature(deps(), request(), await signed(request()), later)).toMatchObject({ reason: expect.stringContaining('expired') });
    expect(await checkChangeSignature({ db: stack.database.db, verifier }, request(), await signed(request()))).toMatchObject({
      reason: 'the certificate is not issued by a trusted certification authority',
    });
  });

  it('refuses a certificate its authority revoked after registration, and one the owner revoked', async () => {
    const r = request();
    caRevocations.add(aliceCert.serialNumber);
    expect(await checkChangeSignature(deps(), r, await signed(r))).toEqual({ ok: false, reason: 'the certificate is revoked' });
    caRevocations.clear();
    await revokeCertificate(stack.database.db, 'alice', certificateId);
    expect((await getCertificate(stack.database.db, 'alice', certificateId))?.revokedAt).toBeTruthy();
    expect(await checkChangeSignature(deps(), r, await signed(r))).toMatchObject({ ok: false, reason: expect.stringMatching(/^the certificate was revoked on \d{4}-\d{2}-\d{2}$/) });
    expect(await checkChangeSignature(deps(), r, { signature: (await signed(r)).signature })).toEqual({ ok: false, reason: 'the signer has no valid registered certificate' });
  });
});
