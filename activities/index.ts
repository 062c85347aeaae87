import type { Logger } from 'pino';
import type { IssuedResult } from '../core/application';
import type { ProjectionBatch } from '../core/case-projection';
import type { SupervisorDirectory } from '../core/inbox-addresses';
import type { Db } from '../db/client';
import { writeProjection } from '../db/queries/projection';
import type { IdentityRegistry } from '../identity/registry';
import type { Senders } from '../notifications/channel';
import { createDeliver } from '../notifications/deliver';
import type { SignatureVerifier } from '../signatures/verifier';
import { createEptsActivities } from './epts';
import { createIdentityActivities } from './identity';
import { issueResult, type ResultRequest } from './results';

export type { AppliedChange, PassportChangeRequest } from './epts';
export type { CodeRequest } from './identity';
export type { ResultRequest } from './results';

export interface ActivityDeps {
  db: Db;
  /** Keys the digests of one-time codes. */
  codeSecret: string;
  registry: IdentityRegistry;
  verifier: SignatureVerifier;
  /** One per channel: real providers, or the local sinks in development and tests. */
  senders: Senders;
  /** Whom the projection gives a copy of each escalation to a desk's supervisor. */
  supervisors: SupervisorDirectory;
  logger: Logger;
}

/** Activities are built from their dependencies; the worker wires real ones, tests their own. */
export function createActivities({ db, codeSecret, registry, verifier, senders, supervisors, logger }: ActivityDeps) {
  return {
    ...createIdentityActivities(db, codeSecret, registry, verifier, createDeliver(db, senders, logger)),
    ...createEptsActivities(db),
    async projectCase(batch: ProjectionBatch): Promise<void> {
      await writeProjection(db, batch, supervisors);
    },
    async issueApplicationResult(req: ResultRequest): Promise<IssuedResult> {
      return issueResult(db, req);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
