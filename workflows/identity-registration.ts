/**
 * Registration of an account (SPEC §4.2, level "simplified"): the contact is confirmed
 * with a one-time code that expires, and a number of wrong entries locks the attempt
 * until the citizen restarts it, on the same or the other channel. A registration holds
 * its phone and e-mail against nobody: the first to confirm one gets it, and one that ends
 * unconfirmed gives them up, so nobody can squat another person's number.
 */
import { condition, continueAsNew, defineQuery, defineUpdate, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BY_SYSTEM, now, type ActionMeta, type EntryDraft } from '../core/case-model';
import type { RegistrationDetail } from '../core/case-projection';
import { FailureType } from '../core/failures';
import type { CodeChannel, RegistrationStatus } from '../core/identity';
import { refuse } from './machinery/case-journal';
import { IdentityCase, startedIdentity, type IdentityState, type IdentityView } from './machinery/identity-case';
import {
  attemptsLeft,
  checkAwaitedCode,
  checkCodeOpen,
  codeSentEntry,
  sendCode,
  wrongCodeEntries,
  type CodeAnswerOf,
  type CodeState,
} from './machinery/one-time-code';
import type { DueTimer } from './machinery/timers';

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
  /** Set by continue-as-new only. */
  resume?: RegistrationState;
}

export type CodeAnswer = CodeAnswerOf<RegistrationStatus>;

export const codeIssuedUpdate = defineUpdate<CodeAnswer, []>('codeIssued');
export const enterCodeUpdate = defineUpdate<CodeAnswer, [{ code: string }, ActionMeta]>('enterCode');
export const restartUpdate = defineUpdate<CodeAnswer, [{ channel?: CodeChannel }, ActionMeta]>('restart');

export interface RegistrationState extends IdentityState<RegistrationStatus> {
  channels: CodeChannel[];
  channel: CodeChannel;
  openUntil: string;
  code: CodeState | null;
}
export const registrationStateQuery = defineQuery<RegistrationState>('state');

const { activateAccount, releasePendingAccount } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [FailureType.Permanent] },
});

const minutesFrom = (iso: string, m: number) => new Date(Date.parse(iso) + m * 60_000).toISOString();
const RENEW = 'restart it to get a new code';

export class RegistrationCase extends IdentityCase<RegistrationStatus, RegistrationState, RegistrationDetail> {
  constructor(
    s: RegistrationState,
    private readonly input: RegistrationInput,
  ) {
    super(s);
  }

  static start(input: RegistrationInput): RegistrationCase {
    const common = startedIdentity(input, 'awaiting_code' as const);
    const openUntil = minutesFrom(common.startedAt, input.windowHours * 60);
    return new RegistrationCase({ ...common, channels: input.channels, channel: input.channel, openUntil, code: null }, input);
  }

  private get attemptsLeft(): number {
    return attemptsLeft(this.s.code, this.input.maxAttempts);
  }

  protected view(): IdentityView<RegistrationDetail> {
    const s = this.s;
    return {
      dueAt: s.code && s.status === 'awaiting_code' ? s.code.expiresAt : null,
      detail: {
        purpose: 'registration',
        levelRequested: 'simplified',
        channel: s.channel,
        codeExpiresAt: s.code?.expiresAt ?? null,
        attemptsLeft: this.attemptsLeft,
        openUntil: s.openUntil,
      },
    };
  }

  /** An action's answer, once the read model shows what it committed. */
  async answer(committed: number, accepted: boolean): Promise<CodeAnswer> {
    await this.journal.settled(committed);
    return this.current(accepted);
  }

  current(accepted: boolean): CodeAnswer {
    const s = this.s;
    return { number: s.number, status: s.status, accepted, attemptsLeft: s.code ? this.attemptsLeft : 0, codeExpiresAt: s.code?.expiresAt ?? null, version: s.journal.version };
  }

  /** Sends the next code on the current channel; commits and returns its version. */
  async newCode(meta: Pick<ActionMeta, 'actor' | 'clientAddress'>): Promise<number> {
    const s = this.s;
    const serial = (s.code?.serial ?? 0) + 1;
    s.code = await sendCode({
      caseNumber: s.number,
      accountId: s.accountId,
      channel: s.channel,
      purpose: 'Регистрация на портале госуслуг',
      serial,
      validMinutes: this.input.codeTtlMinutes,
    });
    s.status = 'awaiting_code';
    return this.journal.commit(meta, now(), [codeSentEntry(s.code, s.channel, this.input.codeTtlMinutes)]);
  }

  checkEnterCode(meta: ActionMeta): void {
    this.checkCitizen(meta, 'only the registering citizen may enter the code');
    checkCodeOpen(this.s.status, this.s.code, RENEW);
  }

  async doEnterCode(code: string, meta: ActionMeta): Promise<CodeAnswer> {
    const s = this.s;
    const result = await checkAwaitedCode(s, code, this.input.maxAttempts);
    const at = now();
    const entries: EntryDraft[] = [];
    if (result === 'accepted') {
      // Only the contact the code went to is proved: the other one is not bound.
      const confirmed = patched('registration-binds-confirmed-contact-only') ? { confirmed: s.channel } : {};
      const activation = await activateAccount({ accountId: s.accountId, level: 'simplified', ...confirmed });
      // Another registration of the same phone or e-mail may have been confirmed meanwhile: it keeps it.
      if (patched('registration-first-confirmation-wins') && !activation.activated) {
        const refused = this.close('refused', meta, {
          type: 'registration_refused',
          summary: 'Code confirmed, but another account had confirmed this phone or e-mail first: no account created',
        });
        return this.answer(refused, false);
      }
      s.status = 'confirmed';
      s.closedAt = at;
      entries.push({
        type: 'code_accepted',
        summary: 'Contact confirmed; account active at level simplified',
        notify: [{ recipient: s.accountId, type: 'identity_level_changed', title: `${s.number}: учётная запись создана` }],
      });
    } else {
      entries.push(...wrongCodeEntries(result, this.attemptsLeft, RENEW));
      if (result === 'locked') s.status = 'locked';
    }
    return this.answer(this.journal.commit(meta, at, entries), result === 'accepted');
  }

  checkRestart(channel: CodeChannel | undefined, meta: ActionMeta): void {
    const s = this.s;
    this.checkCitizen(meta, 'only the registering citizen may restart');
    if (s.status === 'confirmed' || s.closedAt) refuse(FailureType.InvalidState, `the registration is ${s.status}`);
    if (channel && !s.channels.includes(channel)) refuse(FailureType.Invalid, `the account has no ${channel} address`);
  }

  async doRestart(channel: CodeChannel | undefined, meta: ActionMeta): Promise<CodeAnswer> {
    if (channel) this.s.channel = channel;
    return this.answer(await this.newCode(meta), false);
  }

  /** An unconfirmed registration gives up its phone and e-mail once it has ended. */
  async releaseContacts(): Promise<void> {
    await releasePendingAccount({ accountId: this.s.accountId });
    this.journal.commit(BY_SYSTEM, now(), [{ type: 'contacts_released', summary: 'Unconfirmed phone and e-mail released: their owner may register them' }]);
  }

  dueTimers(): Array<DueTimer | null> {
    const s = this.s;
    return [
      s.status === 'awaiting_code' && s.code
        ? {
            at: s.code.expiresAt,
            fire: () => {
              s.status = 'code_expired';
              this.journal.commit(BY_SYSTEM, now(), [{ type: 'code_expired', summary: 'The one-time code expired unused' }]);
            },
          }
        : null,
      { at: s.openUntil, fire: () => this.close('abandoned', BY_SYSTEM, { type: 'abandoned', summary: 'Registration was not completed in time' }) },
    ];
  }
}

export async function registrationWorkflow(input: RegistrationInput): Promise<CodeAnswer> {
  const c = input.resume ? new RegistrationCase(input.resume, input) : RegistrationCase.start(input);
  // The first code's version: the filing's answer waits for it.
  let registered = input.resume ? c.journal.version : 0;

  setHandler(registrationStateQuery, () => c.s);
  setHandler(codeIssuedUpdate, async () => {
    await condition(() => registered > 0);
    return c.answer(registered, false);
  });
  setHandler(enterCodeUpdate, ({ code }, meta) => c.doEnterCode(code, meta), { validator: (_input, meta) => c.checkEnterCode(meta) });
  setHandler(restartUpdate, ({ channel }, meta) => c.doRestart(channel, meta), { validator: ({ channel }, meta) => c.checkRestart(channel, meta) });

  void c.journal.runProjector();
  if (!input.resume) {
    c.journal.commit(input.meta, c.s.startedAt, [{ type: 'registration_started', summary: 'Registration started' }]);
    registered = await c.newCode(input.meta);
  }

  if ((await c.waitUntil(() => c.closed)) === 'continue_as_new') {
    await c.journal.drained();
    await continueAsNew<typeof registrationWorkflow>({ ...input, resume: c.s });
  }
  if (c.s.status !== 'confirmed' && patched('registration-releases-contacts')) await c.releaseContacts();
  await c.journal.drained();
  return c.current(c.s.status === 'confirmed');
}
