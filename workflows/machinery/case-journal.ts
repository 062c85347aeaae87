import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { ActionMeta, Actor, CaseActionResult, EntryDraft, JournalEntry } from '../../core/case-model';
import type { CaseProjection, ProjectionBatch, ProjectionReceipt } from '../../core/case-projection';
import { FailureType } from '../../core/failures';
import { NOTICE_DELIVERY_ATTEMPTS } from '../../core/notices';
import { statusLabel } from '../../core/status-labels';
import { CaseSearchAttributes } from './search-attributes';

const projectionOptions = {
  startToCloseTimeout: '30 seconds',
  // A projection must land eventually; the database being down only delays it.
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const remote = proxyActivities<Activities>(projectionOptions);
/**
 * The projection writes one row batch to the worker's own database: run in the workflow
 * task, it saves the server two round trips per commit (schedule, start, complete, and
 * another workflow task), which an action's answer waits for.
 */
const local = proxyLocalActivities<Activities>(projectionOptions);
/**
 * Messages wait on providers, so they are a regular activity (timed by the server, retried
 * across worker restarts) with a finite schedule, about an hour and a half in all: a dead
 * gateway cannot hold the case for ever. What still fails is given up and logged.
 */
const { deliverNotices } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // The activity beats while it works: a killed worker's delivery is taken up again within this, not the 2 minutes.
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 3,
    maximumInterval: '30 minutes',
    maximumAttempts: NOTICE_DELIVERY_ATTEMPTS,
    nonRetryableErrorTypes: [FailureType.Permanent],
  },
});

/** Journal counters that survive continue-as-new. */
export interface JournalCounters {
  version: number;
  seq: number;
}


const headOf = (p: CaseProjection): CaseActionResult => ({ number: p.number, status: p.status, version: p.version });

/**
 * The case's version, journal and projection pipeline. Every state change is one
 * `commit`: the version grows, its journal entries get sequence numbers, search
 * attributes follow, and a single projector loop writes batches to Postgres in order.
 *
 * Read your writes: an action answers with `settled()`, which waits until every commit
 * the action caused is in the read model, including the ones the case makes on its own
 * in consequence (`settling`: a result being issued, a passport being written, the
 * contested case acting on an appeal), and then states exactly what the read model holds.
 */
export class CaseJournal {
  private pending: JournalEntry[] = [];
  private projectedVersion: number;
  /** The number, status and version of the last projection written. */
  private head: CaseActionResult | null = null;
  /** Bumped on every commit; timer loops wait on it. */
  changes = 0;
  /** Projected entries whose notices are still to be sent, and whether a send is under way. */
  private undelivered: number[] = [];
  private delivering = false;

  constructor(
    readonly counters: JournalCounters,
    private readonly snapshot: () => CaseProjection,
    /** True while the case still owes a consequence of an accepted action. */
    private readonly settling: () => boolean = () => false,
  ) {
    this.projectedVersion = counters.version;
  }

  get version(): number {
    return this.counters.version;
  }

  commit(meta: Pick<ActionMeta, 'actor' | 'clientAddress'>, at: string, drafts: EntryDraft[]): number {
    this.record(meta, at, drafts);
    this.publish();
    return this.counters.version;
  }

  /**
   * A commit's batch exactly as the projector will write it, for a case whose workflow has
   * not run yet: the API writes a filing's first version itself, and the workflow's own
   * write of the same batch then changes nothing (cases/application-filing.ts). It
   * publishes nothing, so it runs outside a workflow.
   */
  recordAhead(meta: Pick<ActionMeta, 'actor' | 'clientAddress'>, at: string, drafts: EntryDraft[]): ProjectionBatch {
    this.record(meta, at, drafts);
    const entries = this.pending;
    this.pending = [];
    return { projection: this.snapshot(), entries };
  }

  private record(meta: Pick<ActionMeta, 'actor' | 'clientAddress'>, at: string, drafts: EntryDraft[]): void {
    this.counters.version++;
    this.changes++;
    for (const d of drafts) {
      this.pending.push({ seq: ++this.counters.seq, at, actor: meta.actor, clientAddress: meta.clientAddress, ...d });
    }
  }

  /** Runs for the life of the workflow; one projection in flight at a time. */
  async runProjector(): Promise<never> {
    void this.runDeliveries();
    for (;;) {
      await condition(() => this.projectedVersion < this.counters.version);
      const entries = this.pending;
      this.pending = [];
      const projection = this.snapshot();
      const projectCase = patched('projection-local-activity') ? local.projectCase : remote.projectCase;
      // Undefined when replaying a projection recorded before receipts existed.
      const receipt: ProjectionReceipt | undefined = await projectCase({ projection, entries });
      this.projectedVersion = projection.version;
      this.head = headOf(projection);
      // A receipt names the entries with messages to send: a notice to an official, or to a
      // citizen without an account or a channel, costs no delivery activity. Cases that ran
      // before receipts existed keep their course.
      const queued = receipt && patched('deliver-queued-notices') ? receipt.queuedNotices : entries.filter((e) => e.notify?.length).map((e) => e.seq);
      this.undelivered.push(...queued);
    }
  }

  /**
   * Next to the projector: the projection queued the messages of the entries' notices, this
   * loop has them sent, so an action's answer never waits for mail. Only entry numbers
   * leave the workflow; addresses and texts stay in Postgres. Cases that ran before
   * deliveries existed keep their history: their notices stay in the inbox.
   */
  private async runDeliveries(): Promise<never> {
    for (;;) {
      await condition(() => this.undelivered.length > 0);
      const seqs = this.undelivered;
      this.undelivered = [];
      if (!patched('notification-deliveries')) continue;
      const caseNumber = this.head?.number ?? this.snapshot().number;
      this.delivering = true;
      try {
        const report = await deliverNotices({ caseNumber, seqs });
        if (report.failed) log.warn('some notices could not be delivered', { caseNumber, seqs, failed: report.failed });
      } catch (err) {
        log.error('notices could not be delivered', { caseNumber, seqs, error: (err as Error).message });
      } finally {
        this.delivering = false;
      }
    }
  }

  /**
   * The answer to an accepted action that committed `committed`: the case as the next
   * read will show it. Cases whose actions answered as soon as their own version was
   * written keep that course on replay.
   */
  async settled(committed = this.counters.version): Promise<CaseActionResult> {
    const exact = patched('answers-settle');
    await condition(() =>
      exact ? this.projectedVersion >= this.counters.version && !this.settling() : this.projectedVersion >= committed,
    );
    // A run continued as new starts fully projected: its state is what the read model holds.
    return this.head ?? headOf(this.snapshot());
  }

  /** Nothing unwritten or unsent, no handler mid-way: the case may end or continue as new. */
  get isDrained(): boolean {
    return this.projectedVersion >= this.counters.version && this.undelivered.length === 0 && !this.delivering && allHandlersFinished();
  }

  /** Before the workflow ends or continues as new. */
  async drained(): Promise<void> {
    await condition(() => this.isDrained);
  }

  private publish(): void {
    const p = this.snapshot();
    const pairs: SearchAttributeUpdatePair[] = [
      { key: CaseSearchAttributes.status, value: p.status },
      { key: CaseSearchAttributes.assignee, value: p.assigneeId ?? null },
      { key: CaseSearchAttributes.dueAt, value: p.dueAt ? new Date(p.dueAt) : null },
      { key: CaseSearchAttributes.overdue, value: p.overdue },
    ];
    upsertSearchAttributes(pairs);
    // The Temporal UI's workflow list shows the memo: the status as the portal names it and where the API serves the case.
    const labelled = patched('memo-status-label');
    upsertMemo(labelled ? { ...listed(p), version: p.version } : { status: p.status, version: p.version });
  }
}

/** What the Temporal UI's list shows of a case: its number and service, its status as the portal names it, where the API serves it. */
function listed(p: CaseProjection): Record<string, unknown> {
  const service = 'serviceName' in p.detail && p.detail.serviceName ? { serviceName: p.detail.serviceName } : {};
  return { number: p.number, ...service, status: p.status, statusLabel: statusLabel(p.kind, p.status), api: `/cases/${p.number}` };
}

/** Refusals raised by validators: never enter history, become 4xx at the API. */
export function refuse(type: FailureType, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

export function requireVersion(meta: ActionMeta, current: number): void {
  if (meta.expectedVersion === undefined) return;
  if (meta.expectedVersion !== current) {
    refuse(FailureType.StaleVersion, `the case changed: you saw version ${meta.expectedVersion}, it is now ${current}`, {
      currentVersion: current,
    });
  }
}

export function actorLabel(actor: Actor): string {
  return `${actor.role}:${actor.id}`;
}
