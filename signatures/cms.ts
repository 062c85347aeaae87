/**
 * Detached CMS / CAdES-BES signatures (RFC 5652; ETSI EN 319 122-1 BES) as `openssl cms
 * -sign -binary` and the signing tools of qualified certificates make them: pkijs reads
 * the structure, `algorithms.ts` checks digests and signatures (GOST included).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AlgorithmUnavailable, digest, signatureValid } from './algorithms';
import { derOf, serialOf, spkiOf, type Certificate, type RevocationList } from './certificates';

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const ATTR = { contentType: '1.2.840.113549.1.9.3', messageDigest: '1.2.840.113549.1.9.4', signingTime: '1.2.840.113549.1.9.5' } as const;

export const CONTENT_MISMATCH = 'the signed content differs from the data (its digest does not match)';
export const SIGNATURE_MISMATCH = 'the signature does not verify against the certificate';

export interface CmsSignature {
  signed: pkijs.SignedData;
  signer: pkijs.SignerInfo;
  /** The certificates and revocation lists the envelope carries. */
  certificates: Certificate[];
  revocationLists: RevocationList[];
}

/** A CMS SignedData from DER or PEM bytes; undefined when the bytes are not one (a raw signature). */
export function readCms(bytes: Buffer): CmsSignature | { error: string } | undefined {
  let der: Buffer;
  let info: pkijs.ContentInfo;
  try {
    der = derOf(bytes, ['CMS', 'PKCS7', 'SIGNED DATA']);
    info = pkijs.ContentInfo.fromBER(der);
  } catch {
    return undefined;
  }
  if (info.contentType !== SIGNED_DATA) return { error: `the CMS content is ${info.contentType}, not SignedData` };
  let signed: pkijs.SignedData;
  try {
    signed = new pkijs.SignedData({ schema: info.content });
  } catch {
    return { error: 'the CMS SignedData is malformed' };
  }
  if (signed.signerInfos.length !== 1) return { error: `the signature has ${signed.signerInfos.length} signers; one is expected` };
  return {
    signed,
    signer: signed.signerInfos[0]!,
    certificates: (signed.certificates ?? []).filter((c): c is Certificate => c instanceof pkijs.Certificate),
    revocationLists: (signed.crls ?? []).filter((c): c is RevocationList => c instanceof pkijs.CertificateRevocationList),
  };
}

/** Whether the signer info names `cert` (by issuer and serial, or by subject key identifier). */
export function namesCertificate(signer: pkijs.SignerInfo, cert: Certificate): boolean {
  const sid: unknown = signer.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) return sid.issuer.isEqual(cert.issuer) && serialOf(sid.serialNumber) === serialOf(cert.serialNumber);
  if (sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive) {
    const keyId = Buffer.from((sid as asn1js.Primitive).valueBlock.valueHexView);
    const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.14');
    const own = ext?.parsedValue instanceof asn1js.OctetString ? Buffer.from(ext.parsedValue.valueBlock.valueHexView) : undefined;
    return Boolean(own?.equals(keyId));
  }
  return false;
}

/** The signer's certificate: the one the envelope carries, else `registered` when the signer info names it. */
export function signerCertificate(cms: CmsSignature, registered?: Certificate): Certificate | undefined {
  return cms.certificates.find((c) => namesCertificate(cms.signer, c)) ?? (registered && namesCertificate(cms.signer, registered) ? registered : undefined);
}

type Attributes = NonNullable<pkijs.SignerInfo['signedAttrs']>;
const attribute = (attrs: Attributes, oid: string) => attrs.attributes.find((a) => a.type === oid)?.values[0];

export type SignedAttributesCheck = { ok: true; signedAt: Date } | { ok: false; reason: string };

/**
 * CAdES-BES: signed attributes present, the message digest that of `data`, a signing time,
 * and the signer's signature over the attributes by `cert`'s key.
 */
export async function checkSignerInfo(cms: CmsSignature, cert: Certificate, data: Buffer): Promise<SignedAttributesCheck> {
  const { signer, signed } = cms;
  const attached = signed.encapContentInfo.eContent;
  if (attached && !Buffer.from(attached.getValue()).equals(data)) return { ok: false, reason: CONTENT_MISMATCH };
  const attrs = signer.signedAttrs;
  if (!attrs) return { ok: false, reason: 'the signature has no signed attributes (CAdES-BES requires them)' };
  const messageDigest = attribute(attrs, ATTR.messageDigest);
  if (!(messageDigest instanceof asn1js.OctetString)) return { ok: false, reason: 'the signature has no message digest attribute' };
  const time = attribute(attrs, ATTR.signingTime);
  if (!(time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime)) return { ok: false, reason: 'the signature has no signing time' };
  if (!attribute(attrs, ATTR.contentType)) return { ok: false, reason: 'the signature has no content type attribute' };
  try {
    const expected = await digest(signer.digestAlgorithm.algorithmId, data);
    if (!expected.equals(Buffer.from(messageDigest.valueBlock.valueHexView))) return { ok: false, reason: CONTENT_MISMATCH };
    const valid = await signatureValid({
      spki: spkiOf(cert),
      algorithm: signer.signatureAlgorithm.algorithmId,
      pssHash:
        signer.signatureAlgorithm.algorithmId === '1.2.840.113549.1.1.10'
          ? new pkijs.RSASSAPSSParams({ schema: signer.signatureAlgorithm.algorithmParams }).hashAlgorithm.algorithmId
          : undefined,
      digestAlgorithm: signer.digestAlgorithm.algorithmId,
      // The attributes are signed as a SET; pkijs keeps their original encoding re-tagged so.
      data: new Uint8Array(attrs.encodedValue),
      signature: signer.signature.valueBlock.valueHexView,
    });
    if (!valid) return { ok: false, reason: SIGNATURE_MISMATCH };
  } catch (err) {
    if (err instanceof AlgorithmUnavailable) return { ok: false, reason: err.message };
    throw err;
  }
  return { ok: true, signedAt: time.toDate() };
}

/** The signature as evidence: the envelope without its certificates and lists (they name the holder). */
export function withoutCertificates(cms: CmsSignature): Buffer {
  const copy = new pkijs.SignedData({ schema: cms.signed.toSchema(true) });
  delete copy.certificates;
  delete copy.crls;
  return Buffer.from(new pkijs.ContentInfo({ contentType: SIGNED_DATA, content: copy.toSchema(true) }).toSchema().toBER());
}
