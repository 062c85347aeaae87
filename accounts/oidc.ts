import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Config } from '../config';
import type { Principal } from '../core/principal';
import { principalFromClaims } from './claims';

type OidcConfig = NonNullable<Config['auth']['oidc']>;

/** The provider's discovery document or keys could not be had: its tokens cannot be checked. */
export class IdentityProviderUnreachable extends Error {
  override readonly name = 'IdentityProviderUnreachable';
}

const FETCH_TIMEOUT_MS = 5000;

const discoveryDocument = z.object({ issuer: z.string(), jwks_uri: z.url() });

/** OpenID Connect Discovery 1.0 §4: the document lives under the issuer and names that same issuer. */
async function discoverJwksUri(issuer: string): Promise<URL> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const document = discoveryDocument.parse(await response.json());
  if (document.issuer !== issuer) throw new Error(`${url} names the issuer ${document.issuer}`);
  const jwksUri = new URL(document.jwks_uri);
  if (new URL(issuer).protocol === 'https:' && jwksUri.protocol !== 'https:') throw new Error(`${url} names keys over ${jwksUri.protocol}`);
  return jwksUri;
}

/** What a token's key lookup may fail with that is the token's fault, not the provider's. */
const TOKEN_FAULTS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported, errors.JWSInvalid];

/**
 * Tokens of one OpenID provider: its keys found by discovery, fetched when first needed,
 * kept for `jwksMaxAgeMs` and fetched again when a token names a key not among them (a
 * rotation), but never twice within `jwksCooldownMs`, so tokens with made-up key ids
 * cannot make the API hammer the provider. A failed discovery is retried no sooner either.
 */
export function createOidcVerifier(oidc: OidcConfig): (token: string) => Promise<Principal> {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  let failedAt = -Infinity;
  const keySet = (): Promise<JWTVerifyGetKey> => {
    if (keys) return keys;
    if (Date.now() - failedAt < oidc.jwksCooldownMs) {
      return Promise.reject(new IdentityProviderUnreachable(`discovery at ${oidc.issuer} failed moments ago`));
    }
    const discovered = discoverJwksUri(oidc.issuer).then(
      (uri) => createRemoteJWKSet(uri, { cooldownDuration: oidc.jwksCooldownMs, cacheMaxAge: oidc.jwksMaxAgeMs, timeoutDuration: FETCH_TIMEOUT_MS }),
      (err: unknown) => {
        keys = undefined;
        failedAt = Date.now();
        throw new IdentityProviderUnreachable(`discovery at ${oidc.issuer} failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    keys = discovered;
    return discovered;
  };
  const getKey: JWTVerifyGetKey = async (header, token) => {
    const remote = await keySet();
    try {
      return await remote(header, token);
    } catch (err) {
      if (TOKEN_FAULTS.some((fault) => err instanceof fault)) throw err;
      throw new IdentityProviderUnreachable(`the keys of ${oidc.issuer} could not be fetched: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return async (token) => {
    const { payload } = await jwtVerify(token, getKey, { issuer: oidc.issuer, audience: oidc.audience, algorithms: oidc.algorithms });
    return principalFromClaims(payload, oidc.claims);
  };
}
