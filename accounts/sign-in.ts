import { mintToken } from '../accounts/tokens';
import type { Config } from '../config';
import type { AccountLevel } from '../core/case-model';
import { FailureType, forbidden, Refusal, tooManyRequests } from '../core/failures';
import type { Db } from '../db/client';
import { findAccountByLogin } from '../db/queries/accounts';
import { forgetSignInFailures, takeSignInAttempt } from '../db/queries/sign-in-failures';
import { addressDigest } from './address-digest';
import { verifyPassword } from './passwords';

/** Phones are matched without the spaces, brackets and dashes people type them with; e-mails in lower case. */
function normaliseLogin(login: string): string {
  return login.includes('@') ? login.toLowerCase() : login.replace(/[\s()-]/g, '');
}

/**
 * Signs a citizen in with a phone or e-mail and password: a bearer token carrying the
 * account's level. An unknown login and a wrong password get the same 401, so logins
 * cannot be probed; an account whose phone or e-mail is not confirmed yet gets 403.
 *
 * Guessing is counted per account, whatever address it comes from: past the free failures
 * each attempt waits out a hold that doubles up to its cap (429 with Retry-After), and a
 * success starts afresh. A login no account has is counted the same way under its keyed
 * digest, so the holds tell nobody whether an account exists. A hold always ends: whoever
 * guesses can keep an account's owner waiting at most the cap, never lock them out.
 */
export async function signIn(
  deps: { db: Db; auth: Config['auth']; identity: Config['identity'] },
  credentials: { login: string; password: string },
): Promise<{ token: string; accountId: string; level: AccountLevel }> {
  const login = normaliseLogin(credentials.login);
  const account = await findAccountByLogin(deps.db, login);
  const key = account ? `account:${account.id}` : `login:${addressDigest(deps.identity.codeSecret, login)}`;
  const held = await takeSignInAttempt(deps.db, key, deps.identity.signIn);
  if (held) {
    throw tooManyRequests(`too many failed sign-ins with this login; try again in ${held.retryAfter} s`, { reason: 'sign_in_failures', retryAfter: held.retryAfter });
  }
  if (!account || !(await verifyPassword(credentials.password, account.passwordHash))) {
    throw new Refusal(FailureType.Unauthenticated, 'wrong login or password');
  }
  await forgetSignInFailures(deps.db, key);
  if (account.status !== 'active' || !account.level) throw forbidden('confirm your phone or e-mail first');
  const token = await mintToken(deps.auth, { id: account.id, role: 'citizen', level: account.level });
  return { token, accountId: account.id, level: account.level };
}
