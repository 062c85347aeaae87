import { and, eq } from 'drizzle-orm';
import type { Db } from '../client';
import { identitySignatures, identitySubmissions, outbox } from '../schema';

export type IdentitySubmissionRow = typeof identitySubmissions.$inferSelect;

/** Once per case: a retried request's case number comes back with its submission stored already. */
export async function insertIdentitySubmission(db: Db, row: typeof identitySubmissions.$inferInsert): Promise<void> {
  await db.insert(identitySubmissions).values(row).onConflictDoNothing({ target: identitySubmissions.caseNumber });
}

export async function getIdentitySubmission(db: Db, caseNumber: string): Promise<IdentitySubmissionRow | undefined> {
  const [row] = await db.select().from(identitySubmissions).where(eq(identitySubmissions.caseNumber, caseNumber));
  return row;
}

export async function getIdentitySignature(db: Db, id: string): Promise<typeof identitySignatures.$inferSelect | undefined> {
  const [row] = await db.select().from(identitySignatures).where(eq(identitySignatures.id, id));
  return row;
}

/**
 * Queues a message for the gateway once per (case, message key) and returns the body that
 * was queued: a retry after the message went out gets the first body, not its own.
 */
export async function queueMessageOnce(db: Db, message: typeof outbox.$inferInsert): Promise<string | undefined> {
  const [row] = await db.insert(outbox).values(message).onConflictDoNothing().returning({ body: outbox.body });
  if (row) return row.body;
  const [queued] = await db
    .select({ body: outbox.body })
    .from(outbox)
    .where(and(eq(outbox.caseNumber, message.caseNumber), eq(outbox.messageKey, message.messageKey)));
  return queued?.body;
}
