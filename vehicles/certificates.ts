import { createHash, X509Certificate } from 'node:crypto';
import type { NewCertificate } from '../db/queries/vehicles';
import type { CertificateTrust } from '../signatures/verifier';

export type CertificateInspection =
  | { ok: true; certificate: Omit<NewCertificate, 'ownerId'>; snils: string | null }
  | { ok: false; status: 400 | 422; reason: string };

/** Qualified certificates carry the holder's SNILS (OID 1.2.643.100.3) in the subject. */
function snilsOf(subject: string): string | null {
  const m = /(?:^|\n)(?:SNILS|1\.2\.643\.100\.3)=(\d{11})/.exec(subject);
  return m ? m[1]! : null;
}

/**
 * Whether a certificate may be registered for signing now: readable (else 400), and
 * currently valid, issued by a trusted authority and not revoked (else 422). The
 * signature verifier repeats these checks on every signature; refusing here early
 * spares the owner signing with a certificate that could never be accepted.
 */
export async function inspectCertificate(pem: string, trust: CertificateTrust, at = new Date()): Promise<CertificateInspection> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return { ok: false, status: 400, reason: 'not a readable X.509 certificate in PEM' };
  }
  if (cert.ca) return { ok: false, status: 422, reason: 'this is an authority certificate, not a personal one' };
  if (at < new Date(cert.validFrom)) return { ok: false, status: 422, reason: `the certificate is valid only from ${new Date(cert.validFrom).toISOString()}` };
  if (at > new Date(cert.validTo)) return { ok: false, status: 422, reason: `the certificate expired on ${new Date(cert.validTo).toISOString()}` };
  const authorities = trust.trustedCaPems.map((p) => new X509Certificate(p));
  if (!authorities.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    return { ok: false, status: 422, reason: 'the certificate is not issued by a trusted certification authority' };
  }
  if (await trust.isRevoked(cert.serialNumber)) return { ok: false, status: 422, reason: 'the certificate is revoked by its authority' };
  return {
    ok: true,
    snils: snilsOf(cert.subject),
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
