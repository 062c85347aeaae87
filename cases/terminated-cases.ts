/**
 * Cases whose workflow was terminated in Temporal (the Web UI's Terminate button,
 * `temporal workflow terminate`). Termination runs no workflow code: the case cannot
 * journal, project or release anything itself, so its read model would show it open for
 * ever and a passport change would keep its vehicle locked. The worker sweeps for them:
 * workflows terminated within the lookback whose projection is still open are closed
 * from outside (`closeFromOutside`).
 *
 * Bounded: one sweep reads at most `limit` terminated workflows from the visibility store,
 * one query of Postgres for them, and describes only those whose case is still open (a
 * reset's terminated run is followed by a running one: that case is left alone). Idempotent: only an open row is closed, so sweeps
 * overlapping in time or across workers close each case once.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { CASE_NUMBER_PATTERN, caseWorkflowId } from '../core/case-model';
import type { Db } from '../db/client';
import { closeFromOutside, stillOpen } from '../db/queries/admin-operations';
import { TEMPORAL_ACTOR } from '../workflows/machinery/admin-actions';

const DAY_MS = 86_400_000;
const CASE_WORKFLOW_ID = new RegExp(`^case-(${CASE_NUMBER_PATTERN.slice(1, -1)})$`);

export interface SweepOptions {
  lookbackDays: number;
  /** Terminated workflows read per sweep. */
  limit: number;
}

export interface SweepReport {
  /** Terminated case workflows looked at. */
  seen: number;
  /** Cases this sweep closed. */
  closed: string[];
}

/** The visibility query of a sweep: terminated workflows closed since `since`. */
export function terminatedSince(since: Date): string {
  return `ExecutionStatus = "Terminated" AND CloseTime > "${since.toISOString()}"`;
}

/** One sweep: closes every open case among the terminated workflows found. */
export async function sweepTerminatedCases(deps: { client: Client; db: Db }, opts: SweepOptions): Promise<SweepReport> {
  const since = new Date(Date.now() - opts.lookbackDays * DAY_MS);
  const runs = new Map<string, string>();
  let seen = 0;
  for await (const wf of deps.client.workflow.list({ query: terminatedSince(since), pageSize: Math.min(opts.limit, 100) })) {
    const number = CASE_WORKFLOW_ID.exec(wf.workflowId)?.[1];
    if (number) runs.set(number, wf.runId);
    if (++seen >= opts.limit) break;
  }
  const closed: string[] = [];
  for (const number of await stillOpen(deps.db, [...runs.keys()])) {
    // A reset terminates a run and goes on in a new one: that case is alive.
    if (await runsOn(deps.client, number)) continue;
    const done = await closeFromOutside(deps.db, {
      number,
      at: new Date().toISOString(),
      actor: TEMPORAL_ACTOR,
      type: 'terminated_in_temporal',
      summary: 'Its workflow was terminated in Temporal (the Web UI or the CLI), which runs no case code: closed by the worker, what it held released',
      data: { runId: runs.get(number) },
    });
    if (done) closed.push(number);
  }
  return { seen, closed };
}

async function runsOn(client: Client, number: string): Promise<boolean> {
  const latest = await client.workflow.getHandle(caseWorkflowId(number)).describe();
  return latest.status.name === 'RUNNING';
}

/** Sweeps every `everySeconds` until stopped; a failed sweep is logged and the next one tries again. */
export function startTerminatedCaseSweeps(deps: { client: Client; db: Db; logger: Logger }, opts: SweepOptions & { everySeconds: number }): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = async () => {
    try {
      const report = await sweepTerminatedCases(deps, opts);
      if (report.closed.length) deps.logger.info({ closed: report.closed }, 'cases terminated in Temporal closed');
    } catch (err) {
      deps.logger.warn({ err }, 'the sweep for terminated cases failed; the next one tries again');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(schedule);
    }, opts.everySeconds * 1000);
  };
  running = sweep().finally(schedule);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
