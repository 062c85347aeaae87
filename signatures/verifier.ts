import { constants, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { certificateDer, fingerprintOf, holderOf, nameText, readCertificate, serialOf, spkiOf, type Certificate, type Holder } from './certificates';
import { checkSignerInfo, readCms, SIGNATURE_MISMATCH, signerCertificate, withoutCertificates } from './cms';
import { toPem } from './openssl';
import type { CertificateTrust } from './trust';

export { CONTENT_MISMATCH, SIGNATURE_MISMATCH } from './cms';

export interface SignedData {
  data: Buffer;
  /**
   * Detached signature over `data`: a CMS / CAdES-BES SignedData (DER or PEM), or a raw
   * signature (DER or IEEE P1363 for ECDSA, RSA, RSA-PSS, Ed25519).
   */
  signature: Buffer;
  /** The signer's registered certificate: checks a raw signature; a CMS one when its envelope does not carry the signer's. */
  certificatePem?: string;
  /** Whom the certificate must name: refused when it names somebody else. */
  holder?: { snils?: string | null; inn?: string | null };
}

export type Verification =
  | {
      ok: true;
      format: 'cms' | 'raw';
      serialNumber: string;
      subject: string;
      snils: string | null;
      holder: Holder;
      /** The certificate that made the signature, and the SHA-256 of its DER (hex). */
      certificatePem: string;
      fingerprint: string;
      /** The CMS signing time; a raw signature has none. */
      signedAt: Date | null;
      /** The signature to keep as evidence: a CMS envelope without its certificates (they name the holder). */
      evidence: Buffer;
    }
  | { ok: false; reason: string };

/**
 * Checks a detached signature and the certificate behind it, by the algorithm the
 * certificate names: ECDSA, RSA, RSA-PSS and Ed25519 with node:crypto; GOST R 34.10-2012
 * (CMS only) with the system openssl's GOST engine, refused with the reason when the
 * engine is missing.
 */
export interface SignatureVerifier {
  /** `at`: when the signature is checked; a CMS signature's certificates are checked at its signing time. */
  verify(signed: SignedData, at?: Date): Promise<Verification>;
}

export const NO_CERTIFICATE = 'the signature carries no certificate of its signer and none is registered';
/** A CMS signing time may run this far ahead of the server's clock. */
const CLOCK_SKEW_MS = 5 * 60_000;

function rawSignatureMatches(data: Buffer, signature: Buffer, key: KeyObject): boolean {
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

function holderMismatch(cert: Certificate, expected: SignedData['holder']): string | null {
  const holder = holderOf(cert);
  if (expected?.snils && holder.snils !== expected.snils) return 'the certificate belongs to another person (SNILS differs)';
  if (expected?.inn && holder.inn !== expected.inn) return 'the certificate belongs to another person (INN differs)';
  return null;
}

function readRegistered(pem: string | undefined): Certificate | undefined | 'unreadable' {
  if (!pem) return undefined;
  try {
    return readCertificate(pem);
  } catch {
    return 'unreadable';
  }
}

/** Verifies against the trust: accredited authorities and their revocations. */
export function createX509Verifier(trust: CertificateTrust): SignatureVerifier {
  const accepted = (format: 'cms' | 'raw', cert: Certificate, signedAt: Date | null, evidence: Buffer): Verification => {
    const holder = holderOf(cert);
    return {
      ok: true,
      format,
      serialNumber: serialOf(cert.serialNumber),
      subject: nameText(cert.subject),
      snils: holder.snils,
      holder,
      certificatePem: toPem(certificateDer(cert), 'CERTIFICATE'),
      fingerprint: fingerprintOf(cert),
      signedAt,
      evidence,
    };
  };

  return {
    async verify({ data, signature, certificatePem, holder }, at = new Date()) {
      const registered = readRegistered(certificatePem);
      if (registered === 'unreadable') return { ok: false, reason: 'the certificate is not a readable X.509 certificate' };
      const cms = readCms(signature);
      if (cms && 'error' in cms) return { ok: false, reason: cms.error };

      if (cms) {
        const cert = signerCertificate(cms, registered);
        if (!cert) return { ok: false, reason: registered ? 'the signature was made with another certificate than the registered one' : NO_CERTIFICATE };
        const attrs = await checkSignerInfo(cms, cert, data);
        if (!attrs.ok) return attrs;
        if (attrs.signedAt.getTime() > at.getTime() + CLOCK_SKEW_MS) return { ok: false, reason: `the signing time ${attrs.signedAt.toISOString()} is in the future` };
        const chain = await trust.check(cert, { at: attrs.signedAt, intermediates: cms.certificates, revocationLists: cms.revocationLists });
        if (!chain.ok) return chain;
        const other = holderMismatch(cert, holder);
        if (other) return { ok: false, reason: other };
        return accepted('cms', cert, attrs.signedAt, withoutCertificates(cms));
      }

      if (!registered) return { ok: false, reason: NO_CERTIFICATE };
      const chain = await trust.check(registered, { at });
      if (!chain.ok) return chain;
      let key: KeyObject;
      try {
        key = createPublicKey({ key: Buffer.from(spkiOf(registered)), format: 'der', type: 'spki' });
      } catch {
        return { ok: false, reason: 'a raw signature is checked only for ECDSA, RSA and Ed25519 keys: sign as CMS (CAdES-BES)' };
      }
      if (!rawSignatureMatches(data, signature, key)) return { ok: false, reason: SIGNATURE_MISMATCH };
      const other = holderMismatch(registered, holder);
      if (other) return { ok: false, reason: other };
      return accepted('raw', registered, null, signature);
    },
  };
}
