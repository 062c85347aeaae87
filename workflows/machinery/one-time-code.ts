import { proxyActivities } from '@temporalio/workflow';
import type { Activities, CodeRequest } from '../../activities';
import type { EntryDraft } from '../../core/case-model';
import { FailureType } from '../../core/failures';
import type { CodeChannel } from '../../core/identity';
import { refuse } from './case-journal';

/** A one-time code as the workflow knows it: never the code, only its keyed digest. */
export interface CodeState {
  digest: string;
  serial: number;
  expiresAt: string;
  attempts: number;
}

const { issueCode, verifyCode } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [FailureType.Permanent],
  },
});

/** What an action on a code answers: the case as it stands, whether the code was taken, what is left of it. */
export interface CodeAnswerOf<S extends string> {
  number: string;
  status: S;
  accepted: boolean;
  attemptsLeft: number;
  codeExpiresAt: string | null;
  version: number;
}

/** Sends code number `serial` of this case on its channel: to the account's address, or to the new one a contact change asks for. */
export async function sendCode(
  req: Omit<CodeRequest, 'messageKey'> & { serial: number; validMinutes: number },
): Promise<CodeState> {
  const { digest } = await issueCode({
    caseNumber: req.caseNumber,
    messageKey: `code-${req.serial}`,
    accountId: req.accountId,
    channel: req.channel,
    purpose: req.purpose,
    ...(req.toNewContact ? { toNewContact: true } : {}),
  });
  return { digest, serial: req.serial, expiresAt: new Date(Date.now() + req.validMinutes * 60_000).toISOString(), attempts: 0 };
}

/** Checks an entered code; a wrong one uses up an attempt, the last one locks. */
export async function checkCode(
  state: CodeState,
  caseNumber: string,
  code: string,
  maxAttempts: number,
): Promise<'accepted' | 'wrong' | 'locked'> {
  if (await verifyCode({ caseNumber, code, digest: state.digest })) return 'accepted';
  state.attempts++;
  return state.attempts >= maxAttempts ? 'locked' : 'wrong';
}

/**
 * Checks a code entered into a case that awaits one (its status `awaiting_code`), then
 * refuses it if the case moved on while the code was being checked (it expired meanwhile).
 */
export async function checkAwaitedCode(
  s: { number: string; status: string; code: CodeState | null },
  code: string,
  maxAttempts: number,
): Promise<'accepted' | 'wrong' | 'locked'> {
  const result = await checkCode(s.code!, s.number, code, maxAttempts);
  if (s.status !== 'awaiting_code') refuse(FailureType.InvalidState, `the code can no longer be entered: ${s.status}`);
  return result;
}

/** The wrong codes still allowed: all of them before a code is sent. */
export const attemptsLeft = (state: CodeState | null, maxAttempts: number): number => maxAttempts - (state?.attempts ?? 0);

/** The journal entry of a code sent. */
export const codeSentEntry = (state: CodeState, channel: CodeChannel, validMinutes: number): EntryDraft => ({
  type: 'code_sent',
  summary: `One-time code #${state.serial} sent by ${channel}, valid ${validMinutes} min`,
  data: { channel, serial: state.serial },
});

/**
 * An update validator's refusal of a code entered while none is valid: after a lock, or
 * past its expiry. `renew` tells the citizen how to get a new one.
 */
export function checkCodeOpen(status: string, state: CodeState | null, renew: string): void {
  if (status === 'locked') refuse(FailureType.InvalidState, `the attempt is locked after too many wrong codes; ${renew}`);
  if (status !== 'awaiting_code' || !state || Date.parse(state.expiresAt) <= Date.now()) refuse(FailureType.InvalidState, `the code has expired; ${renew}`);
}

/** The journal entries of a wrong code: the attempts left, and the lock after the last. */
export function wrongCodeEntries(result: 'wrong' | 'locked', left: number, renew: string): EntryDraft[] {
  const rejected: EntryDraft = { type: 'code_rejected', summary: `Wrong code; ${left} attempt(s) left`, data: { attemptsLeft: left } };
  return result === 'locked' ? [rejected, { type: 'locked', summary: `Too many wrong codes: the attempt is locked; ${renew}` }] : [rejected];
}
