import { lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { codeSends } from '../schema';

/** Why a code may not go out now, and in how many whole seconds it may. */
export interface CodeSendRefusal {
  reason: 'cooldown' | 'daily_cap';
  retryAfter: number;
}

/**
 * Records a code about to go to `recipientDigest`, unless the last code to that address
 * (or of that `registration`, on either of its channels) went out less than
 * `cooldownSeconds` ago, or `dailyCap` codes went to that address within a day.
 * Serialised per address and registration, so two requests at once cannot both slip
 * under a limit.
 */
export async function takeCodeSend(
  db: Db,
  req: { recipientDigest: string; registration?: string; cooldownSeconds: number; dailyCap: number },
): Promise<CodeSendRefusal | undefined> {
  const registration = req.registration ?? null;
  return db.transaction(async (tx) => {
    // Always the address first, then the registration: no two transactions wait for each other in a circle.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('code_sends:recipient'), hashtext(${req.recipientDigest}))`);
    if (registration) await tx.execute(sql`select pg_advisory_xact_lock(hashtext('code_sends:registration'), hashtext(${registration}))`);
    await tx.delete(codeSends).where(lt(codeSends.sentAt, sql`now() - interval '1 day'`));
    const [left] = (await tx.execute(sql`
      select
        (select ceil(extract(epoch from max(sent_at) + ${req.cooldownSeconds}::int * interval '1 second' - now()))::int
           from code_sends where recipient_digest = ${req.recipientDigest} or registration_account_id = ${registration}) as cooldown,
        -- Once the cap-th latest send to the address is a day old, fewer than the cap are left in the day.
        (select ceil(extract(epoch from sent_at + interval '1 day' - now()))::int
           from code_sends where recipient_digest = ${req.recipientDigest}
           order by sent_at desc offset ${req.dailyCap - 1}::int limit 1) as daily_cap
    `)) as unknown as [{ cooldown: number | null; daily_cap: number | null }];
    const cooldown = left?.cooldown ?? 0;
    const dailyCap = left?.daily_cap ?? 0;
    if (dailyCap > 0 && dailyCap >= cooldown) return { reason: 'daily_cap', retryAfter: dailyCap };
    if (cooldown > 0) return { reason: 'cooldown', retryAfter: cooldown };
    await tx.insert(codeSends).values({ recipientDigest: req.recipientDigest, registrationAccountId: registration });
    return undefined;
  });
}
