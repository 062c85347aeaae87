import type { JWTPayload } from 'jose';
import type { ClaimMapping } from '../config';
import { ACCOUNT_LEVELS, ROLES, type AccountLevel, type Role } from '../core/case-model';
import type { Principal } from '../core/principal';

/** The claim at a dotted path (`realm_access.roles`), or undefined. */
function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const name of path.split('.')) {
    if (!value || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/** A provider's value translated by `values`, or taken as this system's own name when there is no table. */
function translate<T extends string>(value: unknown, own: readonly T[], values: Record<string, T> | undefined): T | undefined {
  if (typeof value !== 'string') return undefined;
  if (values) return Object.hasOwn(values, value) ? values[value] : undefined;
  return own.includes(value as T) ? (value as T) : undefined;
}

/**
 * Who a verified token says the caller is, read where `claims` points. A role claim may
 * be a list (providers put every group there): exactly one of its values must map to a
 * role, for a token that maps to two would let the caller choose which to act as.
 */
export function principalFromClaims(payload: JWTPayload, claims: ClaimMapping): Principal {
  const subject = claimAt(payload, claims.subject);
  if (typeof subject !== 'string' || !subject) throw new Error(`the token has no subject (${claims.subject})`);
  const roles = new Set([claimAt(payload, claims.role)].flat().map((v) => translate<Role>(v, ROLES, claims.roleValues)).filter((r) => r !== undefined));
  if (roles.size !== 1) throw new Error(roles.size ? `the token maps to several roles (${claims.role})` : `the token maps to no role (${claims.role})`);
  const [role] = roles as Set<Role>;
  const agency = claimAt(payload, claims.agency);
  const level = translate<AccountLevel>(claimAt(payload, claims.level), ACCOUNT_LEVELS, claims.levelValues);
  return {
    id: subject,
    role: role!,
    agency: typeof agency === 'string' ? agency : undefined,
    supervisor: claimAt(payload, claims.supervisor) === true,
    level: role === 'citizen' ? (level ?? 'simplified') : undefined,
  };
}
