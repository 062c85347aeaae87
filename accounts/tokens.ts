import { createSecretKey } from 'node:crypto';
import { decodeJwt, jwtVerify, SignJWT } from 'jose';
import { DEFAULT_CLAIMS, type Config } from '../config';
import type { Principal } from '../core/principal';
import { principalFromClaims } from './claims';
import { createOidcVerifier } from './oidc';

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** How many verified tokens are remembered: about one per active user of one API process. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Tokens of the built-in issuer (HS256 with AUTH_JWT_SECRET: sign-in, `npm run token`)
 * and of an OpenID provider (OIDC_ISSUER), either or both: a token goes to the verifier
 * of the issuer it names, which checks that issuer again with its own keys and
 * algorithms, so naming the other issuer gains nothing. A status poll comes every few
 * seconds with the same token, so a verified token is remembered until it expires: its
 * signature and claims cannot change, and checking them again cost more than the rest
 * of the poll.
 */
export function createTokenVerifier(auth: Config['auth']): TokenVerifier {
  const issuers = new Map<string, (token: string) => Promise<Principal>>();
  if (auth.jwtSecret) {
    // A KeyObject is imported once; raw bytes would be imported on every verification.
    const key = createSecretKey(Buffer.from(auth.jwtSecret));
    const options = { issuer: auth.issuer, audience: auth.audience, algorithms: ['HS256'] };
    issuers.set(auth.issuer, async (token) => principalFromClaims((await jwtVerify(token, key, options)).payload, DEFAULT_CLAIMS));
  }
  if (auth.oidc) issuers.set(auth.oidc.issuer, createOidcVerifier(auth.oidc));
  const verified = new Map<string, { principal: Principal; expiresAt: number }>();
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.principal;
      verified.delete(token);
      const { iss, exp } = decodeJwt(token);
      const verifyOf = typeof iss === 'string' ? issuers.get(iss) : undefined;
      if (!verifyOf) throw new Error('the token names no issuer this API trusts');
      const principal = await verifyOf(token);
      if (exp !== undefined) {
        // Oldest first: a Map iterates in insertion order.
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
        verified.set(token, { principal, expiresAt: exp * 1000 });
      }
      return principal;
    },
  };
}

export async function mintToken(auth: Config['auth'], p: Principal, ttl = '12h'): Promise<string> {
  if (!auth.jwtSecret) throw new Error('minting tokens needs AUTH_JWT_SECRET');
  return new SignJWT({ role: p.role, agency: p.agency, supervisor: p.supervisor || undefined, level: p.level })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.id)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(auth.jwtSecret));
}
