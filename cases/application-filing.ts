import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { RESENDABLE_STATUSES, type ApplicationStatus } from '../core/application';
import { levelAtLeast } from '../core/case-model';
import { filedVersion, type ProjectionBatch } from '../core/case-projection';
import { conflict, forbidden, invalid, invalidState } from '../core/failures';
import type { Principal } from '../core/principal';
import { actorOf } from '../core/principal';
import type { Db } from '../db/client';
import { allocateCaseNumber, getCase, type CaseRowOf } from '../db/queries/cases';
import { getCalendar, getCurrentEntry, getServiceVersion } from '../db/queries/catalogue';
import { findOwnedDocuments } from '../db/queries/documents';
import { launchCaseWorkflow, startCaseWorkflow } from '../temporal/start-case';
import { applicationWorkflow, registeredUpdate, type ActionResult } from '../workflows/application';
import { ApplicationCase, type EditInput } from '../workflows/application-case';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import { caseVisibleTo } from './access';
import type { FilingContext } from './filing-context';
import { applicationContentErrors } from './form-validation';

export interface FilingRequest {
  serviceCode: string;
  form: Record<string, unknown>;
  documents: string[];
}

export interface ApplicationFilingContext extends FilingContext {
  /** The rejected or expired case this one re-sends. */
  resending?: CaseRowOf<'application'>;
  /** The participant code the invoices' payment identifiers start with. */
  paymentPayee: string;
  /**
   * Writes a case's first version to the read model (and counts it), as the workflow's
   * projection would, committing it only once `start` has succeeded.
   */
  projectAhead: (batch: ProjectionBatch, start: () => Promise<void>) => Promise<void>;
  /** Now, in ms, on the workflows' clock. */
  clock: () => Promise<number>;
}

/** The current version of the service, if it takes applications. */
async function offeredService(db: Db, code: string) {
  const current = await getCurrentEntry(db, code);
  if (!current) throw invalid('unknown service', [{ path: '/body/serviceCode', message: `no service "${code}"` }]);
  if (current.retired) throw invalidState(`"${current.name}" is retired and takes no new applications`, { serviceCode: code });
  const { retired: _retired, ...service } = current;
  return service;
}

/**
 * Files an application: checks it against the catalogue, issues its number and starts
 * its workflow, answering only once the case is registered in the read model.
 */
export async function fileApplication(ctx: ApplicationFilingContext, req: FilingRequest): Promise<ActionResult & { created: boolean }> {
  const { db, who } = ctx;
  // Independent reads at once: one round trip to Postgres instead of three in a row.
  const [service, docs, calendar] = await Promise.all([offeredService(db, req.serviceCode), findOwnedDocuments(db, who.id, req.documents), getCalendar(db)]);
  if (!levelAtLeast(who.level ?? 'simplified', service.minLevel)) {
    throw forbidden(
      `"${service.name}" needs a ${service.minLevel} account; yours is ${who.level}. ` +
        (who.level === 'simplified'
          ? 'Confirm your passport and SNILS: POST /identity/upgrades/standard.'
          : 'Confirm your identity in person, through a bank, by letter or e-signature: POST /identity/upgrades/confirmed.'),
      { levelRequired: service.minLevel, level: who.level },
    );
  }
  const errors = applicationContentErrors(service, req.form, req.documents, docs);
  if (errors.length) throw invalid('the application is incomplete or invalid', errors);

  if (ctx.resending && !RESENDABLE_STATUSES.includes(ctx.resending.status as ApplicationStatus)) {
    throw invalidState(`only a rejected or expired application can be re-sent; ${ctx.resending.number} is ${ctx.resending.status}`);
  }
  const allocation = await allocateCaseNumber(db, {
    kind: 'application',
    applicantId: who.id,
    idempotencyKey: ctx.idempotencyKey,
    resentFrom: ctx.resending?.number,
  });
  if (allocation.outcome === 'already_resent') {
    throw conflict(`${ctx.resending?.number} was already re-sent as ${allocation.number}`, { resentAs: allocation.number });
  }
  const { number } = allocation;
  const input = {
    number,
    service,
    calendar,
    applicantId: who.id,
    form: req.form,
    documents: docs,
    resentFrom: ctx.resending?.number,
    paymentPayee: ctx.paymentPayee,
    filedAt: new Date(await ctx.clock()).toISOString(),
    meta: { ...ctx.meta, actor: actorOf(who) },
  };
  const start = {
    workflow: applicationWorkflow,
    kind: 'application' as const,
    number,
    applicantId: who.id,
    status: 'submitted',
    taskQueue: ctx.taskQueue,
    input,
    searchAttributes: [
      { key: CaseSearchAttributes.service, value: service.code },
      { key: CaseSearchAttributes.agency, value: service.agency },
    ],
    memo: { serviceName: service.name, serviceCode: service.code },
  };
  if (allocation.outcome === 'new') {
    // The answer waits for the start to be stored and the first version to be written, not
    // for the workflow to run: its own write of the same version later changes nothing.
    // The two overlap; a start that fails rolls the write back. A write that fails after the
    // start leaves the case to the workflow's; a retry under the same key finds it.
    const first = ApplicationCase.firstProjection(input);
    await ctx.projectAhead(first, () => launchCaseWorkflow(ctx.temporal, start));
    return { number, status: first.projection.status as ApplicationStatus, version: first.projection.version, created: true };
  }
  // A retry of a filing whose first attempt got its number: join that case as its workflow registered it.
  try {
    return { ...(await startCaseWorkflow(ctx.temporal, { ...start, registered: registeredUpdate })), created: false };
  } catch (err) {
    const closed = err instanceof WorkflowExecutionAlreadyStartedError ? await getCase(db, number) : undefined;
    if (!closed) throw err;
    return { number, status: closed.status as ApplicationStatus, version: closed.version, created: false };
  }
}

/**
 * Re-sends the caller's rejected or expired application as a new linked case, with the
 * form and documents of the old one unless the request brings new ones.
 */
export async function resendApplication(
  ctx: Omit<ApplicationFilingContext, 'resending'>,
  number: string,
  changes: Partial<Omit<FilingRequest, 'serviceCode'>>,
): Promise<ActionResult & { created: boolean }> {
  const old = await caseVisibleTo(ctx.db, ctx.who, number, 'application');
  return fileApplication(
    { ...ctx, resending: old },
    {
      serviceCode: old.serviceCode ?? '',
      form: changes.form ?? old.detail.form,
      documents: changes.documents ?? old.detail.documents.map((d) => d.id),
    },
  );
}

/**
 * An edit of the application checked like a filing, against the service's version the
 * case was filed under (its terms, whatever the catalogue says now): the documents the
 * caller's own, the form complete for that version.
 */
export async function checkedEdit(db: Db, who: Principal, row: CaseRowOf<'application'>, edit: { form: Record<string, unknown>; documents: string[] }): Promise<EditInput> {
  const service = row.serviceCode ? await getServiceVersion(db, row.serviceCode, filedVersion(row.detail)) : undefined;
  if (!service) throw invalid(`service ${row.serviceCode} is not in the catalogue; the case cannot be edited`);
  const docs = await findOwnedDocuments(db, who.id, edit.documents);
  const errors = applicationContentErrors(service, edit.form, edit.documents, docs);
  if (errors.length) throw invalid('the edited application is incomplete or invalid', errors);
  return { form: edit.form, documents: docs };
}
