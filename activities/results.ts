import { randomBytes } from 'node:crypto';
import type { IssuedResult } from '../core/application';
import type { Db } from '../db/client';
import { storeResultOnce } from '../db/queries/results';

export interface ResultRequest {
  number: string;
  serviceCode: string;
  serviceName: string;
  applicantId: string;
  resultType: 'electronic_document' | 'in_person_pickup';
  decidedAt: string;
}

/** Unambiguous when read aloud or typed from paper: no 0/O, 1/I/L. */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

export function newVerificationCode(): string {
  const bytes = randomBytes(12);
  const chars = Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars.slice(8).join('')}`;
}

/** One result per case: a retry returns the record the first attempt stored. */
export async function issueResult(db: Db, req: ResultRequest): Promise<IssuedResult> {
  const title =
    req.resultType === 'electronic_document'
      ? `Результат услуги «${req.serviceName}» по заявлению ${req.number}`
      : `Приглашение за результатом услуги «${req.serviceName}» по заявлению ${req.number}`;
  const row = await storeResultOnce(db, {
    caseNumber: req.number,
    verificationCode: newVerificationCode(),
    resultType: req.resultType,
    title,
    applicantId: req.applicantId,
    issuedAt: new Date().toISOString(),
  });
  return { verificationCode: row.verificationCode, resultType: row.resultType, title: row.title, issuedAt: row.issuedAt };
}
