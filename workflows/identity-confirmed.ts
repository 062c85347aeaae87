/**
 * Raising an account to "confirmed" (SPEC §4.2) in person (an operator of an MFC, post
 * office, pension fund or telecom office checks the documents), through an online bank
 * (the bank calls back), by a registered letter whose code the citizen enters, or by
 * signing a challenge with a qualified electronic signature. The request lapses if
 * nobody confirms it in time.
 */
import { condition, continueAsNew, defineQuery, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BY_SYSTEM, now, type ActionMeta, type EntryDraft } from '../core/case-model';
import type { ConfirmedUpgradeDetail } from '../core/case-projection';
import { FailureType } from '../core/failures';
import type { ConfirmationMethod, ConfirmedUpgradeStatus } from '../core/identity';
import { refuse, requireVersion } from './machinery/case-journal';
import { IdentityCase, startedIdentity, type IdentityState, type IdentityView } from './machinery/identity-case';
import { checkCode, sendCode, type CodeState } from './machinery/one-time-code';
import type { DueTimer } from './machinery/timers';

export const OFFICE_KINDS = ['mfc', 'post_office', 'pension_fund', 'telecom_office'] as const;
export type OfficeKind = (typeof OFFICE_KINDS)[number];

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
  /** Set by continue-as-new only. */
  resume?: ConfirmedUpgradeState;
}

/** Who confirmed (or refused) the identity; the level follows once the account is updated. */
export interface ConfirmationOutcome {
  confirmed: boolean;
  by: ActionMeta;
  summary: string;
  reason?: string;
}

export interface ConfirmedUpgradeState extends IdentityState<ConfirmedUpgradeStatus> {
  method: ConfirmationMethod;
  place: string;
  expiresAt: string;
  confirmedBy: string | null;
  reason: string | null;
  code: CodeState | null;
  /** signature: what the citizen signs */
  challenge: string | null;
  /** Absent in cases begun before it was kept in the state. */
  outcome?: ConfirmationOutcome | null;
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
/** A bank's callback for this case that the API refused (another bank's key, stale, replayed, another bank's request): journaled. */
export const bankCallbackRefusedSignal = defineSignal<[{ summary: string }, ActionMeta]>('bankCallbackRefused');
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

const REQUESTED: Record<ConfirmationMethod, (place: string, until: string) => string> = {
  in_person: (place, until) => `Come to ${place} with your passport before ${until}`,
  bank: (place, until) => `Confirm in the online bank ${place} before ${until}`,
  letter: (_place, until) => `A registered letter with a code is on its way; enter the code before ${until}`,
  signature: (_place, until) => `Sign the challenge with your qualified electronic signature before ${until}`,
};

export class ConfirmedUpgradeCase extends IdentityCase<ConfirmedUpgradeStatus, ConfirmedUpgradeState, ConfirmedUpgradeDetail> {
  constructor(
    s: ConfirmedUpgradeState,
    private readonly maxAttempts: number,
  ) {
    super(s);
  }

  static start(input: ConfirmedUpgradeInput): ConfirmedUpgradeCase {
    const common = startedIdentity(input, 'awaiting_confirmation' as const);
    const expiresAt = new Date(Date.parse(common.startedAt) + input.validDays * 86_400_000).toISOString();
    return new ConfirmedUpgradeCase(
      { ...common, method: input.method, place: input.place, expiresAt, confirmedBy: null, reason: null, code: null, challenge: null, outcome: null },
      input.maxAttempts,
    );
  }

  protected view(): IdentityView<ConfirmedUpgradeDetail> {
    const s = this.s;
    return {
      expectedDueDate: s.expiresAt.slice(0, 10),
      dueAt: s.status === 'awaiting_confirmation' ? s.expiresAt : null,
      detail: {
        purpose: 'level_upgrade',
        levelRequested: 'confirmed',
        method: s.method,
        place: s.place,
        expiresAt: s.expiresAt,
        reason: s.reason,
        ...(s.code ? { attemptsLeft: this.maxAttempts - s.code.attempts } : {}),
        ...(s.challenge ? { challenge: s.challenge } : {}),
      },
    };
  }

  current(): ConfirmationAnswer {
    return { number: this.s.number, status: this.s.status, version: this.s.journal.version };
  }

  /** Someone confirmed or refused: the workflow grants the level and closes the case. */
  get decided(): boolean {
    return !!this.s.outcome;
  }

  /** Prepares the chosen method (a challenge to sign, a letter with a code) and journals the request. */
  async begin(input: ConfirmedUpgradeInput): Promise<void> {
    const s = this.s;
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
    this.journal.commit(input.meta, s.startedAt, [
      {
        type: 'confirmation_requested',
        summary: REQUESTED[s.method](s.place, s.expiresAt.slice(0, 10)),
        data: { method: s.method, place: s.place, expiresAt: s.expiresAt },
        // The letter goes to the postal address the request saved on the account.
        notify: s.method === 'letter' ? [{ recipient: s.accountId, type: 'personal_data_updated', title: `${s.number}: сохранён почтовый адрес` }] : undefined,
      },
    ]);
  }

  private checkOpen(): void {
    if (this.s.status !== 'awaiting_confirmation' || this.decided) refuse(FailureType.InvalidState, `the request is ${this.s.status}`);
  }

  checkOperatorDecision(d: OperatorDecision, meta: ActionMeta): void {
    if (this.s.method !== 'in_person') refuse(FailureType.InvalidState, 'this confirmation is not done in person');
    if (meta.actor.role !== 'operator') refuse(FailureType.Forbidden, 'only an operator confirms identity in person');
    if (meta.actor.id === this.s.accountId) refuse(FailureType.Forbidden, 'an operator cannot confirm their own identity');
    this.checkOpen();
    if (d.decision === 'refuse' && !d.reason?.trim()) refuse(FailureType.Invalid, 'a refusal needs a reason');
    requireVersion(meta, this.journal.version);
  }

  async doOperatorDecision(d: OperatorDecision, meta: ActionMeta): Promise<ConfirmationAnswer> {
    const confirmed = d.decision === 'confirm';
    this.s.outcome = {
      confirmed,
      by: meta,
      summary: confirmed ? `Identity confirmed in person at ${d.office}` : `Not confirmed at ${d.office}: ${d.reason}`,
      reason: d.reason,
    };
    this.s.confirmedBy = meta.actor.id;
    return this.answerWhenClosed();
  }

  /** Callbacks arrive at least once; a late or duplicate one changes nothing. */
  onBankResult(r: BankResult): void {
    if (this.s.method !== 'bank' || this.decided || this.s.status !== 'awaiting_confirmation') return;
    this.s.outcome = {
      confirmed: r.confirmed,
      by: { actor: { id: `bank:${this.s.place}`, role: 'payment_gateway' } },
      summary: r.confirmed ? `Identity confirmed by ${r.bank} (ref. ${r.reference})` : `${r.bank} did not confirm the identity`,
      reason: r.confirmed ? undefined : `${r.bank} did not confirm the identity`,
    };
  }

  /** Also once closed: a workflow that has not ended yet still projects what it commits. */
  onBankCallbackRefused(summary: string, meta: ActionMeta): void {
    this.journal.commit(meta, now(), [{ type: 'bank_callback_refused', summary }]);
  }

  checkLetterCode(meta: ActionMeta): void {
    if (this.s.method !== 'letter' || !this.s.code) refuse(FailureType.InvalidState, 'this confirmation has no letter code');
    this.checkCitizen(meta, 'only the citizen enters the letter code');
    this.checkOpen();
  }

  async doLetterCode(code: string, meta: ActionMeta): Promise<ConfirmationAnswer & { accepted: boolean; attemptsLeft: number }> {
    const s = this.s;
    const result = await checkCode(s.code!, s.number, code, this.maxAttempts);
    const attemptsLeft = this.maxAttempts - s.code!.attempts;
    if (result === 'accepted') {
      s.outcome = { confirmed: true, by: meta, summary: 'The code from the registered letter was entered' };
      await condition(() => this.closed);
    } else {
      const entries: EntryDraft[] = [{ type: 'code_rejected', summary: `Wrong letter code; ${attemptsLeft} attempt(s) left` }];
      if (result === 'locked') {
        s.status = 'locked';
        s.closedAt = now();
        entries.push({ type: 'locked', summary: 'Too many wrong codes: request confirmation again' });
      }
      this.journal.commit(meta, now(), entries);
    }
    await this.journal.settled();
    return { ...this.current(), accepted: result === 'accepted', attemptsLeft };
  }

  checkSignature(meta: ActionMeta): void {
    if (this.s.method !== 'signature' || !this.s.challenge) refuse(FailureType.InvalidState, 'this confirmation is not by electronic signature');
    this.checkCitizen(meta, 'only the citizen signs their own confirmation');
    this.checkOpen();
  }

  async doSignature(submissionId: string, meta: ActionMeta): Promise<ConfirmationAnswer & { accepted: boolean; reason: string | null }> {
    const s = this.s;
    const result = await verifyIdentitySignature({ submissionId, accountId: s.accountId, challenge: s.challenge! });
    if (result.ok && !this.decided && s.status === 'awaiting_confirmation') {
      s.outcome = { confirmed: true, by: meta, summary: 'The challenge was signed with a qualified electronic signature' };
      await condition(() => this.closed);
    } else if (!result.ok) {
      this.journal.commit(meta, now(), [{ type: 'signature_rejected', summary: `Signature not accepted: ${result.reason}` }]);
    }
    await this.journal.settled();
    return { ...this.current(), accepted: result.ok, reason: result.reason ?? null };
  }

  private async answerWhenClosed(): Promise<ConfirmationAnswer> {
    await condition(() => this.closed);
    await this.journal.settled();
    return this.current();
  }

  /** Grants the level when confirmed (the account may still refuse it) and closes the case. */
  async finish(): Promise<void> {
    const s = this.s;
    const decided = s.outcome!;
    const granted = decided.confirmed ? await grantConfirmedLevel({ accountId: s.accountId }) : null;
    const status = granted?.granted ? 'confirmed' : 'refused';
    s.reason = granted && !granted.granted ? (granted.reason ?? null) : (decided.reason ?? null);
    this.close(status, decided.by, {
      type: status === 'confirmed' ? 'level_granted' : 'level_refused',
      summary: status === 'confirmed' ? `${decided.summary}; account raised to level confirmed` : decided.summary,
      notify: [{ recipient: s.accountId, type: status === 'confirmed' ? 'identity_level_changed' : 'status_changed', title: `${s.number}: ${status === 'confirmed' ? 'учётная запись подтверждена' : 'подтверждение не выполнено'}` }],
    });
  }

  dueTimers(): Array<DueTimer | null> {
    return [{ at: this.s.expiresAt, fire: () => this.close('expired', BY_SYSTEM, { type: 'expired', summary: 'Nobody confirmed the identity in time; start again' }) }];
  }
}

export async function confirmedUpgradeWorkflow(input: ConfirmedUpgradeInput): Promise<ConfirmationAnswer> {
  const c = input.resume ? new ConfirmedUpgradeCase(input.resume, input.maxAttempts) : ConfirmedUpgradeCase.start(input);

  setHandler(confirmedUpgradeStateQuery, () => c.s);
  setHandler(confirmationRegisteredUpdate, async () => {
    await condition(() => c.journal.version >= 1);
    await c.journal.settled(1);
    return c.current();
  });
  setHandler(operatorDecisionUpdate, (d, meta) => c.doOperatorDecision(d, meta), { validator: (d, meta) => c.checkOperatorDecision(d, meta) });
  setHandler(bankResultSignal, (r) => c.onBankResult(r));
  setHandler(bankCallbackRefusedSignal, ({ summary }, meta) => c.onBankCallbackRefused(summary, meta));
  setHandler(enterLetterCodeUpdate, ({ code }, meta) => c.doLetterCode(code, meta), { validator: (_c, meta) => c.checkLetterCode(meta) });
  setHandler(submitSignatureUpdate, ({ submissionId }, meta) => c.doSignature(submissionId, meta), { validator: (_s, meta) => c.checkSignature(meta) });

  void c.journal.runProjector();
  if (!input.resume) await c.begin(input);

  if ((await c.waitUntil(() => c.decided || c.closed)) === 'continue_as_new') {
    await c.journal.drained();
    await continueAsNew<typeof confirmedUpgradeWorkflow>({ ...input, resume: c.s });
  }
  if (c.decided) await c.finish();
  await c.journal.drained();
  return c.current();
}
