import { createHash, X509Certificate } from 'node:crypto';
import { conflict, FailureType, invalid, Refusal } from '../core/failures';
import type { Db } from '../db/client';
import { getAccount } from '../db/queries/accounts';
import { registerCertificate, type CertificateRow, type NewCertificate } from '../db/queries/vehicles';
import { holderOf, pemBlocks, readCertificate, type Certificate } from '../signatures/certificates';
import type { CertificateTrust } from '../signatures/trust';

export type CertificateInspection =
  | { ok: true; certificate: Omit<NewCertificate, 'ownerId'>; snils: string | null }
  | { ok: false; status: 400 | 422; reason: string };

/**
 * Whether a certificate may be registered for signing now: readable (else 400), and
 * currently valid, issued by a trusted authority and not revoked (else 422). The
 * signature verifier repeats these checks on every signature; refusing here early
 * spares the owner signing with a certificate that could never be accepted.
 */
export async function inspectCertificate(pem: string, trust: CertificateTrust, at = new Date()): Promise<CertificateInspection> {
  let cert: X509Certificate;
  let parsed: Certificate;
  let intermediates: Certificate[];
  try {
    cert = new X509Certificate(pem);
    parsed = readCertificate(cert.raw);
    // A PEM bundle's further certificates are its issuers, up to a trusted authority.
    intermediates = pemBlocks(pem, ['CERTIFICATE']).slice(1).map((der) => readCertificate(der));
  } catch {
    return { ok: false, status: 400, reason: 'not a readable X.509 certificate in PEM' };
  }
  if (cert.ca) return { ok: false, status: 422, reason: 'this is an authority certificate, not a personal one' };
  if (at < new Date(cert.validFrom)) return { ok: false, status: 422, reason: `the certificate is valid only from ${new Date(cert.validFrom).toISOString()}` };
  if (at > new Date(cert.validTo)) return { ok: false, status: 422, reason: `the certificate expired on ${new Date(cert.validTo).toISOString()}` };
  const chain = await trust.check(parsed, { at, intermediates });
  if (!chain.ok) return { ok: false, status: 422, reason: chain.reason };
  return {
    ok: true,
    snils: holderOf(parsed).snils,
    certificate: {
      pem: cert.toString(),
      fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
      serial: cert.serialNumber,
      subject: cert.subject,
      issuer: cert.issuer,
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: new Date(cert.validTo).toISOString(),
    },
  };
}

/**
 * Registers a citizen's certificate for signing passport changes: readable (else 400),
 * accepted by the trust (else 422), naming the citizen's own SNILS (else 422) and nobody
 * else's already (else 409). Registering it again is no change (`created: false`).
 */
export async function registerOwnCertificate(
  deps: { db: Db; trust: CertificateTrust },
  ownerId: string,
  pem: string,
): Promise<{ created: boolean; certificate: CertificateRow }> {
  const path = '/body/certificatePem';
  const refused = (reason: string) =>
    new Refusal(FailureType.Unprocessable, `the certificate is not accepted: ${reason}`, { errors: [{ path, message: reason }] });
  const inspected = await inspectCertificate(pem, deps.trust);
  if (!inspected.ok) {
    if (inspected.status === 400) throw invalid('the certificate is not readable', [{ path, message: inspected.reason }]);
    throw refused(inspected.reason);
  }
  // A qualified certificate names its holder by SNILS: one of somebody else is refused.
  const own = (await getAccount(deps.db, ownerId))?.snils?.replace(/\D/g, '');
  if (own && inspected.snils !== own) throw refused('the certificate belongs to another person (SNILS differs)');
  const result = await registerCertificate(deps.db, { ...inspected.certificate, ownerId });
  if ('taken' in result) throw conflict('this certificate is registered to another account');
  return result;
}
