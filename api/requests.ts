import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UpdateDefinition } from '@temporalio/client';
import { recordAccess, type Access } from '../audit/access-journal';
import { caseVisibleTo } from '../cases/access';
import type { FilingContext } from '../cases/filing-context';
import { caseWorkflowId, type ActionMeta, type CaseActionResult, type CaseKind } from '../core/case-model';
import { actorOf } from '../core/principal';
import type { ProjectionBatch } from '../core/case-projection';
import type { CaseRowOf } from '../db/queries/cases';
import { writeProjection } from '../db/queries/projection';
import { principal } from './auth';
import { actionKey } from './idempotency';

/** The journal's "from where" for this request, for actions whose actor is not the token's. */
export function requestMeta(request: FastifyRequest): Omit<ActionMeta, 'actor'> {
  return { clientAddress: request.ip, requestId: request.id };
}

/** Records the caller's read of personal data before it is answered (audit/access-journal.ts decides which reads are kept). */
export function journalAccess(request: FastifyRequest, access: Access): Promise<void> {
  return recordAccess(request.server.deps.database.db, { who: principal(request), clientAddress: request.ip, requestId: request.id }, access);
}

/** The journal's "who, from where" for this request. */
export function actionMeta(request: FastifyRequest, expectedVersion?: number): ActionMeta {
  return { ...requestMeta(request), actor: actorOf(principal(request)), expectedVersion };
}

/**
 * A `/cases/{number}/…` action: the case visible to the caller, of one of `kinds`, gets
 * `update` with `args` and the request's meta. Arguments that depend on the case are
 * given as a function of it, called once the case is found. The workflow answers once
 * the read model shows the action, or its validator refuses it. Under an Idempotency-Key
 * the update's id is the action's key: a retry after an attempt that reached the case
 * gets that update's outcome, and the case acts once.
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
  return app.deps.temporal.workflow
    .getHandle(caseWorkflowId(row.number))
    .executeUpdate(update as UpdateDefinition<R, Full>, { args: full, updateId: actionKey(request) });
}

/**
 * A case's first version written by this API instance, before its workflow has run (the
 * workflow's own write of it then changes nothing); counted as a worker counts the
 * projections it writes, so each case is counted once, by whoever created its row.
 */
export async function projectAhead(request: FastifyRequest, batch: ProjectionBatch, start: () => Promise<void>): Promise<void> {
  const { database, config, caseMetrics } = request.server.deps;
  caseMetrics.projected(await writeProjection(database.db, batch, config.inbox.supervisors, start));
}

/** Filing a case of any kind: who files, from where, with which retry key. */
export function filingContext(request: FastifyRequest): FilingContext {
  const { deps } = request.server;
  return {
    db: deps.database.db,
    temporal: deps.temporal,
    taskQueue: deps.config.temporal.taskQueue,
    who: principal(request),
    meta: requestMeta(request),
    idempotencyKey: actionKey(request),
  };
}

/**
 * A filing's answer: 201 for a new case, 200 when its key found the case an earlier
 * attempt filed (one that died before it could answer; an answered one is replayed).
 */
export function sendFiled<R extends { number: string; created: boolean }>(reply: FastifyReply, result: R): FastifyReply {
  return reply.status(result.created ? 201 : 200).header('location', `/cases/${result.number}`).send(result);
}
