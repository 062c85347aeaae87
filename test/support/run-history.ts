/**
 * What a case's workflow runs hold, read from their histories: the chain of runs a case
 * continued as new through, and the timers each run set. A pending timer is not in
 * `describe()`, so its instant is worked out from the history the way the workflow set it.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { expect } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

export interface Run {
  runId: string;
  events: HistoryEvent[];
  /** The run it continued as; null for the run still open (or closed otherwise). */
  continuedAs: string | null;
}

/** Every run of a case from `firstRunId` on, following continue-as-new. */
export async function runsOf(client: Client, number: string, firstRunId: string): Promise<Run[]> {
  const runs: Run[] = [];
  for (let runId: string | null = firstRunId; runId; ) {
    const events: HistoryEvent[] = (await client.workflow.getHandle(caseWorkflowId(number), runId).fetchHistory()).events ?? [];
    const continuedAs: string | null = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
    runs.push({ runId, events, continuedAs });
    runId = continuedAs;
  }
  return runs;
}

export interface TimerSet {
  /** The instant the workflow set it for: its clock (the workflow task's start) plus the timeout. */
  at: string;
  /** Neither fired nor cancelled by the end of the history. */
  pending: boolean;
}

/** The timers a run started, in order. */
export function timersOf(events: HistoryEvent[]): TimerSet[] {
  const timers = new Map<string, TimerSet>();
  let clock = 0;
  for (const e of events) {
    if (e.workflowTaskStartedEventAttributes) clock = tsToMs(e.eventTime);
    const started = e.timerStartedEventAttributes;
    if (started) timers.set(started.timerId!, { at: new Date(clock + tsToMs(started.startToFireTimeout)).toISOString(), pending: true });
    const ended = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
    if (ended) timers.get(ended.timerId!)!.pending = false;
  }
  return [...timers.values()];
}

/**
 * Waits until the case's current run has nothing in flight (a workflow task done, none
 * scheduled since, no activity open but those named in `except`, which wait on the
 * outside world) and answers its run id: an action's follow-ups (deliveries, a
 * continue-as-new) are over by then. Read from the history: a run just continued as
 * holds its start alone for a moment, before its first task is scheduled.
 */
export async function quietRun(client: Client, number: string, except: string[] = []): Promise<string> {
  let runId = '';
  await expect
    .poll(
      async () => {
        ({ runId } = await client.workflow.getHandle(caseWorkflowId(number)).describe());
        const events = (await client.workflow.getHandle(caseWorkflowId(number), runId).fetchHistory()).events ?? [];
        // The run may have continued as new between the two calls: its successor is the one to wait for.
        if (events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes) return false;
        return isQuiet(events, except);
      },
      { timeout: 30_000, interval: 50 },
    )
    .toBe(true);
  return runId;
}

function isQuiet(events: HistoryEvent[], except: string[]): boolean {
  const lastTask = events.filter((e) => e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskCompletedEventAttributes).at(-1);
  if (!lastTask?.workflowTaskCompletedEventAttributes) return false;
  const open = new Map<string, string>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) open.set(String(e.eventId), scheduled.activityType?.name ?? '');
    const ended =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (ended) open.delete(String(ended.scheduledEventId));
  }
  return [...open.values()].every((name) => except.includes(name));
}
