/**
 * The signature and digest algorithms of certificates, revocation lists and CMS signatures,
 * by OID: the standard ones with node:crypto, GOST R 34.10-2012 / 34.11-2012 with the
 * system openssl's GOST engine.
 */
import { constants, createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { gostEngineAvailable, GOST_UNAVAILABLE, openssl, opensslOk, toPem } from './openssl';

/** The algorithm cannot be checked here: the refusal names it, and it is not a forgery. */
export class AlgorithmUnavailable extends Error {}

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** GOST R 34.11-2012 (Streebog) by OID, as the engine names it. */
const STREEBOG: Record<string, 'md_gost12_256' | 'md_gost12_512'> = {
  '1.2.643.7.1.1.2.2': 'md_gost12_256',
  '1.2.643.7.1.1.2.3': 'md_gost12_512',
};

/** Signature algorithms that name their digest; bare key algorithms (as CMS signer infos use) take the signer's digest. */
const SIGNATURES: Record<string, { kind: 'ecdsa' | 'rsa' | 'rsa-pss' | 'eddsa' | 'gost'; hash?: string }> = {
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'sha512' },
  '1.2.840.10045.2.1': { kind: 'ecdsa' },
  '1.2.840.113549.1.1.11': { kind: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { kind: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { kind: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.1': { kind: 'rsa' },
  '1.2.840.113549.1.1.10': { kind: 'rsa-pss' },
  '1.3.101.112': { kind: 'eddsa' },
  '1.3.101.113': { kind: 'eddsa' },
  '1.2.643.7.1.1.3.2': { kind: 'gost', hash: 'md_gost12_256' },
  '1.2.643.7.1.1.3.3': { kind: 'gost', hash: 'md_gost12_512' },
  '1.2.643.7.1.1.1.1': { kind: 'gost' },
  '1.2.643.7.1.1.1.2': { kind: 'gost' },
};

export const isGost = (oid: string) => oid.startsWith('1.2.643.');

/** The digest of `data` by the algorithm `oid`. */
export async function digest(oid: string, data: Uint8Array): Promise<Buffer> {
  const hash = HASHES[oid];
  if (hash) return createHash(hash).update(data).digest();
  const streebog = STREEBOG[oid];
  if (!streebog) throw new AlgorithmUnavailable(`the digest algorithm ${oid} is not supported`);
  if (!(await gostEngineAvailable())) throw new AlgorithmUnavailable(GOST_UNAVAILABLE);
  return (await opensslOk(['dgst', '-engine', 'gost', `-${streebog}`, '-binary', '{data}'], { data: Buffer.from(data) })).stdout;
}

export interface SignatureCheck {
  /** The signer's SubjectPublicKeyInfo, DER. */
  spki: Uint8Array;
  /** The signature algorithm's OID and, for RSASSA-PSS, its hash. */
  algorithm: string;
  pssHash?: string;
  /** The digest algorithm when the signature algorithm does not name one (CMS signer infos). */
  digestAlgorithm?: string;
  data: Uint8Array;
  signature: Uint8Array;
}

function hashFor(check: SignatureCheck, named?: string): string {
  const hash = named ?? (check.digestAlgorithm ? (HASHES[check.digestAlgorithm] ?? STREEBOG[check.digestAlgorithm]) : undefined);
  if (!hash) throw new AlgorithmUnavailable(`no digest algorithm is known for the signature algorithm ${check.algorithm}`);
  return hash;
}

/** Whether `signature` over `data` verifies with the public key; throws AlgorithmUnavailable when it cannot be checked. */
export async function signatureValid(check: SignatureCheck): Promise<boolean> {
  const alg = SIGNATURES[check.algorithm];
  if (!alg) throw new AlgorithmUnavailable(`the signature algorithm ${check.algorithm} is not supported`);
  if (alg.kind === 'gost') return gostSignatureValid(check, hashFor(check, alg.hash));
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(check.spki), format: 'der', type: 'spki' });
  } catch {
    return false;
  }
  const { data, signature } = check;
  try {
    switch (alg.kind) {
      case 'eddsa':
        return cryptoVerify(null, data, key, signature);
      case 'ecdsa':
        return cryptoVerify(hashFor(check, alg.hash), data, { key, dsaEncoding: 'der' }, signature);
      case 'rsa':
        return cryptoVerify(hashFor(check, alg.hash), data, key, signature);
      case 'rsa-pss':
        return cryptoVerify(hashFor(check, check.pssHash ?? alg.hash), data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
    }
  } catch {
    // A key of another type than the algorithm says, or a malformed signature.
    return false;
  }
}

async function gostSignatureValid(check: SignatureCheck, hash: string): Promise<boolean> {
  if (!(await gostEngineAvailable())) throw new AlgorithmUnavailable(GOST_UNAVAILABLE);
  const run = await openssl(['dgst', '-engine', 'gost', `-${hash}`, '-verify', '{key.pem}', '-signature', '{sig}', '{data}'], {
    'key.pem': toPem(check.spki, 'PUBLIC KEY'),
    sig: Buffer.from(check.signature),
    data: Buffer.from(check.data),
  });
  return run.code === 0 && run.stdout.toString('utf8').includes('Verified OK');
}
