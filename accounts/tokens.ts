import { createSecretKey } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../config';
import { ACCOUNT_LEVELS, ROLES, type AccountLevel, type Role } from '../core/case-model';
import type { Principal } from '../core/principal';

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

function toPrincipal(payload: JWTPayload): Principal {
  const role = payload.role as Role;
  if (typeof payload.sub !== 'string' || !payload.sub || !ROLES.includes(role)) {
    throw new Error('token lacks sub or role');
  }
  const level = ACCOUNT_LEVELS.includes(payload.level as AccountLevel) ? (payload.level as AccountLevel) : undefined;
  return {
    id: payload.sub,
    role,
    agency: typeof payload.agency === 'string' ? payload.agency : undefined,
    supervisor: payload.supervisor === true,
    level: role === 'citizen' ? (level ?? 'simplified') : undefined,
  };
}

/** How many verified tokens are remembered: about one per active user of one API process. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * HS256 with a shared secret, or an OpenID provider's JWKS: the identity provider is
 * pluggable. A status poll comes every few seconds with the same token, so a verified
 * token is remembered until it expires: its signature and claims cannot change, and
 * checking them again cost more than the rest of the poll.
 */
export function createTokenVerifier(auth: Config['auth']): TokenVerifier {
  // A KeyObject is imported once; raw bytes would be imported on every verification.
  const key = auth.jwksUrl ? createRemoteJWKSet(new URL(auth.jwksUrl)) : createSecretKey(Buffer.from(auth.jwtSecret ?? ''));
  const verified = new Map<string, { principal: Principal; expiresAt: number }>();
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.principal;
      verified.delete(token);
      const { payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        issuer: auth.issuer,
        audience: auth.audience,
      });
      const principal = toPrincipal(payload);
      if (payload.exp !== undefined) {
        // Oldest first: a Map iterates in insertion order.
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
        verified.set(token, { principal, expiresAt: payload.exp * 1000 });
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
