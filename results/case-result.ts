import { caseVisibleTo } from '../cases/access';
import { notFound } from '../core/failures';
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';
import { findIssuedByCode, type IssuedDocumentRow } from '../db/queries/issued-documents';

export type DownloadableDocument = IssuedDocumentRow & { sha256: string; signature: string };

/** The result document a case shows now, for whoever may see the case (its holder, the agency's officials). */
export async function caseResultDocument(db: Db, who: Principal, number: string): Promise<DownloadableDocument> {
  const row = await caseVisibleTo(db, who, number, ['application', 'epts_change']);
  const code = row.kind === 'application' ? row.detail.result?.verificationCode : row.detail.result?.extractCode;
  const doc = code ? await findIssuedByCode(db, code) : undefined;
  if (!doc) throw notFound(`a result document of case ${number}`);
  if (!doc.sha256 || !doc.signature) throw notFound(`a result document of case ${number} (its result is collected in person: see the appointment)`);
  return doc as DownloadableDocument;
}
