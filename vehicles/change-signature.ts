import type { Db } from '../db/client';
import { activeCertificates, getCertificate } from '../db/queries/vehicles';
import { canonicalChangeRequest, type ChangeRequest } from '../core/vehicle';
import type { SignatureVerifier } from '../signatures/verifier';

export interface DetachedSignature {
  /** The id of the signing certificate the requester registered; absent: their newest valid one. */
  certificateId?: string;
  /** Over canonicalChangeRequest(request): DER or IEEE P1363 for ECDSA. */
  signature: Buffer;
}

export type ChangeSignatureCheck = { ok: true; certificateId: string; serialNumber: string } | { ok: false; reason: string };

/** The verifier's wording would blame the certificate; to an owner the request is what changed. */
const MISMATCH = 'the signature does not match the request: it was changed after signing or signed with another key';

/**
 * Checks an owner's detached signature over a change request with a certificate they
 * registered: ours to know whether they revoked it, the verifier's to check the
 * authority, the authority's revocations, the validity period and the signature itself.
 */
export async function checkChangeSignature(
  deps: { db: Db; verifier: SignatureVerifier },
  request: ChangeRequest,
  signed: DetachedSignature,
  at = new Date(),
  /** Who signed: the requester, or for a sale also the buyer confirming the same request. */
  signerId = request.requesterId,
): Promise<ChangeSignatureCheck> {
  const cert = signed.certificateId
    ? await getCertificate(deps.db, signerId, signed.certificateId)
    : (await activeCertificates(deps.db, signerId, at))[0];
  if (!cert) {
    return { ok: false, reason: signed.certificateId ? 'the signer has no such registered certificate' : 'the signer has no valid registered certificate' };
  }
  if (cert.revokedAt) return { ok: false, reason: `the certificate was revoked on ${cert.revokedAt.slice(0, 10)}` };
  if (at > new Date(cert.notAfter)) return { ok: false, reason: `the certificate expired on ${cert.notAfter.slice(0, 10)}` };
  const result = await deps.verifier.verify(
    { data: Buffer.from(canonicalChangeRequest(request)), signature: signed.signature, certificatePem: cert.pem },
    at,
  );
  if (!result.ok) return { ok: false, reason: result.reason === 'the signature does not verify against the certificate' ? MISMATCH : result.reason };
  return { ok: true, certificateId: cert.id, serialNumber: result.serialNumber };
}
