import { constants, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';

export interface SignedData {
  data: Buffer;
  /** Detached signature over `data` (DER or IEEE P1363 for ECDSA). */
  signature: Buffer;
  certificatePem: string;
}

export type Verification =
  | { ok: true; serialNumber: string; subject: string; snils: string | null }
  | { ok: false; reason: string };

/**
 * Checks a detached signature and the certificate behind it. Standard algorithms of
 * node:crypto (ECDSA P-256, RSA, RSA-PSS, Ed25519) are built in; national algorithms
 * (GOST R 34.10-2012) plug in as another implementation of this interface.
 */
export interface SignatureVerifier {
  verify(signed: SignedData, at?: Date): Promise<Verification>;
}

function signatureMatches(data: Buffer, signature: Buffer, key: KeyObject): boolean {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
    case 'ed448':
      return cryptoVerify(null, data, key, signature);
    case 'ec':
      return (
        cryptoVerify('sha256', data, { key, dsaEncoding: 'der' }, signature) ||
        cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      );
    case 'rsa-pss':
      return cryptoVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING }, signature);
    case 'rsa':
      return (
        cryptoVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature) ||
        cryptoVerify('sha256', data, key, signature)
      );
    default:
      return false;
  }
}

/** Qualified certificates carry the holder's SNILS (OID 1.2.643.100.3) in the subject. */
function snilsOf(subject: string): string | null {
  const m = /(?:^|\n)(?:SNILS|1\.2\.643\.100\.3)=(\d{11})/.exec(subject);
  return m ? m[1]! : null;
}

/**
 * Verifies against a set of trusted (accredited) certificate authorities and a
 * revocation list that the caller keeps current.
 */
/** Accredited certification authorities and the revocation check: what trusting a certificate means. */
export interface CertificateTrust {
  trustedCaPems: string[];
  isRevoked(serialNumber: string): Promise<boolean>;
}

export function createX509Verifier(opts: CertificateTrust): SignatureVerifier {
  const authorities = opts.trustedCaPems.map((pem) => new X509Certificate(pem));
  return {
    async verify({ data, signature, certificatePem }, at = new Date()) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(certificatePem);
      } catch {
        return { ok: false, reason: 'the certificate is not a readable X.509 certificate' };
      }
      if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) {
        return { ok: false, reason: `the certificate is not valid on ${at.toISOString().slice(0, 10)}` };
      }
      if (!authorities.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
        return { ok: false, reason: 'the certificate is not issued by a trusted certification authority' };
      }
      if (await opts.isRevoked(cert.serialNumber)) return { ok: false, reason: 'the certificate is revoked' };
      if (!signatureMatches(data, signature, cert.publicKey)) {
        return { ok: false, reason: 'the signature does not verify against the certificate' };
      }
      return { ok: true, serialNumber: cert.serialNumber, subject: cert.subject, snils: snilsOf(cert.subject) };
    },
  };
}
