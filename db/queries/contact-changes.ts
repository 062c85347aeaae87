import { and, eq, ne } from 'drizzle-orm';
import type { CodeChannel } from '../../core/identity';
import type { Db } from '../client';
import { accounts, contactChanges } from '../schema';
import type { Tx } from '../client';

export type ContactChangeRow = typeof contactChanges.$inferSelect;

/** The account column of a channel's address. */
const addressColumn = (channel: CodeChannel) => (channel === 'sms' ? accounts.phone : accounts.email);

/** Once per case: a retried request's case number comes back with its change recorded already. */
export async function insertContactChange(db: Db, row: { caseNumber: string; accountId: string; channel: CodeChannel; address: string }): Promise<void> {
  await db.insert(contactChanges).values(row).onConflictDoNothing({ target: contactChanges.caseNumber });
}

export async function getContactChange(db: Db, caseNumber: string): Promise<ContactChangeRow | undefined> {
  const [row] = await db.select().from(contactChanges).where(eq(contactChanges.caseNumber, caseNumber));
  return row;
}

/** Whether an active account other than `exceptId` holds `address` on `channel` (a pending registration holds none). */
export async function addressHeldByAnother(db: Db | Tx, channel: CodeChannel, address: string, exceptId: string): Promise<boolean> {
  const [holder] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(addressColumn(channel), address), ne(accounts.id, exceptId), eq(accounts.status, 'active')));
  return holder !== undefined;
}

/**
 * Gives the account the confirmed address and keeps the one it replaced, in one
 * transaction with the check that no other account took the address meanwhile. A second
 * call (a retried activity) finds it applied. Two accounts taking the same address at
 * once: the unique index fails the later one, whose retry then finds it taken.
 */
export async function applyContactChange(db: Db, caseNumber: string): Promise<'applied' | 'taken' | 'missing'> {
  return db.transaction(async (tx) => {
    const [change] = await tx.select().from(contactChanges).where(eq(contactChanges.caseNumber, caseNumber)).for('update');
    if (!change) return 'missing';
    if (change.appliedAt) return 'applied';
    if (await addressHeldByAnother(tx, change.channel, change.address, change.accountId)) return 'taken';
    const [account] = await tx.select({ email: accounts.email, phone: accounts.phone }).from(accounts).where(eq(accounts.id, change.accountId)).for('update');
    if (!account) return 'missing';
    const at = new Date().toISOString();
    await tx
      .update(accounts)
      .set(change.channel === 'sms' ? { phone: change.address, updatedAt: at } : { email: change.address, updatedAt: at })
      .where(eq(accounts.id, change.accountId));
    await tx
      .update(contactChanges)
      .set({ replacedAddress: change.channel === 'sms' ? account.phone : account.email, appliedAt: at })
      .where(eq(contactChanges.caseNumber, caseNumber));
    return 'applied';
  });
}
