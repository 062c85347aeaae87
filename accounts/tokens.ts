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

/** HS256 with a shared secret, or an OpenID provider's JWKS: the identity provider is pluggable. */
export function createTokenVerifier(auth: Config['auth']): TokenVerifier {
  const key = auth.jwksUrl ? createRemoteJWKSet(new URL(auth.jwksUrl)) : new TextEncoder().encode(auth.jwtSecret);
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        issuer: auth.issuer,
        audience: auth.audience,
      });
      return toPrincipal(payload);
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
