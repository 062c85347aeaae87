import { readFileSync } from 'node:fs';
import type { Config } from '../config';
import { createX509Verifier, type SignatureVerifier } from './verifier';

/** Splits a PEM bundle into its certificates. */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The verifier the worker uses: trusted authorities from a PEM file, revocations from the config. */
export function verifierFromConfig(config: Config): SignatureVerifier {
  const { trustedCaFile, revokedSerials } = config.identity.signatures;
  const revoked = new Set(revokedSerials);
  return createX509Verifier({
    trustedCaPems: trustedCaFile ? pemCertificates(readFileSync(trustedCaFile, 'utf8')) : [],
    isRevoked: async (serial) => revoked.has(serial.toUpperCase()),
  });
}
