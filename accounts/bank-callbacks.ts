/**
 * Online banks' answers to identity confirmations (SPEC §4.2). Each bank signs with a key
 * of its own and calls back at its own address (`/identity/banks/{id}/callback`). A bank
 * that signed is believed about what it did, not about anything else: a callback signed
 * with another bank's key, for another bank's request, sent too long ago or delivered
 * again is refused, and the refusal is journaled on the case. Anyone else (no known key)
 * is refused and nothing is written: an unsigned request must not add to a citizen's case.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Bank } from '../config';
import { caseWorkflowId, type ActionMeta } from '../core/case-model';
import { conflict, FailureType, forbidden, notFound, Refusal } from '../core/failures';
import type { Db } from '../db/client';
import { bankEventSeen, recordBankEvent } from '../db/queries/bank-callbacks';
import { appendToEndedCase } from '../db/queries/journal-chain';
import { signatureMatches } from '../lib/hmac-signature';
import { bankCallbackRefusedSignal, bankResultSignal } from '../workflows/identity-confirmed';
import { confirmationOf } from './confirmed-upgrade';

/** What a bank reports: its event, when it sent it, and its answer for the case. */
export interface BankCallback {
  eventId: string;
  sentAt: string;
  caseNumber: string;
  confirmed: boolean;
  reference: string;
}

export interface BankCallbackContext {
  db: Db;
  temporal: Client;
  banks: Record<string, Bank>;
  maxAgeSeconds: number;
  /** Where the callback came from, for the journal. */
  meta: Omit<ActionMeta, 'actor'>;
  log: Pick<Logger, 'warn'>;
}

const CASE_NUMBER = /^I-\d{4}-\d{7}$/;

/** The bank whose key signed `rawBody`: the addressed bank's own, or the refusal. */
export async function authenticateBankCallback(ctx: BankCallbackContext, bankId: string, rawBody: string, signature: unknown, body: unknown): Promise<string> {
  // Own ids only: `constructor` or `__proto__` in the URL name no bank.
  const bank = Object.hasOwn(ctx.banks, bankId) ? ctx.banks[bankId] : undefined;
  if (!bank) throw notFound(`bank ${bankId}`);
  if (signatureMatches(bank.secret, rawBody, signature)) return bankId;
  const signer = Object.keys(ctx.banks).find((id) => id !== bankId && signatureMatches(ctx.banks[id]!.secret, rawBody, signature));
  if (!signer) throw new Refusal(FailureType.Unauthenticated, 'the bank notification signature does not verify');
  const number = (body as { caseNumber?: unknown } | null)?.caseNumber;
  if (typeof number === 'string' && CASE_NUMBER.test(number)) {
    await recordRefusal(ctx, number, signer, `A callback to the address of ${bank.name} signed with the key of ${ctx.banks[signer]!.name} was refused`);
  }
  throw new Refusal(FailureType.Unauthenticated, `the callback is signed with the key of bank "${signer}", not of bank "${bankId}"`, { reason: 'another_banks_key' });
}

/**
 * The bank's answer, delivered to its request as a signal once it passes the checks. The
 * event is recorded after the signal: a callback whose signal failed (Temporal away) may
 * come again, and two copies racing both reach a case that counts one answer.
 */
export async function receiveBankCallback(ctx: BankCallbackContext, bankId: string, callback: BankCallback): Promise<void> {
  const bank = ctx.banks[bankId]!;
  const row = await confirmationOf(ctx.db, callback.caseNumber, 'bank');
  const ageSeconds = Math.abs(Date.now() - Date.parse(callback.sentAt)) / 1000;
  // Requests made before banks had ids named their bank by its name.
  const refusal =
    row.detail.place !== bankId && row.detail.place !== bank.name
      ? forbidden(`request ${row.number} is confirmed through another bank`, { reason: 'another_banks_request' })
      : ageSeconds > ctx.maxAgeSeconds
        ? new Refusal(FailureType.Unauthenticated, `the callback was sent at ${callback.sentAt}, more than ${ctx.maxAgeSeconds} s from now; send a new one`, { reason: 'stale_callback' })
        : (await bankEventSeen(ctx.db, { bankId, eventId: callback.eventId }))
          ? conflict(`event ${callback.eventId} reached its case before`, { reason: 'replayed_event' })
          : undefined;
  if (refusal) {
    await recordRefusal(ctx, row.number, bankId, `A callback of ${bank.name} (event ${callback.eventId}) was refused: ${refusal.message}`);
    throw refusal;
  }
  await ctx.temporal.workflow
    .getHandle(caseWorkflowId(row.number))
    .signal(bankResultSignal, { bank: bank.name, confirmed: callback.confirmed, reference: callback.reference });
  await recordBankEvent(ctx.db, { bankId, eventId: callback.eventId, caseNumber: row.number });
}

/**
 * Journals a refused callback on its case, if that is a bank confirmation: through its
 * workflow while that runs, directly once it has ended (a replay comes after the answer
 * that closed the case). The refusal is answered either way: a case that cannot be reached
 * now only loses the record of it, which the log keeps. A number no bank confirmation has
 * is refused with 404 and journaled nowhere, as the payment callback's unknown invoice is.
 */
async function recordRefusal(ctx: BankCallbackContext, number: string, signerId: string, summary: string): Promise<void> {
  const meta = { ...ctx.meta, actor: { id: `bank:${signerId}`, role: 'payment_gateway' as const } };
  try {
    const row = await confirmationOf(ctx.db, number, 'bank');
    try {
      await ctx.temporal.workflow.getHandle(caseWorkflowId(row.number)).signal(bankCallbackRefusedSignal, { summary }, meta);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await appendToEndedCase(ctx.db, row.number, { at: new Date().toISOString(), type: 'bank_callback_refused', actor: meta.actor, clientAddress: meta.clientAddress, summary });
    }
  } catch (err) {
    if (err instanceof Refusal) return;
    ctx.log.warn({ err, caseNumber: number, bank: signerId }, 'a refused bank callback could not be journaled on its case');
  }
}
