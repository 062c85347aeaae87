import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { IssuedResult } from '../core/application';
import type { ProjectionBatch, ProjectionReceipt } from '../core/case-projection';
import type { SupervisorDirectory } from '../core/inbox-addresses';
import type { Db } from '../db/client';
import { heldBatch, writeProjection } from '../db/queries/projection';
import type { IdentityRegistry } from '../identity/registry';
import { createCaseMetrics } from '../metrics/case-metrics';
import { createDeliveryMetrics } from '../metrics/delivery-metrics';
import type { Senders } from '../notifications/channel';
import { createDelivery, type NoticeReport, type NoticeRequest } from '../notifications/deliver';
import type { ResultDocumentDeps } from '../results/from-config';
import { createDocumentIssuer } from '../results/issue';
import type { SignatureVerifier } from '../signatures/verifier';
import { createEptsActivities } from './epts';
import { createIdentityActivities } from './identity';
import { issueResult, revokeResult, type ResultRequest, type RevocationRequest } from './results';

export type { AppliedChange, PassportChangeRequest } from './epts';
export type { CodeRequest } from './identity';
export type { ResultRequest } from './results';
export type { NoticeReport, NoticeRequest } from '../notifications/deliver';

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
  /** DELIVERY_TIMEOUT_MS: how long a provider may take to answer. */
  deliveryTimeoutMs: number;
  logger: Logger;
  /** Result documents: where they are stored, the system's signing key, what their QR codes point to. */
  results: ResultDocumentDeps;
  /** Where the activities count what they did (the worker's metrics endpoint serves it). */
  metrics: Registry;
}

/** Activities are built from their dependencies; the worker wires real ones, tests their own. */
export function createActivities({ db, codeSecret, registry, verifier, senders, supervisors, deliveryTimeoutMs, logger, results, metrics }: ActivityDeps) {
  // Longer than an attempt can take: SMTP allows the timeout to each of its stages.
  const delivery = createDelivery(db, senders, logger, 3 * deliveryTimeoutMs, createDeliveryMetrics(metrics));
  const caseMetrics = createCaseMetrics(metrics);
  const issue = createDocumentIssuer({ db, ...results });
  return {
    ...createIdentityActivities(db, codeSecret, registry, verifier, delivery.code),
    ...createEptsActivities(db, issue),
    async projectCase(batch: ProjectionBatch): Promise<ProjectionReceipt> {
      // A filing's first version is in already as a rule: the API wrote it ahead
      // (cases/application-filing.ts). One read then spares the whole write, which would
      // change nothing.
      const held = batch.projection.version === 1 ? await heldBatch(batch, db) : null;
      if (held) return held;
      const write = await writeProjection(db, batch, supervisors);
      caseMetrics.projected(write);
      return { queuedNotices: write.queuedNotices };
    },
    /** Sends the case's queued notices of these entries; the workflow runs it after their projection. */
    async deliverNotices(req: NoticeRequest): Promise<NoticeReport> {
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 2_000);
      try {
        return await delivery.notices(req, context.info.attempt);
      } finally {
        clearInterval(beat);
      }
    },
    async issueApplicationResult(req: ResultRequest): Promise<IssuedResult> {
      return issueResult({ db, issue, pickupOffice: results.pickupOffice }, req);
    },
    async revokeApplicationResult(req: RevocationRequest): Promise<void> {
      await revokeResult(db, req);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
