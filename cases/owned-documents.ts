import type { DocumentRef } from '../core/case-model';
import { invalid, type FieldError } from '../core/failures';
import type { Db } from '../db/client';
import { findOwnedDocuments } from '../db/queries/documents';

/** Field errors for the requested documents that are not among the caller's own. */
export function unknownDocumentErrors(requestedIds: string[], found: DocumentRef[]): FieldError[] {
  const foundIds = new Set(found.map((d) => d.id));
  return requestedIds.flatMap((id, i) => (foundIds.has(id) ? [] : [{ path: `/body/documents/${i}`, message: 'no such document of yours' }]));
}

/** The caller's documents by id, in request order; any other id is a 400 naming its place. */
export async function ownedDocuments(db: Db, ownerId: string, ids: string[]): Promise<DocumentRef[]> {
  const docs = await findOwnedDocuments(db, ownerId, ids);
  const errors = unknownDocumentErrors(ids, docs);
  if (errors.length) throw invalid('unknown document', errors);
  return docs;
}
