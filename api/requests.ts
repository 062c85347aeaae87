import type { FastifyRequest } from 'fastify';
import type { UpdateDefinition } from '@temporalio/client';
import { caseVisibleTo } from '../cases/access';
import { caseWorkflowId, type ActionMeta, type CaseActionResult, type CaseKind } from '../core/case-model';
import { actorOf } from '../core/principal';
import type { CaseRowOf } from '../db/queries/cases';
import { principal } from './auth';

/** The journal's "who, from where" for this request. */
export function actionMeta(request: FastifyRequest, expectedVersion?: number): ActionMeta {
  return {
    actor: actorOf(principal(request)),
    clientAddress: request.ip,
    requestId: request.id,
    expectedVersion,
  };
}

/**
 * A `/cases/{number}/…` action: the case visible to the caller, of one of `kinds`, gets
 * `update` with `args` and the request's meta. Arguments that depend on the case are
 * given as a function of it, called once the case is found. The workflow answers once
 * the read model shows the action, or its validator refuses it.
 */
export async function actOnCase<K extends CaseKind, R extends CaseActionResult, A extends unknown[]>(
  request: FastifyRequest<{ Params: { number: string } }>,
  kinds: K | readonly K[],
  update: UpdateDefinition<R, [...A, ActionMeta]>,
  args: A | ((row: CaseRowOf<K>) => Promise<A>),
  expectedVersion?: number,
): Promise<R> {
  const app = request.server;
  const row = await caseVisibleTo(app.deps.database.db, principal(request), request.params.number, kinds);
  const given = typeof args === 'function' ? await args(row) : args;
  // The meta comes last, so the client's "at least one argument" overload is the one meant.
  type Full = [...A, ActionMeta] & [unknown, ...unknown[]];
  const full = [...given, actionMeta(request, expectedVersion)] as Full;
  return app.deps.temporal.workflow.getHandle(caseWorkflowId(row.number)).executeUpdate(update as UpdateDefinition<R, Full>, { args: full });
}
