import { beforeAll, describe, expect, it } from 'vitest';
import { createTrust } from '../signatures/trust';
import { createX509Verifier } from '../signatures/verifier';
import { createTestCa, issueTestCertificate, type TestCa } from './support/certificates';

let ca: TestCa;
let rogueCa: TestCa;
const revoked = new Set<string>();
beforeAll(async () => {
  ca = await createTestCa();
  rogueCa = await createTestCa('Rogue CA');
});
const verifier = () => createX509Verifier(createTrust({ trustedCaPems: [ca.pem], isRevoked: async (s) => revoked.has(s) }));
const data = Buffer.from('challenge-to-sign');

describe('X.509 signature verifier', () => {
  it.each(['ecdsa', 'rsa-pss'] as const)('accepts a %s signature by a trusted certificate and reads the SNILS', async (algorithm) => {
    const cert = await issueTestCertificate(ca, { name: 'Иван Петров', snils: '11223344595', algorithm });
    const result = await verifier().verify({ data, signature: await cert.sign(data), certificatePem: cert.pem });
    expect(result).toMatchObject({ ok: true, snils: '11223344595' });
  });

  it('refuses tampered data, a foreign key, an untrusted issuer, an expired or revoked certificate', async () => {
    const cert = await issueTestCertificate(ca, { name: 'Иван Петров', snils: '11223344595' });
    const other = await issueTestCertificate(ca, { name: 'Другой', snils: '12345678964' });
    const signature = await cert.sign(data);
    const v = verifier();
    expect(await v.verify({ data: Buffer.from('challenge-to-sigN'), signature, certificatePem: cert.pem })).toEqual({
      ok: false,
      reason: 'the signature does not verify against the certificate',
    });
    expect((await v.verify({ data, signature: await other.sign(data), certificatePem: cert.pem })).ok).toBe(false);
    const rogue = await issueTestCertificate(rogueCa, { name: 'Иван Петров', snils: '11223344595' });
    expect(await v.verify({ data, signature: await rogue.sign(data), certificatePem: rogue.pem })).toMatchObject({
      reason: 'the certificate is not issued by a trusted certification authority',
    });
    const expired = await issueTestCertificate(ca, { name: 'Иван Петров', snils: '11223344595', startsDaysAgo: 400, validDays: 365 });
    expect((await v.verify({ data, signature: await expired.sign(data), certificatePem: expired.pem })).ok).toBe(false);
    revoked.add(cert.serialNumber);
    expect(await v.verify({ data, signature, certificatePem: cert.pem })).toMatchObject({ reason: 'the certificate is revoked' });
    expect(await v.verify({ data, signature, certificatePem: 'not a certificate' })).toMatchObject({ ok: false });
  });
});
