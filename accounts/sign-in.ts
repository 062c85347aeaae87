import { mintToken } from '../accounts/tokens';
import type { Config } from '../config';
import type { AccountLevel } from '../core/case-model';
import { FailureType, forbidden, Refusal } from '../core/failures';
import type { Db } from '../db/client';
import { findAccountByLogin } from '../db/queries/accounts';
import { verifyPassword } from './passwords';

/** Phones are matched without the spaces, brackets and dashes people type them with. */
function normaliseLogin(login: string): string {
  return login.includes('@') ? login : login.replace(/[\s()-]/g, '');
}

/**
 * Signs a citizen in with a phone or e-mail and password: a bearer token carrying the
 * account's level. An unknown login and a wrong password get the same 401, so logins
 * cannot be probed; an account whose phone or e-mail is not confirmed yet gets 403.
 */
export async function signIn(
  deps: { db: Db; auth: Config['auth'] },
  credentials: { login: string; password: string },
): Promise<{ token: string; accountId: string; level: AccountLevel }> {
  const account = await findAccountByLogin(deps.db, normaliseLogin(credentials.login));
  if (!account || !(await verifyPassword(credentials.password, account.passwordHash))) {
    throw new Refusal(FailureType.Unauthenticated, 'wrong login or password');
  }
  if (account.status !== 'active' || !account.level) throw forbidden('confirm your phone or e-mail first');
  const token = await mintToken(deps.auth, { id: account.id, role: 'citizen', level: account.level });
  return { token, accountId: account.id, level: account.level };
}
