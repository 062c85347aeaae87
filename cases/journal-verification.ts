import { notFound } from '../core/failures';
import type { Db } from '../db/client';
import { checkJournalChain, type ChainCheck } from '../db/queries/journal-chain';

export type JournalVerification = ChainCheck & { number: string; intact: boolean };

/** Whether a case's journal is as it was written; who may ask is the route's rule (admins). */
export async function verifyCaseJournal(db: Db, number: string): Promise<JournalVerification> {
  const check = await checkJournalChain(db, number);
  if (!check) throw notFound(`case ${number}`);
  return { number, intact: check.firstMismatch === null, ...check };
}
