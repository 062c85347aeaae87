import { eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { documentBlobs } from '../schema';

/** Idempotent: the same bytes stored again, or by two instances at once, leave the one row. */
export async function storeDocumentBlob(db: Db, sha256: string, content: Buffer): Promise<void> {
  await db.insert(documentBlobs).values({ sha256, content }).onConflictDoNothing();
}

export async function documentBlobExists(db: Db, sha256: string): Promise<boolean> {
  const [row] = await db.select({ one: sql`1` }).from(documentBlobs).where(eq(documentBlobs.sha256, sha256));
  return Boolean(row);
}

export async function documentBlob(db: Db, sha256: string): Promise<Buffer | undefined> {
  const [row] = await db.select({ content: documentBlobs.content }).from(documentBlobs).where(eq(documentBlobs.sha256, sha256));
  return row?.content;
}
