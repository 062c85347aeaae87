import { WorkflowNotFoundError } from '@temporalio/client';
import type { AppealGround } from '../core/appeal';
import { caseWorkflowId, type CaseActionResult } from '../core/case-model';
import type { TermUnit } from '../core/deadline-clock';
import { conflict, invalidState, type Refusal } from '../core/failures';
import { actorOf } from '../core/principal';
import { allocateCaseNumber, getCase, releaseCaseNumber, type CaseRowOf } from '../db/queries/cases';
import { appealRegisteredUpdate, type AppealActionResult } from '../workflows/appeal';
import { contestUpdate } from '../workflows/application';
import { caseVisibleTo } from './access';
import type { FilingContext } from './filing-context';
import { ownedDocuments } from './owned-documents';

export interface AppealRequest {
  ground: AppealGround;
  reasons: string;
  references: string[];
  documents: string[];
}

export interface AppealFilingContext extends FilingContext {
  examinationTerm: { days: number; unit: TermUnit };
}

/**
 * Files an appeal against the caller's application `contestedNumber`. The contested
 * case's workflow decides whether it may be appealed (window, ground, one open appeal)
 * and starts the appeal; this answers once the appeal is in the read model. A refused
 * appeal leaves nothing behind.
 */
export async function fileAppeal(ctx: AppealFilingContext, contestedNumber: string, req: AppealRequest): Promise<AppealActionResult & { created: boolean }> {
  const { db, who } = ctx;
  const contested = await caseVisibleTo(db, who, contestedNumber, 'application');
  const docs = await ownedDocuments(db, who.id, req.documents);

  const allocation = await allocateCaseNumber(db, { kind: 'appeal', applicantId: who.id, idempotencyKey: ctx.idempotencyKey });
  const { number } = allocation;
  if (allocation.outcome === 'existing') {
    const earlier = await getCase(db, number);
    if (earlier && earlier.relatedNumber !== contested.number) {
      throw conflict(`this Idempotency-Key was used for appeal ${number} against ${earlier.relatedNumber}`, { appeal: number });
    }
  }
  let recorded: CaseActionResult;
  try {
    recorded = await ctx.temporal.workflow.getHandle(caseWorkflowId(contested.number)).executeUpdate(contestUpdate, {
      args: [
        {
          appealNumber: number,
          ground: req.ground,
          reasons: req.reasons,
          references: req.references,
          documents: docs,
          examinationTerm: ctx.examinationTerm,
        },
        { ...ctx.meta, actor: actorOf(who) },
      ],
      // A retry after an attempt that reached the contested case finds its contest, not a second one.
      updateId: ctx.idempotencyKey,
    });
  } catch (err) {
    if (allocation.outcome === 'new') await releaseCaseNumber(db, number);
    throw err instanceof WorkflowNotFoundError ? closedCaseRefusal(contested, req.ground) : err;
  }
  const registered = await ctx.temporal.workflow.getHandle(caseWorkflowId(number)).executeUpdate(appealRegisteredUpdate);
  // Filing changes both cases: the answer states both as the next reads show them.
  return { ...registered, contested: recorded, created: allocation.outcome === 'new' };
}

/**
 * A case's workflow ends when the last period to appeal it has run out; its read model is
 * then final and still says when that was.
 */
function closedCaseRefusal(contested: CaseRowOf<'application'>, ground: AppealGround): Refusal {
  const closedOn = contested.detail.appeals.lastDays[ground];
  return closedOn
    ? invalidState(`the period to appeal closed on ${closedOn}`, { appealClosedOn: closedOn })
    : invalidState(`${contested.number} is closed and has no ${ground} decision that can still be appealed`);
}
