import { proxyActivities } from '@temporalio/workflow';
import type { Activities, CodeRequest } from '../../activities';
import { FailureType } from '../../core/failures';

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

/** Sends code number `serial` of this case through the account's channel. */
export async function sendCode(
  req: Omit<CodeRequest, 'messageKey'> & { serial: number; validMinutes: number },
): Promise<CodeState> {
  const { digest } = await issueCode({
    caseNumber: req.caseNumber,
    messageKey: `code-${req.serial}`,
    accountId: req.accountId,
    channel: req.channel,
    purpose: req.purpose,
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
