import { readFileSync } from 'node:fs';
import type { Config } from '../config';
import { createX509Verifier, type CertificateTrust, type SignatureVerifier } from './verifier';

/** Splits a PEM bundle into its certificates. */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The configured trust: accredited authorities from a PEM file, revocations from the config. */
export function trustFromConfig(config: Config): CertificateTrust {
  const { trustedCaFile, revokedSerials } = config.identity.signatures;
  const revoked = new Set(revokedSerials);
  return {
    trustedCaPems: trustedCaFile ? pemCertificates(readFileSync(trustedCaFile, 'utf8')) : [],
    isRevoked: async (serial) => revoked.has(serial.toUpperCase()),
  };
}

/** The verifier the worker and the API use, on the configured trust. */
export function verifierFromConfig(config: Config): SignatureVerifier {
  return createX509Verifier(trustFromConfig(config));
}
