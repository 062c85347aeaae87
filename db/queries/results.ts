import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import { results } from '../schema';

export type ResultRow = typeof results.$inferSelect;

/** One result per case: a retry gets the row the first attempt stored, not its own. */
export async function storeResultOnce(db: Db, row: typeof results.$inferInsert): Promise<ResultRow> {
  await db.insert(results).values(row).onConflictDoNothing({ target: results.caseNumber });
  const [stored] = await db.select().from(results).where(eq(results.caseNumber, row.caseNumber));
  if (!stored) throw new Error(`result for ${row.caseNumber} vanished after insert`);
  return stored;
}
