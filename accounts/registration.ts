import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { caseWorkflowId, type ActionMeta } from '../core/case-model';
import { conflict, invalid, notFound, type FieldError } from '../core/failures';
import type { CodeChannel } from '../core/identity';
import { checkPassword, checkPhone } from '../core/identity-checks';
import type { Db } from '../db/client';
import { contactHeldByActive, getAccount, insertPendingAccount } from '../db/queries/accounts';
import { allocateCaseNumber, getCase } from '../db/queries/cases';
import { uuidFromSeed } from '../lib/derived-uuid';
import { startCaseWorkflow } from '../temporal/start-case';
import { codeIssuedUpdate, enterCodeUpdate, registrationWorkflow, restartUpdate, type CodeAnswer } from '../workflows/identity-registration';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import { allowCodeSend } from './code-sends';
import { hashPassword } from './passwords';

export interface RegistrationRequest {
  name: string;
  phone?: string;
  email?: string;
  password: string;
  channel?: CodeChannel;
}

/** An unfinished registration stays open this long for code restarts. */
const REGISTRATION_WINDOW_HOURS = 24;

function registrationErrors(req: RegistrationRequest): { errors: FieldError[]; phone?: string; email?: string } {
  const errors: FieldError[] = [];
  let phone: string | undefined;
  if (req.phone !== undefined) {
    const p = checkPhone(req.phone);
    if (p.ok) phone = p.value;
    else errors.push({ path: '/body/phone', message: p.rule });
  }
  const email = req.email?.trim().toLowerCase();
  if (!req.phone && !req.email) errors.push({ path: '/body', message: 'a phone or an e-mail is required' });
  const pw = checkPassword(req.password);
  if (!pw.ok) errors.push({ path: '/body/password', message: pw.rule });
  const channel = req.channel ?? (req.phone !== undefined ? 'sms' : 'email');
  if ((channel === 'sms' && !req.phone) || (channel === 'email' && !req.email)) {
    errors.push({ path: '/body/channel', message: `no ${channel === 'sms' ? 'phone' : 'e-mail'} to send the code to` });
  }
  return { errors, phone, email };
}

/**
 * Opens a registration: a pending account and the workflow that confirms its contact
 * with a one-time code. Answers once the code is on its way. Under an idempotency key
 * the account's id and the case number derive from it: a retry finds what an earlier
 * attempt made.
 */
export async function startRegistration(
  ctx: RegistrationContext & { config: Config },
  req: RegistrationRequest,
): Promise<CodeAnswer & { accountId: string }> {
  const { errors, phone, email } = registrationErrors(req);
  if (errors.length) throw invalid('the registration is invalid', errors);
  const taken = await contactHeldByActive(ctx.db, { phone, email });
  if (taken) throw conflict(`this ${taken === 'phone' ? 'phone number' : 'e-mail'} already belongs to an account; sign in or restore access`);
  const accountId = ctx.idempotencyKey ? uuidFromSeed(ctx.idempotencyKey) : randomUUID();
  const channels: CodeChannel[] = [...(phone ? (['sms'] as const) : []), ...(email ? (['email'] as const) : [])];
  const channel = req.channel ?? channels[0]!;
  await allowCodeSend(ctx.db, ctx.config.identity, { address: (channel === 'sms' ? phone : email)!, registration: accountId });
  await insertPendingAccount(ctx.db, { id: accountId, name: req.name.trim(), phone, email, passwordHash: await hashPassword(req.password) });
  const allocation = await allocateCaseNumber(ctx.db, { kind: 'identity', applicantId: accountId, idempotencyKey: ctx.idempotencyKey });
  const answer = await startCaseWorkflow(ctx.temporal, {
    workflow: registrationWorkflow,
    kind: 'identity',
    number: allocation.number,
    applicantId: accountId,
    status: 'awaiting_code',
    taskQueue: ctx.config.temporal.taskQueue,
    input: {
      number: allocation.number,
      accountId,
      channels,
      channel,
      codeTtlMinutes: ctx.config.identity.codeTtlMinutes,
      maxAttempts: ctx.config.identity.codeMaxAttempts,
      windowHours: REGISTRATION_WINDOW_HOURS,
      meta: asApplicant(ctx, accountId),
    },
    searchAttributes: [
      { key: CaseSearchAttributes.levelRequested, value: 'simplified' },
      { key: CaseSearchAttributes.method, value: 'one_time_code' },
    ],
    memo: { purpose: 'registration', levelRequested: 'simplified' },
    registered: codeIssuedUpdate,
  });
  return { ...answer, accountId };
}

type RegistrationContext = {
  db: Db;
  temporal: Client;
  meta: Omit<ActionMeta, 'actor'>;
  /** The request's action key (api/idempotency.ts): the same request again acts once. */
  idempotencyKey?: string;
};

/**
 * The registration's workflow, for the account that started it: before the code is
 * confirmed there is no token, so the account id returned at the start is the key, and
 * anyone else learns nothing (404).
 */
async function registrationOf(ctx: RegistrationContext, number: string, accountId: string) {
  const row = await getCase(ctx.db, number);
  if (!row || row.kind !== 'identity' || row.detail.purpose !== 'registration' || row.applicantId !== accountId) throw notFound(`registration ${number}`);
  return { row: { ...row, detail: row.detail }, handle: ctx.temporal.workflow.getHandle(caseWorkflowId(number)) };
}

const asApplicant = (ctx: RegistrationContext, accountId: string): ActionMeta => ({ ...ctx.meta, actor: { id: accountId, role: 'citizen' } });

/** Confirms the contact with the code sent; a wrong code is refused with the attempts left. */
export async function enterRegistrationCode(
  ctx: RegistrationContext,
  number: string,
  req: { accountId: string; code: string },
): Promise<CodeAnswer> {
  const { handle } = await registrationOf(ctx, number, req.accountId);
  const answer = await handle.executeUpdate(enterCodeUpdate, { args: [{ code: req.code }, asApplicant(ctx, req.accountId)], updateId: ctx.idempotencyKey });
  if (answer.status === 'refused') throw conflict('the code is right, but another account confirmed this phone number or e-mail first; sign in or restore access');
  if (!answer.accepted) {
    throw invalid(
      answer.status === 'locked' ? 'wrong code; the attempt is now locked, restart it' : `wrong code; ${answer.attemptsLeft} attempt(s) left`,
      [{ path: '/body/code', message: 'does not match the code sent' }],
    );
  }
  return answer;
}

/** Sends a new code after expiry or a lock, on the same or the other channel, as often as the code limits allow. */
export async function restartRegistration(
  ctx: RegistrationContext & { config: Config },
  number: string,
  req: { accountId: string; channel?: CodeChannel },
): Promise<CodeAnswer> {
  const { row, handle } = await registrationOf(ctx, number, req.accountId);
  const channel = req.channel ?? row.detail.channel;
  const account = await getAccount(ctx.db, req.accountId);
  const address = channel === 'sms' ? account?.phone : account?.email;
  // An ended registration or a channel without an address is refused by the workflow: no code goes out, none is counted.
  if (!row.closedAt && address) await allowCodeSend(ctx.db, ctx.config.identity, { address, registration: req.accountId });
  return handle.executeUpdate(restartUpdate, { args: [{ channel: req.channel }, asApplicant(ctx, req.accountId)], updateId: ctx.idempotencyKey });
}
