import type { Config } from '../config';
import { tooManyRequests } from '../core/failures';
import type { Db } from '../db/client';
import { takeCodeSend } from '../db/queries/code-sends';
import { addressDigest } from './address-digest';

const REFUSALS = {
  cooldown: (s: number) => `a code was sent to this address or for this registration moments ago; the next can be sent in ${s} s`,
  daily_cap: (s: number) => `this address has had as many codes as a day allows; the next can be sent in ${s} s`,
} as const;

/**
 * Lets one more one-time code go to `address` (for `registration`, the pending account of
 * one, whose restarts share its cooldown on either channel), or refuses with when to come
 * back: nobody can make the system flood a phone or a mailbox with codes, whether by
 * restarting one registration or by starting many.
 */
export async function allowCodeSend(db: Db, identity: Config['identity'], to: { address: string; registration?: string }): Promise<void> {
  const refusal = await takeCodeSend(db, {
    recipientDigest: addressDigest(identity.codeSecret, to.address),
    registration: to.registration,
    ...identity.codeSends,
  });
  if (refusal) throw tooManyRequests(REFUSALS[refusal.reason](refusal.retryAfter), refusal);
}
