/** X.509 certificates and revocation lists as pkijs reads them, with what the checks need of them. */
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { signatureValid } from './algorithms';

export type Certificate = pkijs.Certificate;
export type RevocationList = pkijs.CertificateRevocationList;

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]+?)-----END \1-----/g;

/** The DER blocks of a PEM text with the given label (CERTIFICATE, X509 CRL, CMS, PKCS7). */
export function pemBlocks(text: string, labels: string[]): Buffer[] {
  return [...text.matchAll(PEM)].filter((m) => labels.includes(m[1]!)).map((m) => Buffer.from(m[2]!.replace(/\s/g, ''), 'base64'));
}

/** DER or PEM bytes of one object; PEM when it starts with the armour. */
export function derOf(bytes: Buffer, labels: string[]): Buffer {
  const text = bytes.subarray(0, 64).toString('latin1');
  if (!text.trimStart().startsWith('-----BEGIN')) return bytes;
  const [first] = pemBlocks(bytes.toString('latin1'), labels);
  if (!first) throw new Error(`no ${labels.join(' or ')} block in the PEM`);
  return first;
}

/** A certificate from PEM or DER; throws when it is not one. */
export function readCertificate(pemOrDer: string | Buffer): Certificate {
  const der = typeof pemOrDer === 'string' ? derOf(Buffer.from(pemOrDer, 'latin1'), ['CERTIFICATE']) : pemOrDer;
  return pkijs.Certificate.fromBER(der);
}

export function readRevocationList(pemOrDer: Buffer): RevocationList {
  return pkijs.CertificateRevocationList.fromBER(derOf(pemOrDer, ['X509 CRL']));
}

export const certificateDer = (cert: Certificate) => Buffer.from(cert.toSchema().toBER());
export const fingerprintOf = (cert: Certificate) => createHash('sha256').update(certificateDer(cert)).digest('hex');

/** A serial number as node:crypto prints it: upper-case hex without leading zero bytes. */
export function serialOf(serial: pkijs.Certificate['serialNumber']): string {
  const hex = Buffer.from(serial.valueBlock.valueHexView).toString('hex').toUpperCase().replace(/^(00)+(?=.)/, '');
  return hex || '00';
}

const OIDS = { snils: '1.2.643.100.3', inn: '1.2.643.3.131.1.1', innle: '1.2.643.100.4' } as const;

/** Who a Russian qualified certificate names: SNILS of a person, INN of a person, INN of an organisation. */
export interface Holder {
  snils: string | null;
  inn: string | null;
  innle: string | null;
}

export function holderOf(cert: Certificate): Holder {
  const value = (oid: string) => {
    const found = cert.subject.typesAndValues.find((t) => t.type === oid);
    const text = found ? String((found.value.valueBlock as { value?: unknown }).value ?? '') : '';
    const digits = text.replace(/\D/g, '');
    return digits || null;
  };
  return { snils: value(OIDS.snils), inn: value(OIDS.inn), innle: value(OIDS.innle) };
}

/** Readable subject or issuer, RFC 4514-like with OIDs for names without a short one. */
export function nameText(name: pkijs.RelativeDistinguishedNames): string {
  const SHORT: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.6': 'C', '1.2.643.100.3': 'SNILS', '1.2.643.3.131.1.1': 'INN', '1.2.643.100.4': 'INNLE' };
  return name.typesAndValues.map((t) => `${SHORT[t.type] ?? t.type}=${String((t.value.valueBlock as { value?: unknown }).value ?? '')}`).join(', ');
}

export function isAuthority(cert: Certificate): boolean {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.19');
  return Boolean((ext?.parsedValue as pkijs.BasicConstraints | undefined)?.cA);
}

export const validAt = (cert: Certificate, at: Date) => cert.notBefore.value <= at && at <= cert.notAfter.value;

const pssHash = (alg: pkijs.AlgorithmIdentifier) =>
  alg.algorithmId === '1.2.840.113549.1.1.10' ? new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams }).hashAlgorithm.algorithmId : undefined;

export const spkiOf = (cert: Certificate) => new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());

/** Whether `issuer` names and signed `cert` (a certificate or a revocation list). */
export async function signedBy(subject: Certificate | RevocationList, issuer: Certificate): Promise<boolean> {
  if (!subject.issuer.isEqual(issuer.subject)) return false;
  return signatureValid({
    spki: spkiOf(issuer),
    algorithm: subject.signatureAlgorithm.algorithmId,
    pssHash: pssHash(subject.signatureAlgorithm),
    data: subject.tbsView,
    signature: subject.signatureValue.valueBlock.valueHexView,
  });
}

