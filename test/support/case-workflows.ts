/**
 * Helpers for case workflow tests on the time-skipping server: activity fakes that record
 * what the workflows project, Moscow-day clock control, and refusal checks.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'vitest';
import type { Activities, NoticeRequest, ResultRequest } from '../../activities';
import type { IssuedResult } from '../../core/application';
import type { JournalEntry } from '../../core/case-model';
import type { CaseProjection, ProjectionBatch, ProjectionReceipt } from '../../core/case-projection';
import { dayOf, startOfDay } from '../../core/deadline-clock';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A projection's receipt when every notice of the batch had a message to send (its recipient a citizen with channels). */
export const everyNoticeQueued = ({ entries }: ProjectionBatch): ProjectionReceipt => ({
  queuedNotices: entries.filter((e) => e.notify?.length).map((e) => e.seq),
});

/**
 * In-memory fakes of the activities: they record what would be projected and issued.
 * `receipt` is what each projection answers: which entries had messages queued.
 */
export function fakeActivities(receipt: (batch: ProjectionBatch) => ProjectionReceipt = everyNoticeQueued) {
  const batches: ProjectionBatch[] = [];
  const resultRequests: ResultRequest[] = [];
  const noticeRequests: NoticeRequest[] = [];
  const activities: Pick<Activities, 'projectCase' | 'issueApplicationResult' | 'deliverNotices'> = {
    async projectCase(batch) {
      batches.push(structuredClone(batch));
      return receipt(batch);
    },
    async deliverNotices(req) {
      noticeRequests.push(req);
      return { sent: 0, failed: 0 };
    },
    async issueApplicationResult(req): Promise<IssuedResult> {
      resultRequests.push(req);
      return { verificationCode: `VC-${req.number}`, resultType: req.resultType, title: `Результат по ${req.number}`, issuedAt: req.decidedAt };
    },
  };
  const of = (number?: string) => (number ? batches.filter((b) => b.projection.number === number) : batches);
  const entries = (number?: string): JournalEntry[] => of(number).flatMap((b) => b.entries);
  return {
    activities,
    batches,
    resultRequests,
    noticeRequests,
    entries,
    types: (number?: string) => entries(number).map((e) => e.type),
    ofType: (type: string, number?: string) => entries(number).filter((e) => e.type === type),
    last: (number?: string): CaseProjection | undefined => of(number).at(-1)?.projection,
  };
}
export type Fake = ReturnType<typeof fakeActivities>;

export const midnight = (day: number) => Date.parse(startOfDay(day));
/** 10:00 Moscow time on civil day `day`. */
export const tenAm = (day: number) => midnight(day) + 10 * HOUR;

/** Moves the test server's clock, which is global to the server. */
export function testClock(env: () => TestWorkflowEnvironment) {
  /** Skips the test server's clock to an absolute instant (ms). */
  async function skipTo(instant: number): Promise<void> {
    const now = await env().currentTimeMs();
    if (instant <= now) throw new Error(`cannot skip back to ${new Date(instant).toISOString()}`);
    await env().sleep(instant - now);
  }
  /**
   * Skips to the next 10:00 in Moscow and returns that civil day's number: every date the
   * case computes is then `day + n` for hand-counted n.
   */
  async function tenAmInMoscow(): Promise<number> {
    const now = await env().currentTimeMs();
    let day = dayOf(now);
    if (tenAm(day) <= now + MINUTE) day++;
    await skipTo(tenAm(day));
    return day;
  }
  return { skipTo, tenAmInMoscow };
}

/** The failure type of a refused update (and that it was refused as an update). */
export async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

/** What every run must keep: journal sequence numbers gap-free, versions only growing. */
export function expectOrderedJournal(fake: Fake, number: string): void {
  const batches = fake.batches.filter((b) => b.projection.number === number);
  const versions = batches.map((b) => b.projection.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  expect(new Set(versions).size).toBe(versions.length);
  const seqs = batches.flatMap((b) => b.entries.map((e) => e.seq));
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
}
