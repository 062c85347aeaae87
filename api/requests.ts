import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UpdateDefinition } from '@temporalio/client';
import { caseWorkflowId, type ActionMeta, type CaseActionResult } from '../core/case-model';
import { actorOf, principal } from './auth';

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
 * Delivers a human action to the case's workflow as an update and waits for its answer:
 * accepted (after the read model shows it) or refused by the workflow's validator.
 */
export async function caseUpdate<R extends CaseActionResult, Args extends [unknown, ...unknown[]]>(
  app: FastifyInstance,
  number: string,
  update: UpdateDefinition<R, Args>,
  ...args: Args
): Promise<R> {
  const handle = app.deps.temporal.workflow.getHandle(caseWorkflowId(number));
  return handle.executeUpdate(update, { args });
}
