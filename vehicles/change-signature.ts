import type { Db } from '../db/client';
import { getAccount } from '../db/queries/accounts';
import { activeCertificates, getCertificate, getCertificateByFingerprint } from '../db/queries/vehicles';
import { canonicalChangeRequest, type ChangeRequest } from '../core/vehicle';
import { CONTENT_MISMATCH, NO_CERTIFICATE, SIGNATURE_MISMATCH, type SignatureVerifier } from '../signatures/verifier';

export interface DetachedSignature {
  /** The id of the signing certificate the requester registered; absent: the one in a CMS envelope, else their newest valid one. */
  certificateId?: string;
  /** Over canonicalChangeRequest(request): CMS / CAdES-BES (DER or PEM), or raw (DER or IEEE P1363 for ECDSA). */
  signature: Buffer;
}

export type ChangeSignatureCheck =
  | { ok: true; certificateId: string; serialNumber: string; signedAt: string | null; evidence: Buffer }
  | { ok: false; reason: string };

/** The verifier's wording would blame the certificate; to an owner the request is what changed. */
const MISMATCH = 'the signature does not match the request: it was changed after signing or signed with another key';

/**
 * Checks an owner's detached signature over a change request with a certificate they
 * registered: ours to know whether they revoked it, the verifier's to check the
 * authority, the authority's revocations, the validity period, the holder and the
 * signature itself. A CMS signature names its certificate; it must be one the signer
 * registered (registration is where a certificate is bound to its owner).
 */
export async function checkChangeSignature(
  deps: { db: Db; verifier: SignatureVerifier },
  request: ChangeRequest,
  signed: DetachedSignature,
  at = new Date(),
  /** Who signed: the requester, or for a sale also the buyer confirming the same request. */
  signerId = request.requesterId,
): Promise<ChangeSignatureCheck> {
  const named = signed.certificateId ? await getCertificate(deps.db, signerId, signed.certificateId) : undefined;
  if (signed.certificateId && !named) return { ok: false, reason: 'the signer has no such registered certificate' };
  const registered = named ?? (await activeCertificates(deps.db, signerId, at))[0];
  // Somebody else's certificate is refused as the account's own SNILS says, as at registration.
  const snils = (await getAccount(deps.db, signerId))?.snils?.replace(/\D/g, '') || null;
  const result = await deps.verifier.verify(
    { data: Buffer.from(canonicalChangeRequest(request)), signature: signed.signature, certificatePem: registered?.pem, holder: { snils } },
    at,
  );
  if (!result.ok) {
    if (result.reason === NO_CERTIFICATE) return { ok: false, reason: 'the signer has no valid registered certificate' };
    return { ok: false, reason: result.reason === SIGNATURE_MISMATCH || result.reason === CONTENT_MISMATCH ? MISMATCH : result.reason };
  }
  const cert = registered?.fingerprint === result.fingerprint ? registered : await getCertificateByFingerprint(deps.db, signerId, result.fingerprint);
  if (!cert) return { ok: false, reason: 'the certificate that made the signature is not registered to the signer' };
  if (named && cert.id !== named.id) return { ok: false, reason: 'the signature was made with another certificate than the one named' };
  if (cert.revokedAt) return { ok: false, reason: `the certificate was revoked on ${cert.revokedAt.slice(0, 10)}` };
  if (at > new Date(cert.notAfter)) return { ok: false, reason: `the certificate expired on ${cert.notAfter.slice(0, 10)}` };
  return { ok: true, certificateId: cert.id, serialNumber: result.serialNumber, signedAt: result.signedAt?.toISOString() ?? null, evidence: result.evidence };
}
