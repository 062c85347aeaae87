import { eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { signInFailures } from '../schema';

/** How failed sign-ins of one key hold it back: `free` failures, then holds from `lockSeconds` doubling to `lockMaxSeconds`. */
export interface SignInHold {
  freeFailures: number;
  lockSeconds: number;
  lockMaxSeconds: number;
}

/** The failures a day without any is forgotten after. */
const MEMORY = sql`interval '1 day'`;

/**
 * The hold after the last failure of row `f`: none for the free failures, then doubling
 * (the exponent capped: the cap is reached long before a double overflows).
 */
const holdEnds = (h: SignInHold) =>
  sql`f.last_failure_at + case when f.failures < ${h.freeFailures}::int then interval '0'
    else least(${h.lockSeconds}::int * power(2, least(f.failures - ${h.freeFailures}::int, 30)), ${h.lockMaxSeconds}::int) * interval '1 second' end`;

/**
 * Takes one sign-in attempt for `key` and counts it as failed until `forgetSignInFailures`
 * says it succeeded, so a burst of attempts at once cannot slip past the count. Refused
 * while the key is held: the answer is then the whole seconds until the hold ends, and the
 * refused attempt neither counts nor prolongs the hold.
 */
export async function takeSignInAttempt(db: Db, key: string, hold: SignInHold): Promise<{ retryAfter: number } | undefined> {
  await db.delete(signInFailures).where(sql`${signInFailures.lastFailureAt} < now() - ${MEMORY}`);
  const taken = await db.execute(sql`
    insert into sign_in_failures as f (key, failures, last_failure_at) values (${key}, 1, now())
    on conflict (key) do update set failures = f.failures + 1, last_failure_at = now()
    where ${holdEnds(hold)} <= now()
    returning f.failures`);
  if (taken.length) return undefined;
  const [held] = (await db.execute(sql`
    select greatest(1, ceil(extract(epoch from ${holdEnds(hold)} - now())))::int as retry_after
    from sign_in_failures f where f.key = ${key}`)) as unknown as Array<{ retry_after: number }>;
  return { retryAfter: held?.retry_after ?? 1 };
}

/** A successful sign-in: the key starts afresh. */
export async function forgetSignInFailures(db: Db, key: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.key, key));
}
