import type { Client } from '@temporalio/client';
import { caseVisibleTo } from '../cases/access';
import type { Config } from '../config';
import { caseWorkflowId, type ActionMeta } from '../core/case-model';
import { FailureType, invalid, invalidState, notFound, Refusal } from '../core/failures';
import type { ConfirmationMethod } from '../core/identity';
import type { Principal } from '../core/principal';
import { actorOf } from '../core/principal';
import type { Db } from '../db/client';
import { getAccountName, saveIdentitySignature, setPostalAddress } from '../db/queries/accounts';
import { allocateCaseNumber, getCase } from '../db/queries/cases';
import { uuidFromSeed } from '../lib/derived-uuid';
import { startCaseWorkflow } from '../temporal/start-case';
import {
  confirmationRegisteredUpdate,
  confirmedUpgradeWorkflow,
  enterLetterCodeUpdate,
  operatorDecisionUpdate,
  submitSignatureUpdate,
  type ConfirmationAnswer,
  type OperatorDecision,
} from '../workflows/identity-confirmed';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import { activeAccount } from './active-account';

export interface ConfirmedUpgradeRequest {
  method: ConfirmationMethod;
  /** in person: the office; bank: the bank; letter: the postal address */
  place: string;
}

type Context = {
  db: Db;
  temporal: Client;
  /** The request's action key (api/idempotency.ts): a retry finds the case or the update an earlier attempt made. */
  idempotencyKey?: string;
};
/** The citizen acting on their own confirmation, and from where. */
type CitizenContext = Context & { who: Principal; meta: Omit<ActionMeta, 'actor'> };

/** How long each kind of request waits for its confirmation. */
const VALID_DAYS: Record<ConfirmationMethod, number> = { in_person: 30, bank: 1, letter: 30, signature: 1 };

/** Starts a confirmation of the caller's identity; only a standard account can be confirmed. */
export async function startConfirmedUpgrade(
  ctx: CitizenContext & { config: Config },
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
  // The bank's callbacks are checked against it: only configured banks confirm.
  if (req.method === 'bank' && !Object.hasOwn(ctx.config.auth.banks, req.place)) {
    throw invalid('no such online bank', [{ path: '/body/place', message: `the bank's id, one of: ${Object.keys(ctx.config.auth.banks).join(', ')}` }]);
  }
  // The address is personal data: it stays with the account, out of the workflow.
  if (req.method === 'letter') await setPostalAddress(ctx.db, ctx.who.id, req.place);
  const place = req.method === 'letter' ? 'registered letter' : req.place;
  const { number } = await allocateCaseNumber(ctx.db, { kind: 'identity', applicantId: ctx.who.id, idempotencyKey: ctx.idempotencyKey });
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

/** The citizen's own open confirmation request, by the method it was started with. */
async function ownRequest(ctx: CitizenContext, number: string) {
  const row = await caseVisibleTo(ctx.db, ctx.who, number, 'identity');
  return { number: row.number, handle: ctx.temporal.workflow.getHandle(caseWorkflowId(row.number)) };
}

/** The code from the registered letter; a wrong one is refused with the attempts left. */
export async function enterLetterCode(ctx: CitizenContext, number: string, code: string) {
  const { handle } = await ownRequest(ctx, number);
  const result = await handle.executeUpdate(enterLetterCodeUpdate, { args: [{ code }, { ...ctx.meta, actor: actorOf(ctx.who) }], updateId: ctx.idempotencyKey });
  if (!result.accepted) {
    throw invalid(
      result.status === 'locked' ? 'wrong code; the request is locked, request confirmation again' : `wrong code; ${result.attemptsLeft} attempt(s) left`,
      [{ path: '/body/code', message: 'does not match the code in the letter' }],
    );
  }
  return result;
}

/** A qualified signature as proof; the certificate names the person, so only its id enters the workflow. */
export async function submitIdentitySignature(
  ctx: CitizenContext,
  number: string,
  signature: Omit<Parameters<typeof saveIdentitySignature>[1], 'id' | 'caseNumber' | 'accountId'>,
) {
  const own = await ownRequest(ctx, number);
  const submissionId = await saveIdentitySignature(ctx.db, {
    ...signature,
    id: ctx.idempotencyKey && uuidFromSeed(ctx.idempotencyKey),
    caseNumber: own.number,
    accountId: ctx.who.id,
  });
  const result = await own.handle.executeUpdate(submitSignatureUpdate, {
    args: [{ submissionId }, { ...ctx.meta, actor: actorOf(ctx.who) }],
    updateId: ctx.idempotencyKey,
  });
  if (!result.accepted) throw new Refusal(FailureType.Unprocessable, `the signature is not accepted: ${result.reason}`);
  return result;
}

/** A confirmation of `method`; any other number is 404, to an operator or a bank alike. */
export async function confirmationOf<M extends ConfirmationMethod>(db: Db, number: string, method: M) {
  const row = await getCase(db, number);
  if (row?.kind !== 'identity' || !('method' in row.detail) || row.detail.method !== method) {
    throw notFound(`confirmation request ${number}`);
  }
  return { ...row, detail: row.detail };
}

/** What the operator at the office sees of an in-person request: the name to check against the passport. */
export async function inPersonRequest(db: Db, number: string) {
  const row = await confirmationOf(db, number, 'in_person');
  return {
    applicantId: row.applicantId,
    view: {
      number: row.number,
      status: row.status,
      version: row.version,
      citizenName: (await getAccountName(db, row.applicantId)) ?? '',
      expiresAt: row.detail.expiresAt,
    },
  };
}

/** The operator's decision on an in-person request, at the version they saw. */
export async function decideInPerson(ctx: Context, number: string, decision: OperatorDecision, meta: ActionMeta) {
  await confirmationOf(ctx.db, number, 'in_person');
  return ctx.temporal.workflow.getHandle(caseWorkflowId(number)).executeUpdate(operatorDecisionUpdate, { args: [decision, meta], updateId: ctx.idempotencyKey });
}
