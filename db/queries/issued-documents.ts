import { and, eq, isNull, ne } from 'drizzle-orm';
import type { Db } from '../client';
import { issuedDocuments } from '../schema';

export type IssuedDocumentRow = typeof issuedDocuments.$inferSelect;
export type NewIssuedDocument = Omit<typeof issuedDocuments.$inferInsert, 'supersededBy' | 'supersededAt' | 'revokedAt' | 'revocationReason'>;

export async function findIssuedForRound(db: Db, caseNumber: string, round: string): Promise<IssuedDocumentRow | undefined> {
  const [row] = await db
    .select()
    .from(issuedDocuments)
    .where(and(eq(issuedDocuments.caseNumber, caseNumber), eq(issuedDocuments.round, round)));
  return row;
}

/**
 * Registers the document of one issue round, and makes it the case's current one: every
 * earlier document of the case is superseded by it. A retry, or a second attempt racing
 * the first, gets the row that was stored first, never a second document.
 */
export async function registerIssuedDocument(db: Db, doc: NewIssuedDocument): Promise<IssuedDocumentRow> {
  return db.transaction(async (tx) => {
    await tx.insert(issuedDocuments).values(doc).onConflictDoNothing({ target: [issuedDocuments.caseNumber, issuedDocuments.round] });
    const [stored] = await tx
      .select()
      .from(issuedDocuments)
      .where(and(eq(issuedDocuments.caseNumber, doc.caseNumber), eq(issuedDocuments.round, doc.round)));
    if (!stored) throw new Error(`document of ${doc.caseNumber} (${doc.round}) vanished after insert`);
    await tx
      .update(issuedDocuments)
      .set({ supersededBy: stored.code, supersededAt: stored.issuedAt })
      .where(and(eq(issuedDocuments.caseNumber, doc.caseNumber), ne(issuedDocuments.code, stored.code), isNull(issuedDocuments.supersededBy)));
    return stored;
  });
}

/** A decision overturned: its document no longer stands (a repeat changes nothing). */
export async function revokeIssuedDocument(db: Db, code: string, reason: string): Promise<void> {
  await db
    .update(issuedDocuments)
    .set({ revokedAt: new Date().toISOString(), revocationReason: reason })
    .where(and(eq(issuedDocuments.code, code), isNull(issuedDocuments.revokedAt)));
}

export async function findIssuedByCode(db: Db, code: string): Promise<IssuedDocumentRow | undefined> {
  const [row] = await db.select().from(issuedDocuments).where(eq(issuedDocuments.code, code.toUpperCase()));
  return row;
}

export async function findIssuedBySha256(db: Db, sha256: string): Promise<IssuedDocumentRow | undefined> {
  const [row] = await db.select().from(issuedDocuments).where(eq(issuedDocuments.sha256, sha256));
  return row;
}
