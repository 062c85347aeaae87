/**
 * Issuing a result document: rendered, signed by the system, stored by its hash and
 * registered under its verification code, once per (case, issue round).
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Appointment, IssuedDocumentKind, PrintedField } from '../core/result-document';
import type { Db } from '../db/client';
import { findIssuedForRound, registerIssuedDocument, type IssuedDocumentRow } from '../db/queries/issued-documents';
import type { DocumentStorage } from '../documents/storage';
import { renderDocumentPdf } from './pdf';
import type { ResultSigner } from './signing-key';
import { newVerificationCode, verificationUrl } from './verification-code';

export interface DocumentIssuerDeps {
  db: Db;
  storage: DocumentStorage;
  signer: ResultSigner;
  verifyBaseUrl: string;
}

export interface IssueRequest {
  kind: IssuedDocumentKind;
  caseNumber: string;
  round: string;
  holderId: string;
  resultType: 'electronic_document' | 'in_person_pickup';
  issuer: string;
  title: string;
  fields: PrintedField[];
  /** In-person results: printed among the fields, and no PDF is made. */
  appointment?: Appointment;
  /** A code the document must carry (an extract's); otherwise a new one. */
  code?: string;
}

export type DocumentIssuer = (req: IssueRequest) => Promise<IssuedDocumentRow>;

export function createDocumentIssuer({ db, storage, signer, verifyBaseUrl }: DocumentIssuerDeps): DocumentIssuer {
  return async (req) => {
    const issued = await findIssuedForRound(db, req.caseNumber, req.round);
    if (issued) return issued;
    const code = req.code ?? newVerificationCode();
    const issuedAt = new Date().toISOString();
    let file: { sha256: string; signature: string; keyId: string } | null = null;
    if (req.resultType === 'electronic_document') {
      const pdf = await renderDocumentPdf({ issuer: req.issuer, title: req.title, fields: req.fields, code, verifyUrl: verificationUrl(verifyBaseUrl, code), issuedAt });
      const sha256 = createHash('sha256').update(pdf).digest('hex');
      const staged = storage.stagingPath();
      await writeFile(staged, pdf);
      // Stored before it is registered: a registered document always has its bytes. An
      // attempt that loses the race to register leaves its file unreferenced, nothing more.
      await storage.put(staged, sha256);
      file = { sha256, signature: signer.sign(pdf).toString('base64'), keyId: signer.keyId };
    }
    return registerIssuedDocument(db, {
      code,
      kind: req.kind,
      caseNumber: req.caseNumber,
      round: req.round,
      holderId: req.holderId,
      resultType: req.resultType,
      title: req.title,
      printed: req.fields,
      appointment: req.appointment ?? null,
      sha256: file?.sha256 ?? null,
      signature: file?.signature ?? null,
      keyId: file?.keyId ?? null,
      issuedAt,
    });
  };
}
