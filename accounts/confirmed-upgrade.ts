import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { ActionMeta } from '../core/case-model';
import { invalidState } from '../core/failures';
import type { ConfirmationMethod } from '../core/identity';
import type { Principal } from '../core/principal';
import { actorOf } from '../core/principal';
import type { Db } from '../db/client';
import { setPostalAddress } from '../db/queries/accounts';
import { allocateCaseNumber } from '../db/queries/cases';
import { startCaseWorkflow } from '../temporal/start-case';
import {
  confirmationRegisteredUpdate,
  confirmedUpgradeWorkflow,
  type ConfirmationAnswer,
} from '../workflows/identity-confirmed';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import { activeAccount } from './active-account';

export interface ConfirmedUpgradeRequest {
  method: ConfirmationMethod;
  /** in person: the office; bank: the bank; letter: the postal address */
  place: string;
}

/** How long each kind of request waits for its confirmation. */
const VALID_DAYS: Record<ConfirmationMethod, number> = { in_person: 30, bank: 1, letter: 30, signature: 1 };

/** Starts a confirmation of the caller's identity; only a standard account can be confirmed. */
export async function startConfirmedUpgrade(
  ctx: { db: Db; temporal: Client; config: Config; who: Principal; meta: Omit<ActionMeta, 'actor'> },
  req: ConfirmedUpgradeRequest,
): Promise<ConfirmationAnswer> {
  const account = await activeAccount(ctx.db, ctx.who);
  if (account.level !== 'standard') {
    throw invalidState(
      account.level === 'confirmed'
        ? 'your account is already confirmed'
        : 'confirm your passport and SNILS first (level standard), then sign in again',
    );
  }
  // The address is personal data: it stays with the account, out of the workflow.
  if (req.method === 'letter') await setPostalAddress(ctx.db, ctx.who.id, req.place);
  const place = req.method === 'letter' ? 'registered letter' : req.place;
  const { number } = await allocateCaseNumber(ctx.db, { kind: 'identity', applicantId: ctx.who.id });
  return startCaseWorkflow(ctx.temporal, {
    workflow: confirmedUpgradeWorkflow,
    kind: 'identity',
    number,
    applicantId: ctx.who.id,
    status: 'awaiting_confirmation',
    taskQueue: ctx.config.temporal.taskQueue,
    input: {
      number,
      accountId: ctx.who.id,
      method: req.method,
      place,
      validDays: VALID_DAYS[req.method],
      maxAttempts: ctx.config.identity.codeMaxAttempts,
      meta: { ...ctx.meta, actor: actorOf(ctx.who) },
    },
    searchAttributes: [
      { key: CaseSearchAttributes.levelRequested, value: 'confirmed' },
      { key: CaseSearchAttributes.method, value: req.method },
    ],
    memo: { purpose: 'level_upgrade', levelRequested: 'confirmed' },
    registered: confirmationRegisteredUpdate,
  });
}
