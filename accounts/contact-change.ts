import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { caseWorkflowId, type ActionMeta } from '../core/case-model';
import { conflict, FailureType, invalid, invalidState, notFound, Refusal } from '../core/failures';
import type { CodeChannel, ContactChangeStatus } from '../core/identity';
import { checkPhone } from '../core/identity-checks';
import { actorOf, type Principal } from '../core/principal';
import type { Db } from '../db/client';
import { allocateCaseNumber, getCase } from '../db/queries/cases';
import { addressHeldByAnother, insertContactChange } from '../db/queries/contact-changes';
import { startCaseWorkflow } from '../temporal/start-case';
import { contactChangeWorkflow, contactCodeSentUpdate, enterContactCodeUpdate, type ContactCodeAnswer } from '../workflows/identity-contact-change';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import { activeAccount } from './active-account';
import { allowCodeSend } from './code-sends';

/** One new address: an e-mail or a phone. */
export interface ContactChangeRequest {
  email?: string;
  phone?: string;
}

/** The addresses messages go to now. */
export interface Contacts {
  email: string | null;
  phone: string | null;
}

type Ctx = {
  db: Db;
  temporal: Client;
  who: Principal;
  meta: Omit<ActionMeta, 'actor'>;
  /** The request's action key (api/idempotency.ts): a retry finds the change or the code entry an earlier attempt made. */
  idempotencyKey?: string;
};

const NAMED = { email: 'e-mail', sms: 'phone number' } as const;

/** Refusals of a code entered into a change that has ended. */
const ENDED: Record<Exclude<ContactChangeStatus, 'awaiting_code'>, string> = {
  code_expired: 'the code has expired; ask for the change again',
  locked: 'the change is locked after too many wrong codes; ask for it again',
  confirmed: 'the change is confirmed already',
  refused: 'the change was refused: the address belongs to another account',
};

export async function contactsOf(db: Db, who: Principal): Promise<Contacts> {
  const account = await activeAccount(db, who);
  return { email: account.email, phone: account.phone };
}

/** The one new address the request names (its schema takes exactly one). */
function newAddress(req: ContactChangeRequest): { channel: CodeChannel; address: string } {
  if (req.email !== undefined) return { channel: 'email', address: req.email.trim().toLowerCase() };
  const phone = checkPhone(req.phone!);
  if (!phone.ok) throw invalid('the phone is invalid', [{ path: '/body/phone', message: phone.rule }]);
  return { channel: 'sms', address: phone.value };
}

/**
 * Asks to change the caller's e-mail or phone: the change is kept for its workflow, which
 * sends a one-time code to the new address. Answers once the code is on its way.
 */
export async function startContactChange(ctx: Ctx & { config: Config }, req: ContactChangeRequest): Promise<ContactCodeAnswer> {
  const { channel, address } = newAddress(req);
  const account = await activeAccount(ctx.db, ctx.who);
  if ((channel === 'sms' ? account.phone : account.email) === address) throw invalidState(`this ${NAMED[channel]} is yours already`);
  if (await addressHeldByAnother(ctx.db, channel, address, account.id)) throw conflict(`this ${NAMED[channel]} already belongs to another account`);
  await allowCodeSend(ctx.db, ctx.config.identity, { address });

  const { number } = await allocateCaseNumber(ctx.db, { kind: 'identity', applicantId: account.id, idempotencyKey: ctx.idempotencyKey });
  await insertContactChange(ctx.db, { caseNumber: number, accountId: account.id, channel, address });
  return startCaseWorkflow(ctx.temporal, {
    workflow: contactChangeWorkflow,
    kind: 'identity',
    number,
    applicantId: account.id,
    status: 'awaiting_code',
    taskQueue: ctx.config.temporal.taskQueue,
    input: {
      number,
      accountId: account.id,
      channel,
      codeTtlMinutes: ctx.config.identity.codeTtlMinutes,
      maxAttempts: ctx.config.identity.codeMaxAttempts,
      meta: { ...ctx.meta, actor: actorOf(ctx.who) },
    },
    searchAttributes: [{ key: CaseSearchAttributes.method, value: 'one_time_code' }],
    memo: { purpose: 'contact_change' },
    registered: contactCodeSentUpdate,
  });
}

/**
 * Confirms the change with the code sent to the new address: the account takes it, and
 * the answer shows the contacts as the next read does. A wrong code is refused with the
 * attempts left.
 */
export async function enterContactCode(ctx: Ctx, number: string, code: string): Promise<ContactCodeAnswer & { contacts: Contacts }> {
  const row = await getCase(ctx.db, number);
  if (!row || row.kind !== 'identity' || row.detail.purpose !== 'contact_change' || row.applicantId !== ctx.who.id) throw notFound(`contact change ${number}`);
  if (row.closedAt) throw invalidState(ENDED[row.status as keyof typeof ENDED]);

  const handle = ctx.temporal.workflow.getHandle(caseWorkflowId(number));
  const answer = await handle.executeUpdate(enterContactCodeUpdate, { args: [{ code }, { ...ctx.meta, actor: actorOf(ctx.who) }], updateId: ctx.idempotencyKey });
  if (answer.status === 'refused') throw conflict(`the new ${NAMED[row.detail.channel]} belongs to another account by now; nothing changed`);
  if (!answer.accepted) {
    throw new Refusal(FailureType.Unprocessable, answer.status === 'locked' ? 'wrong code; the change is now locked, ask for it again' : `wrong code; ${answer.attemptsLeft} attempt(s) left`, {
      attemptsLeft: answer.attemptsLeft,
      errors: [{ path: '/body/code', message: 'does not match the code sent' }],
    });
  }
  return { ...answer, contacts: await contactsOf(ctx.db, ctx.who) };
}
