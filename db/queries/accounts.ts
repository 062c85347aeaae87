import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, ne, or, sql } from 'drizzle-orm';
import type { AccountLevel } from '../../core/case-model';
import type { CodeChannel } from '../../core/identity';
import type { Db } from '../client';
import { accounts, identitySignatures, identitySubmissions } from '../schema';
import { isUniqueViolation } from '../unique-violation';

export type AccountRow = typeof accounts.$inferSelect;

/** Which of these contacts an active account holds already; a pending one holds none: whoever confirms first gets it. */
export async function contactHeldByActive(db: Db, c: { phone?: string; email?: string }): Promise<'phone' | 'email' | undefined> {
  const [holder] = await db
    .select({ phone: accounts.phone })
    .from(accounts)
    .where(and(eq(accounts.status, 'active'), or(c.phone ? eq(accounts.phone, c.phone) : undefined, c.email ? eq(accounts.email, c.email) : undefined)))
    .limit(1);
  if (!holder) return undefined;
  return c.phone && holder.phone === c.phone ? 'phone' : 'email';
}

export async function insertPendingAccount(db: Db, a: { id: string; name: string; phone?: string; email?: string; passwordHash: string }): Promise<void> {
  // An account with this id already there is the one a retried registration made (its id derives from the request's key).
  await db
    .insert(accounts)
    .values({ id: a.id, name: a.name, phone: a.phone ?? null, email: a.email ?? null, passwordHash: a.passwordHash, status: 'pending' })
    .onConflictDoNothing({ target: accounts.id });
}

/** The account a login names: the active one that holds it, else the latest registration still pending with it. */
export async function findAccountByLogin(db: Db, login: string): Promise<AccountRow | undefined> {
  const [row] = await db
    .select()
    .from(accounts)
    .where(login.includes('@') ? eq(accounts.email, login.toLowerCase()) : eq(accounts.phone, login))
    .orderBy(sql`${accounts.status} = 'active' desc`, desc(accounts.createdAt))
    .limit(1);
  return row;
}

export async function getAccountName(db: Db, id: string): Promise<string | undefined> {
  const [row] = await db.select({ name: accounts.name }).from(accounts).where(eq(accounts.id, id));
  return row?.name;
}

export async function setPostalAddress(db: Db, id: string, postalAddress: string): Promise<void> {
  await db.update(accounts).set({ postalAddress, updatedAt: new Date().toISOString() }).where(eq(accounts.id, id));
}

/** Stores a signature to be checked; an id given (a retried request's) is stored once. */
export async function saveIdentitySignature(
  db: Db,
  { id = randomUUID(), ...s }: { id?: string; caseNumber: string; accountId: string; certificatePem: string; signature: string },
): Promise<string> {
  await db.insert(identitySignatures).values({ id, ...s }).onConflictDoNothing({ target: identitySignatures.id });
  return id;
}

export async function getAccount(db: Db, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row;
}

/** The account whose SNILS this is, other than `exceptId`: one account per person. */
export async function findSnilsHolder(db: Db, snils: string, exceptId: string): Promise<string | undefined> {
  const [holder] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.snils, snils), ne(accounts.id, exceptId)));
  return holder?.id;
}

/**
 * Binds the SNILS checked in the identity case to the account and raises it to
 * standard, in one transaction with the check that no other account holds that SNILS.
 */
export async function bindCheckedSnils(
  db: Db,
  req: { caseNumber: string; accountId: string },
): Promise<'granted' | 'taken' | 'no_submission'> {
  return db.transaction(async (tx) => {
    const [submission] = await tx.select().from(identitySubmissions).where(eq(identitySubmissions.caseNumber, req.caseNumber));
    if (!submission) return 'no_submission';
    const [holder] = await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.snils, submission.snils));
    if (holder && holder.id !== req.accountId) return 'taken';
    await tx
      .update(accounts)
      .set({
        snils: submission.snils,
        // Never lower a level: a confirmed account re-checking its data stays confirmed.
        level: sql`case when ${accounts.level} = 'confirmed' then 'confirmed' else 'standard' end`,
        updatedAt: new Date().toISOString(),
      })
      .where(eq(accounts.id, req.accountId));
    return 'granted';
  });
}

/** Confirmed needs standard first: false when the account is not standard yet. */
export async function raiseToConfirmed(db: Db, accountId: string): Promise<boolean> {
  const updated = await db
    .update(accounts)
    .set({ level: 'confirmed', updatedAt: new Date().toISOString() })
    .where(and(eq(accounts.id, accountId), inArray(accounts.level, ['standard', 'confirmed'])))
    .returning({ id: accounts.id });
  return updated.length > 0;
}

/**
 * Activates a registered account, unless another account confirmed its phone or e-mail
 * first (the unique index of active addresses refuses it). Again on an active account: the same.
 * With `confirmed`, only the contact of that channel is kept: the other one was never
 * proved by a code sent to it, and binding it would let anyone take another's e-mail
 * or phone by registering it beside their own.
 */
export async function activateAccount(db: Db, accountId: string, level: AccountLevel, confirmed?: CodeChannel): Promise<'activated' | 'taken'> {
  const unproved = confirmed === 'sms' ? { email: null } : confirmed === 'email' ? { phone: null } : {};
  try {
    await db
      .update(accounts)
      .set({ status: 'active', level, ...unproved, updatedAt: new Date().toISOString() })
      .where(eq(accounts.id, accountId));
    return 'activated';
  } catch (err) {
    if (isUniqueViolation(err)) return 'taken';
    throw err;
  }
}

/** Gives up the phone and e-mail of a registration that ended unconfirmed; an active or released account is left as it is. */
export async function releasePendingAccount(db: Db, accountId: string): Promise<void> {
  await db
    .update(accounts)
    .set({ status: 'released', phone: null, email: null, updatedAt: new Date().toISOString() })
    .where(and(eq(accounts.id, accountId), eq(accounts.status, 'pending')));
}
