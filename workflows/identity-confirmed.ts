/**
 * Raising an account to "confirmed" (SPEC §4.2) in person (an operator of an MFC, post
 * office, pension fund or telecom office checks the documents), through an online bank
 * (the bank calls back), by a registered letter whose code the citizen enters, or by
 * signing a challenge with a qualified electronic signature. The request lapses if
 * nobody confirms it in time.
 */
import { condition, defineQuery, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ActionMeta, CaseProjection } from '../core/case-model';
import { FailureType } from '../core/failures';
import { CaseJournal, refuse, requireVersion, type EntryDraft, type JournalCounters } from './machinery/case-journal';
import { checkCode, sendCode, type CodeState } from './machinery/one-time-code';
import { identityProjection } from './machinery/identity-projection';
import { runDeadlines } from './machinery/timers';

export const CONFIRMATION_METHODS = ['in_person', 'bank', 'letter', 'signature'] as const;
export type ConfirmationMethod = (typeof CONFIRMATION_METHODS)[number];

/** The read model's detail of an upgrade to the confirmed level. */
export interface ConfirmedUpgradeDetail {
  purpose: 'level_upgrade';
  levelRequested: 'confirmed';
  method: ConfirmationMethod;
  /** The office (in person) or the bank. */
  place: string;
  expiresAt: string;
  reason: string | null;
  /** Letter: code attempts left, once the letter is sent. */
  attemptsLeft?: number;
  /** Signature: what to sign. */
  challenge?: string;
}
export const OFFICE_KINDS = ['mfc', 'post_office', 'pension_fund', 'telecom_office'] as const;
export type OfficeKind = (typeof OFFICE_KINDS)[number];

export type ConfirmedUpgradeStatus = 'awaiting_confirmation' | 'confirmed' | 'refused' | 'expired' | 'locked';

export interface ConfirmedUpgradeInput {
  number: string;
  accountId: string;
  method: ConfirmationMethod;
  /** in person: where the citizen will come; bank: which bank; letter: "registered letter" */
  place: string;
  validDays: number;
  /** letter: wrong codes allowed before the request locks */
  maxAttempts: number;
  meta: ActionMeta;
}

export interface ConfirmedUpgradeState {
  number: string;
  accountId: string;
  method: ConfirmationMethod;
  place: string;
  status: ConfirmedUpgradeStatus;
  startedAt: string;
  expiresAt: string;
  confirmedBy: string | null;
  reason: string | null;
  code: CodeState | null;
  /** signature: what the citizen signs */
  challenge: string | null;
  closedAt: string | null;
  journal: JournalCounters;
}

export interface ConfirmationAnswer {
  number: string;
  status: ConfirmedUpgradeStatus;
  version: number;
}

export interface OperatorDecision {
  decision: 'confirm' | 'refuse';
  /** Where the documents were checked; the documents' data itself is not recorded. */
  office: string;
  reason?: string;
}

export interface BankResult {
  bank: string;
  confirmed: boolean;
  reference: string;
}

export const confirmationRegisteredUpdate = defineUpdate<ConfirmationAnswer, []>('registered');
export const operatorDecisionUpdate = defineUpdate<ConfirmationAnswer, [OperatorDecision, ActionMeta]>('operatorDecision');
export const bankResultSignal = defineSignal<[BankResult]>('bankResult');
export const submitSignatureUpdate = defineUpdate<ConfirmationAnswer & { accepted: boolean; reason: string | null }, [{ submissionId: string }, ActionMeta]>(
  'submitSignature',
);
export const enterLetterCodeUpdate = defineUpdate<ConfirmationAnswer & { accepted: boolean; attemptsLeft: number }, [{ code: string }, ActionMeta]>(
  'enterLetterCode',
);
export const confirmedUpgradeStateQuery = defineQuery<ConfirmedUpgradeState>('state');

const { grantConfirmedLevel, newChallenge, verifyIdentitySignature } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [FailureType.Permanent] },
});

const now = () => new Date().toISOString();

export async function confirmedUpgradeWorkflow(input: ConfirmedUpgradeInput): Promise<ConfirmationAnswer> {
  const startedAt = now();
  const s: ConfirmedUpgradeState = {
    number: input.number,
    accountId: input.accountId,
    method: input.method,
    place: input.place,
    status: 'awaiting_confirmation',
    startedAt,
    expiresAt: new Date(Date.parse(startedAt) + input.validDays * 86_400_000).toISOString(),
    confirmedBy: null,
    reason: null,
    code: null,
    challenge: null,
    closedAt: null,
    journal: { version: 0, seq: 0 },
  };
  const projection = (): CaseProjection =>
    identityProjection(s, {
      expectedDueDate: s.expiresAt.slice(0, 10),
      dueAt: s.status === 'awaiting_confirmation' ? s.expiresAt : null,
      detail: {
        purpose: 'level_upgrade',
        levelRequested: 'confirmed',
        method: s.method,
        place: s.place,
        expiresAt: s.expiresAt,
        reason: s.reason,
        ...(s.code ? { attemptsLeft: input.maxAttempts - s.code.attempts } : {}),
        ...(s.challenge ? { challenge: s.challenge } : {}),
      },
    });
  const journal = new CaseJournal(s.journal, projection);
  const answer = (): ConfirmationAnswer => ({ number: s.number, status: s.status, version: journal.version });
  let outcome: { confirmed: boolean; by: ActionMeta; summary: string; reason?: string } | null = null;

  setHandler(confirmedUpgradeStateQuery, () => s);
  setHandler(confirmationRegisteredUpdate, async () => {
    await condition(() => journal.version >= 1);
    await journal.settled(1);
    return answer();
  });
  setHandler(
    operatorDecisionUpdate,
    async (d, meta) => {
      outcome = {
        confirmed: d.decision === 'confirm',
        by: meta,
        summary: d.decision === 'confirm' ? `Identity confirmed in person at ${d.office}` : `Not confirmed at ${d.office}: ${d.reason}`,
        reason: d.reason,
      };
      s.confirmedBy = meta.actor.id;
      await condition(() => s.closedAt !== null);
      await journal.settled();
      return answer();
    },
    {
      validator: (d, meta) => {
        if (s.method !== 'in_person') refuse(FailureType.InvalidState, 'this confirmation is not done in person');
        if (meta.actor.role !== 'operator') refuse(FailureType.Forbidden, 'only an operator confirms identity in person');
        if (meta.actor.id === s.accountId) refuse(FailureType.Forbidden, 'an operator cannot confirm their own identity');
        if (s.status !== 'awaiting_confirmation' || outcome) refuse(FailureType.InvalidState, `the request is ${s.status}`);
        if (d.decision === 'refuse' && !d.reason?.trim()) refuse(FailureType.Invalid, 'a refusal needs a reason');
        requireVersion(meta, journal.version);
      },
    },
  );
  const bankActor: ActionMeta = { actor: { id: `bank:${input.place}`, role: 'payment_gateway' } };
  setHandler(bankResultSignal, (r) => {
    // Callbacks arrive at least once; a late or duplicate one changes nothing.
    if (s.method !== 'bank' || outcome || s.status !== 'awaiting_confirmation') return;
    outcome = {
      confirmed: r.confirmed,
      by: bankActor,
      summary: r.confirmed ? `Identity confirmed by ${r.bank} (ref. ${r.reference})` : `${r.bank} did not confirm the identity`,
      reason: r.confirmed ? undefined : `${r.bank} did not confirm the identity`,
    };
  });

  setHandler(
    enterLetterCodeUpdate,
    async ({ code }, meta) => {
      const result = await checkCode(s.code!, s.number, code, input.maxAttempts);
      const attemptsLeft = input.maxAttempts - s.code!.attempts;
      if (result === 'accepted') {
        outcome = { confirmed: true, by: meta, summary: 'The code from the registered letter was entered' };
        await condition(() => s.closedAt !== null);
      } else {
        const entries: EntryDraft[] = [{ type: 'code_rejected', summary: `Wrong letter code; ${attemptsLeft} attempt(s) left` }];
        if (result === 'locked') {
          s.status = 'locked';
          s.closedAt = now();
          entries.push({ type: 'locked', summary: 'Too many wrong codes: request confirmation again' });
        }
        journal.commit(meta, now(), entries);
      }
      await journal.settled();
      return { ...answer(), accepted: result === 'accepted', attemptsLeft };
    },
    {
      validator: (_c, meta) => {
        if (s.method !== 'letter' || !s.code) refuse(FailureType.InvalidState, 'this confirmation has no letter code');
        if (meta.actor.id !== s.accountId) refuse(FailureType.Forbidden, 'only the citizen enters the letter code');
        if (s.status !== 'awaiting_confirmation' || outcome) refuse(FailureType.InvalidState, `the request is ${s.status}`);
      },
    },
  );

  setHandler(
    submitSignatureUpdate,
    async ({ submissionId }, meta) => {
      const result = await verifyIdentitySignature({ submissionId, accountId: s.accountId, challenge: s.challenge! });
      if (result.ok && !outcome && s.status === 'awaiting_confirmation') {
        outcome = { confirmed: true, by: meta, summary: 'The challenge was signed with a qualified electronic signature' };
        await condition(() => s.closedAt !== null);
      } else if (!result.ok) {
        journal.commit(meta, now(), [{ type: 'signature_rejected', summary: `Signature not accepted: ${result.reason}` }]);
      }
      await journal.settled();
      return { ...answer(), accepted: result.ok, reason: result.reason ?? null };
    },
    {
      validator: (_s, meta) => {
        if (s.method !== 'signature' || !s.challenge) refuse(FailureType.InvalidState, 'this confirmation is not by electronic signature');
        if (meta.actor.id !== s.accountId) refuse(FailureType.Forbidden, 'only the citizen signs their own confirmation');
        if (s.status !== 'awaiting_confirmation' || outcome) refuse(FailureType.InvalidState, `the request is ${s.status}`);
      },
    },
  );

  void journal.runProjector();
  if (s.method === 'signature') s.challenge = await newChallenge();
  if (s.method === 'letter') {
    s.code = await sendCode({
      caseNumber: s.number,
      accountId: s.accountId,
      channel: 'letter',
      purpose: 'Подтверждение личности на портале госуслуг',
      serial: 1,
      validMinutes: input.validDays * 24 * 60,
    });
  }
  journal.commit(input.meta, startedAt, [
    {
      type: 'confirmation_requested',
      summary:
        {
          in_person: `Come to ${s.place} with your passport before ${s.expiresAt.slice(0, 10)}`,
          bank: `Confirm in the online bank ${s.place} before ${s.expiresAt.slice(0, 10)}`,
          letter: `A registered letter with a code is on its way; enter the code before ${s.expiresAt.slice(0, 10)}`,
          signature: `Sign the challenge with your qualified electronic signature before ${s.expiresAt.slice(0, 10)}`,
        }[s.method],
      data: { method: s.method, place: s.place, expiresAt: s.expiresAt },
    },
  ]);

  const system = { actor: { id: 'system', role: 'system' as const } };
  await runDeadlines(
    journal,
    () => outcome !== null || s.closedAt !== null,
    () => [
      {
        at: s.expiresAt,
        fire: () => {
          s.status = 'expired';
          s.closedAt = now();
          journal.commit(system, s.closedAt, [{ type: 'expired', summary: 'Nobody confirmed the identity in time; start again' }]);
        },
      },
    ],
    () => false,
  );
  const decided = outcome as { confirmed: boolean; by: ActionMeta; summary: string; reason?: string } | null;
  if (decided) {
    const granted = decided.confirmed ? await grantConfirmedLevel({ accountId: s.accountId }) : null;
    s.status = granted?.granted ? 'confirmed' : 'refused';
    s.reason = granted && !granted.granted ? (granted.reason ?? null) : (decided.reason ?? null);
    s.closedAt = now();
    journal.commit(decided.by, s.closedAt, [
      {
        type: s.status === 'confirmed' ? 'level_granted' : 'level_refused',
        summary: s.status === 'confirmed' ? `${decided.summary}; account raised to level confirmed` : decided.summary,
        notify: [{ recipient: s.accountId, type: 'personal_data_updated', title: `${s.number}: ${s.status === 'confirmed' ? 'учётная запись подтверждена' : 'подтверждение не выполнено'}` }],
      },
    ]);
  }
  await journal.drained();
  return answer();
}
