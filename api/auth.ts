import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IdentityProviderUnreachable } from '../accounts/oidc';
import type { TokenVerifier } from '../accounts/tokens';
import type { Role } from '../core/case-model';
import { FailureType, forbidden, Refusal } from '../core/failures';
import type { Principal } from '../core/principal';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent means public. */
    roles?: readonly Role[];
  }
}

/** Every route declares `config.roles`; this hook enforces them before validation runs. */
export function registerAuth(app: FastifyInstance, verifier: TokenVerifier): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const roles = request.routeOptions.config?.roles;
    if (!roles) return;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new Refusal(FailureType.Unauthenticated, 'a bearer token is required');
    try {
      request.principal = await verifier.verify(token);
    } catch (err) {
      // The caller learns only that the token was refused; operators must hear of a provider that is away.
      if (err instanceof IdentityProviderUnreachable) request.log.warn({ err: err.message }, 'identity provider unreachable');
      throw new Refusal(FailureType.Unauthenticated, 'the token is invalid or expired');
    }
    if (!roles.includes(request.principal.role)) {
      throw forbidden(`this action needs the role ${roles.join(' or ')}`);
    }
  });
}

export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new Refusal(FailureType.Unauthenticated, 'a bearer token is required');
  return request.principal;
}
