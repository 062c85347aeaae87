import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { ActionMeta } from '../core/case-model';
import { conflict, invalid, type FieldError } from '../core/failures';
import type { CodeChannel } from '../core/identity';
import { checkPassword, checkPhone } from '../core/identity-checks';
import type { Db } from '../db/client';
import { insertPendingAccount } from '../db/queries/accounts';
import { allocateCaseNumber } from '../db/queries/cases';
import { startCaseWorkflow } from '../temporal/start-case';
import { codeIssuedUpdate, registrationWorkflow, type CodeAnswer } from '../workflows/identity-registration';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
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
 * with a one-time code. Answers once the code is on its way.
 */
export async function startRegistration(
  ctx: { db: Db; temporal: Client; config: Config; meta: Omit<ActionMeta, 'actor'> },
  req: RegistrationRequest,
): Promise<CodeAnswer & { accountId: string }> {
  const { errors, phone, email } = registrationErrors(req);
  if (errors.length) throw invalid('the registration is invalid', errors);
  const accountId = randomUUID();
  const created = await insertPendingAccount(ctx.db, {
    id: accountId,
    name: req.name.trim(),
    phone,
    email,
    passwordHash: await hashPassword(req.password),
  });
  if (!created.created) {
    throw conflict(`this ${created.taken === 'phone' ? 'phone number' : 'e-mail'} already belongs to an account; sign in or restore access`);
  }
  const allocation = await allocateCaseNumber(ctx.db, { kind: 'identity', applicantId: accountId });
  const channels: CodeChannel[] = [...(phone ? (['sms'] as const) : []), ...(email ? (['email'] as const) : [])];
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
      channel: req.channel ?? channels[0]!,
      codeTtlMinutes: ctx.config.identity.codeTtlMinutes,
      maxAttempts: ctx.config.identity.codeMaxAttempts,
      windowHours: REGISTRATION_WINDOW_HOURS,
      meta: { ...ctx.meta, actor: { id: accountId, role: 'citizen' } },
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
