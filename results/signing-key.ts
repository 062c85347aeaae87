/**
 * The system's own key for result documents: a detached signature over each PDF's bytes,
 * checkable offline with the published public key (`GET /results/signing-key`).
 * Configured as RESULT_SIGNING_KEY; outside production a development key is made once
 * under DATA_DIR and shared by every process using that directory.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config';
import { keptDevelopmentSecret } from '../lib/development-secret';

export interface ResultSigner {
  /** ECDSA signs SHA-256 of the bytes (DER signature), Ed25519 the bytes themselves. */
  readonly algorithm: 'ecdsa-p256-sha256' | 'ed25519';
  /** SHA-256 of the public key's SPKI DER, hex: names the key a document was signed with. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(bytes: Buffer): Buffer;
  verify(bytes: Buffer, signature: Buffer): boolean;
}

export function signerFromPem(pem: string): ResultSigner {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'ecdsa-p256-sha256';
  const digest = algorithm === 'ed25519' ? null : 'sha256';
  return {
    algorithm,
    keyId: createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex'),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (bytes) => sign(digest, bytes, privateKey),
    verify: (bytes, signature) => verifyWith(publicKey, digest, bytes, signature),
  };
}

function verifyWith(key: KeyObject, digest: string | null, bytes: Buffer, signature: Buffer): boolean {
  try {
    return verify(digest, bytes, key, signature);
  } catch {
    return false;
  }
}

/** The configured key, or the development key under `config.results.keyDir`. */
export async function resultSignerFromConfig(config: Config): Promise<ResultSigner> {
  if (config.results.signingKeyPem) return signerFromPem(config.results.signingKeyPem);
  // config.ts requires the key in production; this guards callers that built a Config by hand.
  if (config.env === 'production') throw new Error('RESULT_SIGNING_KEY is required in production');
  return signerFromPem(await developmentKey(config.results.keyDir));
}

function developmentKey(dir: string): Promise<string> {
  return keptDevelopmentSecret(path.join(dir, 'key.pem'), () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  });
}
