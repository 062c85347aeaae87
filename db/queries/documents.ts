import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DocumentRef } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import type { Db } from '../client';
import { cases, documents } from '../schema';

export type DocumentRow = typeof documents.$inferSelect;

export async function insertDocument(db: Db, row: typeof documents.$inferInsert): Promise<DocumentRow> {
  const [inserted] = await db.insert(documents).values(row).returning();
  return inserted!;
}

export async function getDocument(db: Db, id: string): Promise<DocumentRow | undefined> {
  const [row] = await db.select().from(documents).where(eq(documents.id, id));
  return row;
}

/** The citizen's own documents among `ids`, in the order asked; others are left out. */
export async function findOwnedDocuments(db: Db, ownerId: string, ids: string[]): Promise<DocumentRef[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(documents)
    .where(and(eq(documents.ownerId, ownerId), inArray(documents.id, ids)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [{ id: r.id, type: r.type, fileName: r.fileName, sha256: r.sha256 }] : [];
  });
}

/**
 * The owner, an admin, a reviewer of an agency whose case carries the document, or an
 * appeal expert when an appeal or a case under appeal carries it.
 */
export async function canReadDocument(db: Db, who: Principal, doc: DocumentRow): Promise<boolean> {
  if (who.role === 'admin' || doc.ownerId === who.id) return true;
  const carries = sql`${cases.detail}->'documents' @> ${JSON.stringify([{ id: doc.id }])}::jsonb`;
  let scope;
  if (who.role === 'reviewer' && who.agency) scope = eq(cases.agency, who.agency);
  else if (who.role === 'expert') {
    scope = sql`(${cases.kind} = 'appeal' or exists (select 1 from cases a where a.kind = 'appeal' and a.related_number = ${cases.number}))`;
  } else return false;
  const [hit] = await db.select({ number: cases.number }).from(cases).where(and(scope, carries)).limit(1);
  return Boolean(hit);
}
