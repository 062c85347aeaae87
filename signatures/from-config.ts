import { readFileSync } from 'node:fs';
import type { Config } from '../config';
import { revocationListSource } from './revocation-lists';
import { createTrust, type CertificateTrust } from './trust';
import { createX509Verifier, type SignatureVerifier } from './verifier';

/** Splits a PEM bundle into its certificates. */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The configured trust: accredited authorities from a PEM file, revocations from their lists and the config. */
export function trustFromConfig(config: Config): CertificateTrust {
  const { trustedCaFile, revokedSerials, crlFiles, crlUrls } = config.identity.signatures;
  const revoked = new Set(revokedSerials);
  return createTrust({
    trustedCaPems: trustedCaFile ? pemCertificates(readFileSync(trustedCaFile, 'utf8')) : [],
    revocationLists: revocationListSource({ files: crlFiles, urls: crlUrls }),
    isRevoked: async (serial) => revoked.has(serial.toUpperCase()),
  });
}

/** The verifier the worker and the API use, on the configured trust. */
export function verifierFromConfig(config: Config, trust = trustFromConfig(config)): SignatureVerifier {
  return createX509Verifier(trust);
}
