import { invalidState } from '../core/failures';
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';
import { getAccount, type AccountRow } from '../db/queries/accounts';

/**
 * Level upgrades act on the account behind the token, as it is now: a token may carry
 * an older level, or come from an identity provider for which no account exists here.
 */
export async function activeAccount(db: Db, who: Principal): Promise<AccountRow & { level: NonNullable<AccountRow['level']> }> {
  const account = await getAccount(db, who.id);
  if (!account || account.status !== 'active' || !account.level) {
    throw invalidState('no confirmed account belongs to this token: register and confirm your phone or e-mail first');
  }
  return account as AccountRow & { level: NonNullable<AccountRow['level']> };
}
