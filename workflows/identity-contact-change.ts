/**
 * A citizen changes their e-mail or phone. The new address is proved like a registration's
 * contact (SPEC §4.2): a one-time code goes to it, expires, and a number of wrong entries
 * locks the change. Only a confirmed code changes the account; the notice of the change
 * goes to the address it replaced, so whoever owned that address learns of a hijack. The
 * case holds no address: the change is kept in Postgres (`contact_changes`). An expired
 * or locked change ends its case: the citizen asks again.
 */
import { condition, continueAsNew, defineQuery, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BY_SYSTEM, now, type ActionMeta, type EntryDraft } from '../core/case-model';
import type { ContactChangeDetail } from '../core/case-projection';
import { FailureType } from '../core/failures';
import type { CodeChannel, ContactChangeStatus } from '../core/identity';
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

export interface ContactChangeInput {
  number: string;
  accountId: string;
  /** The address changed: `sms` for the phone. Its code goes to the new address. */
  channel: CodeChannel;
  codeTtlMinutes: number;
  maxAttempts: number;
  meta: ActionMeta;
  /** Set by continue-as-new only. */
  resume?: ContactChangeState;
}

export type ContactCodeAnswer = CodeAnswerOf<ContactChangeStatus>;

export interface ContactChangeState extends IdentityState<ContactChangeStatus> {
  channel: CodeChannel;
  code: CodeState | null;
}

export const contactCodeSentUpdate = defineUpdate<ContactCodeAnswer, []>('registered');
export const enterContactCodeUpdate = defineUpdate<ContactCodeAnswer, [{ code: string }, ActionMeta]>('enterContactCode');
export const contactChangeStateQuery = defineQuery<ContactChangeState>('state');

const { applyContactChange } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [FailureType.Permanent] },
});

const RENEW = 'ask for the change again';
const CONTACT = { email: 'e-mail', sms: 'phone' } as const;
const CONTACT_RU = { email: 'адрес электронной почты', sms: 'номер телефона' } as const;

export class ContactChangeCase extends IdentityCase<ContactChangeStatus, ContactChangeState, ContactChangeDetail> {
  constructor(
    s: ContactChangeState,
    private readonly input: ContactChangeInput,
  ) {
    super(s);
  }

  static start(input: ContactChangeInput): ContactChangeCase {
    return new ContactChangeCase({ ...startedIdentity(input, 'awaiting_code' as const), channel: input.channel, code: null }, input);
  }

  private get attemptsLeft(): number {
    return attemptsLeft(this.s.code, this.input.maxAttempts);
  }

  protected view(): IdentityView<ContactChangeDetail> {
    const s = this.s;
    return {
      dueAt: s.code && s.status === 'awaiting_code' ? s.code.expiresAt : null,
      detail: { purpose: 'contact_change', channel: s.channel, codeExpiresAt: s.code?.expiresAt ?? null, attemptsLeft: this.attemptsLeft },
    };
  }

  current(accepted: boolean): ContactCodeAnswer {
    const s = this.s;
    return { number: s.number, status: s.status, accepted, attemptsLeft: this.attemptsLeft, codeExpiresAt: s.code?.expiresAt ?? null, version: s.journal.version };
  }

  /** Journals the request and sends its code to the new address; returns the version that shows the code sent. */
  async begin(meta: ActionMeta): Promise<number> {
    const s = this.s;
    this.journal.commit(meta, s.startedAt, [{ type: 'contact_change_requested', summary: `Change of ${CONTACT[s.channel]} requested`, data: { channel: s.channel } }]);
    s.code = await sendCode({
      caseNumber: s.number,
      accountId: s.accountId,
      channel: s.channel,
      purpose: `Изменение: ${CONTACT_RU[s.channel]}`,
      serial: 1,
      validMinutes: this.input.codeTtlMinutes,
      toNewContact: true,
    });
    return this.journal.commit(meta, now(), [codeSentEntry(s.code, s.channel, this.input.codeTtlMinutes)]);
  }

  checkEnterCode(meta: ActionMeta): void {
    this.checkCitizen(meta, 'only the citizen whose account this is may enter the code');
    checkCodeOpen(this.s.status, this.s.code, RENEW);
  }

  async doEnterCode(code: string, meta: ActionMeta): Promise<ContactCodeAnswer> {
    const s = this.s;
    const result = await checkAwaitedCode(s, code, this.input.maxAttempts);
    if (result !== 'accepted') {
      const entries = wrongCodeEntries(result, this.attemptsLeft, RENEW);
      if (result === 'locked') {
        s.status = 'locked';
        s.closedAt = now();
      }
      return this.answer(this.journal.commit(meta, now(), entries), false);
    }
    const { applied } = await applyContactChange(s.number);
    const entry: EntryDraft = applied
      ? {
          type: 'contact_changed',
          summary: `Code confirmed: the account's ${CONTACT[s.channel]} is changed`,
          data: { channel: s.channel },
          notify: [{ recipient: s.accountId, type: 'personal_data_updated', title: `${s.number}: изменён ${CONTACT_RU[s.channel]}` }],
        }
      : { type: 'contact_change_refused', summary: `Code confirmed, but the new ${CONTACT[s.channel]} belongs to another account by now: nothing changed` };
    return this.answer(this.close(applied ? 'confirmed' : 'refused', meta, entry), applied);
  }

  /** An action's answer, once the read model shows what it committed. */
  private async answer(committed: number, accepted: boolean): Promise<ContactCodeAnswer> {
    await this.journal.settled(committed);
    return this.current(accepted);
  }

  dueTimers(): Array<DueTimer | null> {
    const s = this.s;
    if (s.status !== 'awaiting_code' || !s.code) return [];
    return [{ at: s.code.expiresAt, fire: () => this.close('code_expired', BY_SYSTEM, { type: 'code_expired', summary: `The one-time code expired unused; ${RENEW}` }) }];
  }
}

export async function contactChangeWorkflow(input: ContactChangeInput): Promise<ContactCodeAnswer> {
  const c = input.resume ? new ContactChangeCase(input.resume, input) : ContactChangeCase.start(input);
  // The code's version: the request's answer waits for it.
  let sent = input.resume ? c.journal.version : 0;

  setHandler(contactChangeStateQuery, () => c.s);
  setHandler(contactCodeSentUpdate, async () => {
    await condition(() => sent > 0);
    await c.journal.settled(sent);
    return c.current(false);
  });
  setHandler(enterContactCodeUpdate, ({ code }, meta) => c.doEnterCode(code, meta), { validator: (_input, meta) => c.checkEnterCode(meta) });

  void c.journal.runProjector();
  if (!input.resume) sent = await c.begin(input.meta);

  if ((await c.waitUntil(() => c.closed)) === 'continue_as_new') {
    await c.journal.drained();
    await continueAsNew<typeof contactChangeWorkflow>({ ...input, resume: c.s });
  }
  await c.journal.drained();
  return c.current(c.s.status === 'confirmed');
}
