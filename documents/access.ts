import { notFound } from '../core/failures';
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';
import { canReadDocument, getDocument, type DocumentRow } from '../db/queries/documents';

/**
 * The document, for its owner, a reviewer of a case carrying it or an admin; anyone
 * else gets 404, since a 403 would tell them the document exists.
 */
export async function readableDocument(db: Db, who: Principal, id: string): Promise<DocumentRow> {
  const doc = await getDocument(db, id);
  if (!doc || !(await canReadDocument(db, who, doc))) throw notFound(`document ${id}`);
  return doc;
}
