import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../config';
import { ACCOUNT_LEVELS, ROLES, type AccountLevel, type Actor, type Role } from '../core/case-model';
import { Problem } from './problem';

/** Who is calling, from a verified bearer token. */
export interface Principal {
  id: string;
  role: Role;
  /** reviewers and experts: their agency */
  agency?: string;
  supervisor?: boolean;
  /** citizens: the account level the identity provider vouches for */
  level?: AccountLevel;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent means public. */
    roles?: readonly Role[];
  }
}

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

/** Every route declares `config.roles`; this hook enforces them before validation runs. */
export function registerAuth(app: FastifyInstance, verifier: TokenVerifier): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const roles = request.routeOptions.config?.roles;
    if (!roles) return;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new Problem(401, 'Unauthorized', 'a bearer token is required');
    try {
      request.principal = await verifier.verify(token);
    } catch {
      throw new Problem(401, 'Unauthorized', 'the token is invalid or expired');
    }
    if (!roles.includes(request.principal.role)) {
      throw new Problem(403, 'Forbidden', `this action needs the role ${roles.join(' or ')}`);
    }
  });
}

export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new Problem(401, 'Unauthorized', 'a bearer token is required');
  return request.principal;
}

/** The actor recorded in the journal for this request. */
export function actorOf(p: Principal): Actor {
  return { id: p.id, role: p.role, agency: p.agency, supervisor: p.supervisor };
}
