/**
 * Registration of an account (SPEC §4.2, level "simplified"): the contact is confirmed
 * with a one-time code that expires, and a number of wrong entries locks the attempt
 * until the citizen restarts it, on the same or the other channel.
 */
import { condition, defineQuery, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ActionMeta, CaseProjection } from '../core/case-model';
import { FailureType } from '../core/failures';
import { CaseJournal, refuse, type EntryDraft, type JournalCounters } from './machinery/case-journal';
import { checkCode, sendCode, type CodeState } from './machinery/one-time-code';
import { identityProjection } from './machinery/identity-projection';
import { runDeadlines, type DueTimer } from './machinery/timers';

export type RegistrationStatus = 'awaiting_code' | 'code_expired' | 'locked' | 'confirmed' | 'abandoned';
export type CodeChannel = 'sms' | 'email';

export interface RegistrationInput {
  number: string;
  accountId: string;
  channels: CodeChannel[];
  channel: CodeChannel;
  codeTtlMinutes: number;
  maxAttempts: number;
  /** How long an unfinished registration stays open for restarts. */
  windowHours: number;
  meta: ActionMeta;
}

export interface CodeAnswer {
  number: string;
  status: RegistrationStatus;
  accepted: boolean;
  attemptsLeft: number;
  codeExpiresAt: string | null;
  version: number;
}

export const codeIssuedUpdate = defineUpdate<CodeAnswer, []>('codeIssued');
export const enterCodeUpdate = defineUpdate<CodeAnswer, [{ code: string }, ActionMeta]>('enterCode');
export const restartUpdate = defineUpdate<CodeAnswer, [{ channel?: CodeChannel }, ActionMeta]>('restart');

/** The read model's detail of a registration. */
export interface RegistrationDetail {
  purpose: 'registration';
  levelRequested: 'simplified';
  channel: CodeChannel;
  codeExpiresAt: string | null;
  attemptsLeft: number;
  /** The registration may be completed until then. */
  openUntil: string;
}

export interface RegistrationState {
  number: string;
  accountId: string;
  channels: CodeChannel[];
  channel: CodeChannel;
  status: RegistrationStatus;
  startedAt: string;
  openUntil: string;
  code: CodeState | null;
  closedAt: string | null;
  journal: JournalCounters;
}
export const registrationStateQuery = defineQuery<RegistrationState>('state');

const { activateAccount } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [FailureType.Permanent] },
});

const now = () => new Date().toISOString();
const minutesFrom = (iso: string, m: number) => new Date(Date.parse(iso) + m * 60_000).toISOString();

export async function registrationWorkflow(input: RegistrationInput): Promise<CodeAnswer> {
  const startedAt = now();
  const s: RegistrationState = {
    number: input.number,
    accountId: input.accountId,
    channels: input.channels,
    channel: input.channel,
    status: 'awaiting_code',
    startedAt,
    openUntil: minutesFrom(startedAt, input.windowHours * 60),
    code: null,
    closedAt: null,
    journal: { version: 0, seq: 0 },
  };
  const projection = (): CaseProjection =>
    identityProjection(s, {
      dueAt: s.code && s.status === 'awaiting_code' ? s.code.expiresAt : null,
      detail: {
        purpose: 'registration',
        levelRequested: 'simplified',
        channel: s.channel,
        codeExpiresAt: s.code?.expiresAt ?? null,
        attemptsLeft: s.code ? input.maxAttempts - s.code.attempts : input.maxAttempts,
        openUntil: s.openUntil,
      },
    });
  const journal = new CaseJournal(s.journal, projection);
  const answer = (accepted: boolean): CodeAnswer => ({
    number: s.number,
    status: s.status,
    accepted,
    attemptsLeft: s.code ? input.maxAttempts - s.code.attempts : 0,
    codeExpiresAt: s.code?.expiresAt ?? null,
    version: journal.version,
  });

  const newCode = async (meta: Pick<ActionMeta, 'actor' | 'clientAddress'>) => {
    const serial = (s.code?.serial ?? 0) + 1;
    s.code = await sendCode({
      caseNumber: s.number,
      accountId: s.accountId,
      channel: s.channel,
      purpose: 'Регистрация на портале госуслуг',
      serial,
      validMinutes: input.codeTtlMinutes,
    });
    const at = now();
    s.status = 'awaiting_code';
    return journal.commit(meta, at, [
      { type: 'code_sent', summary: `One-time code #${serial} sent by ${s.channel}, valid ${input.codeTtlMinutes} min`, data: { channel: s.channel, serial } },
    ]);
  };

  setHandler(registrationStateQuery, () => s);
  let registered = 0;
  setHandler(codeIssuedUpdate, async () => {
    await condition(() => registered > 0);
    await journal.settled(registered);
    return answer(false);
  });
  setHandler(
    enterCodeUpdate,
    async ({ code }, meta) => {
      const result = await checkCode(s.code!, s.number, code, input.maxAttempts);
      // The state may have moved on while the code was being checked.
      if (s.status !== 'awaiting_code') refuse(FailureType.InvalidState, `the code can no longer be entered: ${s.status}`);
      const at = now();
      const entries: EntryDraft[] = [];
      if (result === 'accepted') {
        await activateAccount({ accountId: s.accountId, level: 'simplified' });
        s.status = 'confirmed';
        s.closedAt = at;
        entries.push({ type: 'code_accepted', summary: 'Contact confirmed; account active at level simplified' });
      } else {
        const left = input.maxAttempts - s.code!.attempts;
        entries.push({ type: 'code_rejected', summary: `Wrong code; ${left} attempt(s) left`, data: { attemptsLeft: left } });
        if (result === 'locked') {
          s.status = 'locked';
          entries.push({ type: 'locked', summary: 'Too many wrong codes: the attempt is locked; restart it to get a new code' });
        }
      }
      await journal.settled(journal.commit(meta, at, entries));
      return answer(result === 'accepted');
    },
    {
      validator: (_input, meta) => {
        if (meta.actor.id !== s.accountId) refuse(FailureType.Forbidden, 'only the registering citizen may enter the code');
        if (s.status === 'locked') refuse(FailureType.InvalidState, 'the attempt is locked after too many wrong codes; restart it');
        if (s.status !== 'awaiting_code' || !s.code || Date.parse(s.code.expiresAt) <= Date.now()) {
          refuse(FailureType.InvalidState, 'the code has expired; restart to get a new one');
        }
      },
    },
  );
  setHandler(
    restartUpdate,
    async ({ channel }, meta) => {
      if (channel) s.channel = channel;
      await journal.settled(await newCode(meta));
      return answer(false);
    },
    {
      validator: ({ channel }, meta) => {
        if (meta.actor.id !== s.accountId) refuse(FailureType.Forbidden, 'only the registering citizen may restart');
        if (s.status === 'confirmed' || s.closedAt) refuse(FailureType.InvalidState, `the registration is ${s.status}`);
        if (channel && !s.channels.includes(channel)) refuse(FailureType.Invalid, `the account has no ${channel} address`);
      },
    },
  );

  void journal.runProjector();
  journal.commit(input.meta, startedAt, [{ type: 'registration_started', summary: 'Registration started' }]);
  registered = await newCode(input.meta);

  const system = { actor: { id: 'system', role: 'system' as const } };
  const timers = (): Array<DueTimer | null> => [
    s.status === 'awaiting_code' && s.code
      ? {
          at: s.code.expiresAt,
          fire: () => {
            s.status = 'code_expired';
            journal.commit(system, now(), [{ type: 'code_expired', summary: 'The one-time code expired unused' }]);
          },
        }
      : null,
    {
      at: s.openUntil,
      fire: () => {
        s.status = 'abandoned';
        s.closedAt = now();
        journal.commit(system, s.closedAt, [{ type: 'abandoned', summary: 'Registration was not completed in time' }]);
      },
    },
  ];
  await runDeadlines(journal, () => s.closedAt !== null, timers, () => false);
  await journal.drained();
  return answer(s.status === 'confirmed');
}
