import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { ActionMeta } from '../core/case-model';
import { conflict, invalid, invalidState, type FieldError } from '../core/failures';
import { checkDate, checkInn, checkPassport, checkSnils } from '../core/identity-checks';
import type { Principal } from '../core/principal';
import { actorOf } from '../core/principal';
import type { Db } from '../db/client';
import { findSnilsHolder } from '../db/queries/accounts';
import { allocateCaseNumber } from '../db/queries/cases';
import { insertIdentitySubmission } from '../db/queries/identity';
import { startCaseWorkflow } from '../temporal/start-case';
import { standardUpgradeWorkflow, upgradeRegisteredUpdate, type UpgradeAnswer } from '../workflows/identity-standard';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import { activeAccount } from './active-account';

export interface StandardUpgradeRequest {
  snils: string;
  passportSeries: string;
  passportNumber: string;
  birthDate: string;
  citizenship: 'RU' | 'foreign';
  /** Optional: the personal taxpayer number, checked and kept with the data sent. */
  inn?: string;
}

/** A passport is issued from 14: a younger birth date is a typing error. */
function latestBirthDate(today: Date): string {
  return new Date(Date.UTC(today.getUTCFullYear() - 14, today.getUTCMonth(), today.getUTCDate())).toISOString().slice(0, 10);
}

/**
 * Starts the registry check that raises the caller's account to standard. The personal
 * data is stored for the check's activity, never handed to the workflow.
 */
export async function startStandardUpgrade(
  ctx: { db: Db; temporal: Client; config: Config; who: Principal; meta: Omit<ActionMeta, 'actor'>; idempotencyKey?: string },
  req: StandardUpgradeRequest,
): Promise<UpgradeAnswer> {
  const errors: FieldError[] = [];
  const snils = checkSnils(req.snils);
  if (!snils.ok) errors.push({ path: '/body/snils', message: snils.rule });
  const passport = checkPassport(req.passportSeries, req.passportNumber);
  if (!passport.series.ok) errors.push({ path: '/body/passportSeries', message: passport.series.rule });
  if (!passport.number.ok) errors.push({ path: '/body/passportNumber', message: passport.number.rule });
  const birth = checkDate(req.birthDate, { notAfter: latestBirthDate(new Date()), notBefore: '1900-01-01' });
  if (!birth.ok) errors.push({ path: '/body/birthDate', message: birth.rule });
  if (req.inn !== undefined) {
    const inn = checkInn(req.inn);
    if (!inn.ok) errors.push({ path: '/body/inn', message: inn.rule });
    else if (inn.value.length !== 12) errors.push({ path: '/body/inn', message: 'a person has a 12-digit INN' });
  }
  if (errors.length || !snils.ok || !passport.series.ok || !passport.number.ok) {
    throw invalid('the identity data is invalid', errors);
  }
  const account = await activeAccount(ctx.db, ctx.who);
  if (account.level !== 'simplified') throw invalidState(`your account is already ${account.level}`);
  if (await findSnilsHolder(ctx.db, snils.value, ctx.who.id)) throw conflict('this SNILS is already confirmed for another account; one account per person');

  // Under an idempotency key a retry gets the number, the submission and the case an earlier attempt made.
  const { number } = await allocateCaseNumber(ctx.db, { kind: 'identity', applicantId: ctx.who.id, idempotencyKey: ctx.idempotencyKey });
  await insertIdentitySubmission(ctx.db, {
    caseNumber: number,
    accountId: ctx.who.id,
    snils: snils.value,
    passportSeries: passport.series.value,
    passportNumber: passport.number.value,
    birthDate: req.birthDate,
    citizenship: req.citizenship,
    inn: req.inn?.trim() ?? null,
  });
  return startCaseWorkflow(ctx.temporal, {
    workflow: standardUpgradeWorkflow,
    kind: 'identity',
    number,
    applicantId: ctx.who.id,
    status: 'checking',
    taskQueue: ctx.config.temporal.taskQueue,
    input: { number, accountId: ctx.who.id, citizenship: req.citizenship, meta: { ...ctx.meta, actor: actorOf(ctx.who) } },
    searchAttributes: [
      { key: CaseSearchAttributes.levelRequested, value: 'standard' },
      { key: CaseSearchAttributes.method, value: 'registry_check' },
    ],
    memo: { purpose: 'level_upgrade', levelRequested: 'standard' },
    registered: upgradeRegisteredUpdate,
  });
}
