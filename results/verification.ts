/**
 * Public verification of result documents, no sign-in: by the code printed on one (or
 * its QR code), or by the bytes of a PDF someone was handed. Answers only what the
 * document itself shows, and where it stands.
 */
import { createHash } from 'node:crypto';
import { invalid, notFound } from '../core/failures';
import { standingOf, type DocumentStanding, type IssuedDocumentKind, type PrintedField } from '../core/result-document';
import type { Db } from '../db/client';
import { findIssuedByCode, findIssuedBySha256, type IssuedDocumentRow } from '../db/queries/issued-documents';

export interface PublicDocumentView {
  standing: DocumentStanding;
  code: string;
  kind: IssuedDocumentKind;
  title: string;
  printed: PrintedField[];
  issuedAt: string;
  supersededAt: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
  /** In-person results have no file, so no hash and no signature. */
  sha256: string | null;
  signature: string | null;
  keyId: string | null;
}

export function publicView(row: IssuedDocumentRow): PublicDocumentView {
  return {
    standing: standingOf(row),
    code: row.code,
    kind: row.kind,
    title: row.title,
    printed: row.printed,
    issuedAt: row.issuedAt,
    supersededAt: row.supersededAt,
    revokedAt: row.revokedAt,
    revocationReason: row.revocationReason,
    sha256: row.sha256,
    signature: row.signature,
    keyId: row.keyId,
  };
}

export async function verifyByCode(db: Db, code: string): Promise<PublicDocumentView> {
  const row = await findIssuedByCode(db, code);
  if (!row) throw notFound('a document with this code (it is not genuine)');
  return publicView(row);
}

/** Any change to a document's bytes changes their hash: only an unaltered copy is in the register. */
export async function verifyByContent(db: Db, bytes: Buffer): Promise<{ registered: false; sha256: string } | ({ registered: true } & PublicDocumentView)> {
  if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') throw invalid('the body is not a PDF', [{ path: '/body', message: 'expected a PDF file' }]);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const row = await findIssuedBySha256(db, sha256);
  return row ? { registered: true, ...publicView(row) } : { registered: false, sha256 };
}
