import { randomUUID } from 'node:crypto';
import { eq, or } from 'drizzle-orm';
import type { Db } from '../client';
import { accounts, identitySignatures } from '../schema';

export type AccountRow = typeof accounts.$inferSelect;

/** Creates a pending account, or says which contact already belongs to another one. */
export async function insertPendingAccount(
  db: Db,
  a: { id: string; name: string; phone?: string; email?: string; passwordHash: string },
): Promise<{ created: true } | { created: false; taken: 'phone' | 'email' }> {
  const inserted = await db
    .insert(accounts)
    .values({ id: a.id, name: a.name, phone: a.phone ?? null, email: a.email ?? null, passwordHash: a.passwordHash, status: 'pending' })
    .onConflictDoNothing()
    .returning({ id: accounts.id });
  if (inserted.length) return { created: true };
  const [clash] = await db
    .select({ phone: accounts.phone })
    .from(accounts)
    .where(or(a.phone ? eq(accounts.phone, a.phone) : undefined, a.email ? eq(accounts.email, a.email) : undefined));
  return { created: false, taken: a.phone && clash?.phone === a.phone ? 'phone' : 'email' };
}

export async function findAccountByLogin(db: Db, login: string): Promise<AccountRow | undefined> {
  const [row] = await db
    .select()
    .from(accounts)
    .where(login.includes('@') ? eq(accounts.email, login.toLowerCase()) : eq(accounts.phone, login));
  return row;
}

export async function getAccountName(db: Db, id: string): Promise<string | undefined> {
  const [row] = await db.select({ name: accounts.name }).from(accounts).where(eq(accounts.id, id));
  return row?.name;
}

export async function setPostalAddress(db: Db, id: string, postalAddress: string): Promise<void> {
  await db.update(accounts).set({ postalAddress, updatedAt: new Date().toISOString() }).where(eq(accounts.id, id));
}

export async function saveIdentitySignature(
  db: Db,
  s: { caseNumber: string; accountId: string; certificatePem: string; signature: string },
): Promise<string> {
  const id = randomUUID();
  await db.insert(identitySignatures).values({ id, ...s });
  return id;
}

export async function getAccount(db: Db, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row;
}
