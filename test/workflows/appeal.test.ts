/**
 * Appeals on the time-skipping test server: the 30-day window to appeal a decision, one
 * open appeal per case, the examination deadline with warning and escalation, requests for
 * material (paused clock, reminders), and what an upheld or withdrawn appeal does to the
 * contested case. Activities are faked: they record what would be projected.
 */
import { randomInt } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { AppealGround, ContestInput } from '../../core/appeal';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import { dayOf, dayToDate, EMPTY_CALENDAR, startOfDay } from '../../core/deadline-clock';
import { FailureType } from '../../core/failures';
import { appealStateQuery, appealWorkflow, decideAppealUpdate, type AppealState } from '../../workflows/appeal';
import {
  applicationWorkflow,
  contestUpdate,
  registeredUpdate,
  stateQuery,
} from '../../workflows/application';
import type { ApplicationState } from '../../workflows/application-case';
import { withdrawUpdate } from '../../workflows/machinery/case-status';
import { answerInfoUpdate, assignUpdate, claimUpdate, decideUpdate, requestInfoUpdate } from '../../workflows/machinery/review-desk';
import { CaseSearchAttributes } from '../../workflows/machinery/search-attributes';
import { expectOrderedJournal, fakeActivities, HOUR, midnight, MINUTE, refusal, tenAm, testClock, type Fake } from '../support/case-workflows';
import { testService } from '../support/fixtures';
import { timeSkippingSuite } from '../support/temporal';

const citizen: ActionMeta = { actor: { id: 'citizen-1', role: 'citizen' } };
const reviewer = (expectedVersion: number, id = 'reviewer-1'): ActionMeta => ({ actor: { id, role: 'reviewer', agency: 'mvd' }, expectedVersion });
const expert = (expectedVersion: number, id = 'expert-1'): ActionMeta => ({ actor: { id, role: 'expert' }, expectedVersion });

type CaseHandle = WorkflowHandle<typeof applicationWorkflow>;
type AppealHandle = WorkflowHandle<typeof appealWorkflow>;

const suite = timeSkippingSuite();
const { skipTo, tenAmInMoscow } = testClock(() => suite.env);

/** Runs a test's cases on a fresh worker with the given fakes, and ends them before it stops. */
const withCases = <T>(fake: Fake, fn: (taskQueue: string) => Promise<T>): Promise<T> => suite.run(fake.activities, fn);

const newNumber = (kind: 'A' | 'J') => `${kind}-2026-${String(randomInt(1_000_000, 9_999_999))}`;
const caseState = (h: CaseHandle): Promise<ApplicationState> => h.query(stateQuery);
const appealState = (h: AppealHandle): Promise<AppealState> => h.query(appealStateQuery);

/** An application rejected by reviewer-1 at the current time. */
async function rejectedCase(taskQueue: string): Promise<CaseHandle> {
  const number = newNumber('A');
  const handle = await suite.env.client.workflow.start(applicationWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, service: testService(), calendar: EMPTY_CALENDAR, applicantId: 'citizen-1', form: {}, documents: [], meta: citizen }],
  });
  suite.track(handle);
  await handle.executeUpdate(registeredUpdate);
  const { version } = await handle.executeUpdate(claimUpdate, { args: [reviewer(1)] });
  await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'reject', reasonCode: 'not_eligible', comment: 'нет оснований' }, reviewer(version)] });
  return handle;
}

function contest(h: CaseHandle, ground: AppealGround = 'rejection', documents: ContestInput['documents'] = []) {
  const appealNumber = newNumber('J');
  const input: ContestInput = {
    appealNumber,
    ground,
    reasons: 'Основания были представлены',
    references: ['210-ФЗ ст. 11.1'],
    documents,
    examinationTerm: { days: 30, unit: 'calendar' },
  };
  return {
    appealNumber,
    result: h.executeUpdate(contestUpdate, { args: [input, citizen] }),
    handle: (): AppealHandle => {
      return suite.track(suite.env.client.workflow.getHandle<typeof appealWorkflow>(caseWorkflowId(appealNumber)));
    },
  };
}

/** An appeal accepted by the contested case and registered in the read model. */
async function openAppeal(contested: CaseHandle) {
  const filed = contest(contested);
  await filed.result;
  const appeal = filed.handle();
  await appeal.executeUpdate('registered');
  return { filed, appeal };
}

/** The refusal's failure and its details, for refusals that carry them. */
async function refusalDetails(p: Promise<unknown>): Promise<{ type?: string; message: string; details: Record<string, unknown> }> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as WorkflowUpdateFailedError;
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = err.cause as { type?: string; message: string; details?: unknown[] };
  return { type: cause.type, message: cause.message, details: (cause.details?.[0] ?? {}) as Record<string, unknown> };
}

describe.sequential('appeals on the time-skipping server', () => {
  it('accepts an appeal on day 29 after the decision and refuses one on day 31 with the closing date', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const early = await rejectedCase(tq);
      const late = await rejectedCase(tq);
      const decidedDay = dayOf((await caseState(early)).decision!.decidedAt);
      expect(decidedDay).toBe(d);

      await skipTo(tenAm(d + 29));
      const filed = contest(early);
      expect(await filed.result).toMatchObject({ status: 'rejected' });
      const appeal = filed.handle();
      expect(await appeal.executeUpdate('registered')).toMatchObject({ number: filed.appealNumber, status: 'submitted', version: 1 });
      const contested = await caseState(early);
      expect(contested.appeals?.open).toMatchObject({ number: filed.appealNumber, ground: 'rejection' });
      expect(fake.last(filed.appealNumber)).toMatchObject({ kind: 'appeal', relatedNumber: (await early.describe()).workflowId.slice(5) });
      const sa = (await appeal.describe()).typedSearchAttributes;
      expect(sa.get(CaseSearchAttributes.kind)).toBe('appeal');
      expect(sa.get(CaseSearchAttributes.contested)).toBe(early.workflowId.slice(5));
      // The one who rejected the application may not examine the appeal.
      expect((await appealState(appeal)).recused.map((r) => r.id)).toEqual(['reviewer-1']);

      // A second appeal while one is open: refused, naming the open one.
      const second = await refusalDetails(contest(early).result);
      expect(second).toMatchObject({ type: FailureType.InvalidState, details: { openAppeal: filed.appealNumber } });

      // On day 30 the other case still takes an appeal: the refusal comes from its workflow.
      await skipTo(tenAm(d + 30));
      const onLastDay = await refusalDetails(contest(late, 'deadline_breach').result);
      expect(onLastDay).toMatchObject({ type: FailureType.InvalidState });
      expect(onLastDay.message).toContain('has not been breached');

      // Day 31: the period is over and the case's workflow has ended with it; the API
      // answers from the case's final state (tested over HTTP), which names the last day.
      await skipTo(tenAm(d + 31));
      await expect(contest(late).result).rejects.toBeInstanceOf(WorkflowNotFoundError);
      const final = await caseState(late);
      expect(final.appeals?.open ?? null).toBeNull();
      expect(fake.last(late.workflowId.slice(5))?.detail).toMatchObject({ appeals: { lastDays: { rejection: dayToDate(d + 30) } } });
    });
  });

  it('keeps a decided case open for its appeal period, then ends it', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await rejectedCase(tq);
      const number = handle.workflowId.slice(5);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(fake.last(number)?.detail).toMatchObject({ appeals: { underAppeal: null, lastDays: { rejection: dayToDate(d + 30), wrong_service: dayToDate(d + 30) } } });
      expect(await handle.result()).toMatchObject({ status: 'rejected' });
      // The timer fires at the first instant of day d+31 in Moscow (plus timer granularity).
      const [ended] = fake.ofType('appeal_period_ended', number).map((e) => Date.parse(e.at) - midnight(d + 31));
      expect(ended).toBeGreaterThanOrEqual(0);
      expect(ended).toBeLessThan(MINUTE);
    });
  });

  it('warns the expert at 80 % of the 30-day examination term and escalates the breach', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const contested = await rejectedCase(tq);
      const { filed, appeal } = await openAppeal(contested);
      const claimed = await appeal.executeUpdate(claimUpdate, { args: [expert(1)] });
      expect(claimed).toMatchObject({ status: 'in_review', version: 2 });
      // Filed on day d: the 30 days run d+1..d+30; the warning when day d+24 begins.
      expect((await appealState(appeal)).deadline.view).toMatchObject({ legalDue: dayToDate(d + 30), warnAt: startOfDay(d + 24), dueAt: startOfDay(d + 31) });

      await skipTo(tenAm(d + 23));
      expect(fake.types(filed.appealNumber)).not.toContain('deadline_warning');
      await skipTo(tenAm(d + 24));
      expect(fake.ofType('deadline_warning', filed.appealNumber).map((e) => e.notify)).toEqual([
        [expect.objectContaining({ recipient: 'expert-1', type: 'deadline_warning' })],
      ]);
      await skipTo(tenAm(d + 30));
      expect(fake.types(filed.appealNumber)).not.toContain('deadline_breached');
      await skipTo(tenAm(d + 31));
      expect(fake.ofType('deadline_breached', filed.appealNumber).map((e) => e.notify)).toEqual([
        [
          expect.objectContaining({ recipient: 'appeals:supervisor', type: 'deadline_breached' }),
          expect.objectContaining({ recipient: 'expert-1', type: 'deadline_breached' }),
        ],
      ]);
      expect(fake.last(filed.appealNumber)).toMatchObject({ overdue: true, status: 'in_review' });
      expectOrderedJournal(fake, filed.appealNumber);
    });
  });

  it('pauses the examination while the citizen owes material, reminds them, and resumes on the answer or the lapse', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const contested = await rejectedCase(tq);
      const { filed, appeal } = await openAppeal(contested);
      let { version } = await appeal.executeUpdate(claimUpdate, { args: [expert(1)] });

      await skipTo(tenAm(d + 2));
      ({ version } = await appeal.executeUpdate(requestInfoUpdate, { args: [{ message: 'Приложите справку', dueDays: 10 }, expert(version)] }));
      expect((await appealState(appeal)).status).toBe('awaiting_info');
      await skipTo(tenAm(d + 9) + HOUR);
      expect(fake.ofType('reminder_sent', filed.appealNumber).map((e) => e.data?.daysLeft)).toEqual([3]);
      // Paused d+2..d+10 (9 days, the answer day included): counted d+1, then d+11..d+39.
      await skipTo(tenAm(d + 10));
      await appeal.executeUpdate(answerInfoUpdate, { args: [{ comment: 'Справка приложена', documents: [] }, citizen] });
      let s = await appealState(appeal);
      expect(s.status).toBe('in_review');
      expect(s.deadline.view).toMatchObject({ legalDue: dayToDate(d + 30), expectedDue: dayToDate(d + 39), paused: false });

      // A second request (d+10, 5 days) is never answered: at its end (d+15) the expert decides on
      // what the appeal holds; d+11..d+15 did not count either.
      await appeal.executeUpdate(requestInfoUpdate, { args: [{ message: 'Ещё документ', dueDays: 5 }, expert(s.journal.version)] });
      await skipTo(tenAm(d + 16));
      s = await appealState(appeal);
      expect(s.status).toBe('in_review');
      expect(fake.types(filed.appealNumber)).toContain('information_not_provided');
      expect(s.deadline.view).toMatchObject({ expectedDue: dayToDate(d + 44), paused: false });
      expectOrderedJournal(fake, filed.appealNumber);
    });
  });

  it('reopens the contested case when upheld: the old reviewer is recused, the case waits for a new one', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const contested = await rejectedCase(tq);
      const number = contested.workflowId.slice(5);
      await skipTo(tenAm(d + 3));
      const { filed, appeal } = await openAppeal(contested);
      // The official who made the contested decision cannot take the appeal.
      const recused = await refusalDetails(appeal.executeUpdate(claimUpdate, { args: [{ actor: { id: 'reviewer-1', role: 'expert' }, expectedVersion: 1 }] }));
      expect(recused).toMatchObject({ type: FailureType.Forbidden, details: { recused: 'reviewer-1' } });
      expect(recused.message).toContain('made the contested decision');

      const { version } = await appeal.executeUpdate(claimUpdate, { args: [expert(1)] });
      expect(await refusal(appeal.executeUpdate(decideAppealUpdate, { args: [{ outcome: 'upheld', reasons: 'Ошибка' }, expert(version)] }))).toBe(
        FailureType.Invalid,
      );
      await appeal.executeUpdate(decideAppealUpdate, { args: [{ outcome: 'upheld', reasons: 'Отказ необоснован', remedy: 'reopen' }, expert(version)] });
      expect(await appeal.result()).toMatchObject({ status: 'upheld' });

      await expect.poll(async () => (await caseState(contested)).status, { timeout: 10_000 }).toBe('reopened');
      const s = await caseState(contested);
      expect(s).toMatchObject({ decision: null, closedAt: null, assigneeId: null });
      expect(s.appeals?.history).toEqual([expect.objectContaining({ number: filed.appealNumber, outcome: 'upheld', remedy: 'reopen' })]);
      expect(s.previousDecisions).toEqual([expect.objectContaining({ outcome: 'rejected', decidedBy: 'reviewer-1', overturnedBy: filed.appealNumber })]);
      // A new review with the full term from the reopening.
      expect(s.deadline.view).toMatchObject({ legalDue: dayToDate(d + 18), paused: false });
      expect(fake.types(number)).toEqual(expect.arrayContaining(['appeal_filed', 'appeal_upheld', 'reopened']));

      expect(await refusal(contested.executeUpdate(claimUpdate, { args: [reviewer(s.journal.version)] }))).toBe(FailureType.Forbidden);
      const claimed = await contested.executeUpdate(claimUpdate, { args: [reviewer(s.journal.version, 'reviewer-2')] });
      expect(claimed.status).toBe('in_review');
      await contested.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'Одобрено' }, reviewer(claimed.version, 'reviewer-2')] });
      await expect.poll(async () => (await caseState(contested)).status, { timeout: 10_000 }).toBe('completed');
      expectOrderedJournal(fake, number);
    });
  });

  it('is examined by an appeal expert alone, by the one who holds it, never by the official whose decision is contested: the workflow refuses the rest whoever drives it', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const contested = await rejectedCase(tq);
      const { appeal } = await openAppeal(contested);
      const dismiss = { outcome: 'dismissed' as const, reasons: 'Оснований нет' };
      const before: Array<[string, () => Promise<unknown>]> = [
        ['claim by the appellant', () => appeal.executeUpdate(claimUpdate, { args: [{ actor: citizen.actor, expectedVersion: 1 }], updateId: 'claim-appellant' })],
        ["claim by a reviewer of the contested case's agency", () => appeal.executeUpdate(claimUpdate, { args: [reviewer(1, 'reviewer-2')], updateId: 'claim-reviewer' })],
        ['claim by an admin', () => appeal.executeUpdate(claimUpdate, { args: [{ actor: { id: 'admin-1', role: 'admin' }, expectedVersion: 1 }], updateId: 'claim-admin' })],
        ['claim by the appellant calling themselves an expert', () => appeal.executeUpdate(claimUpdate, { args: [expert(1, 'citizen-1')], updateId: 'claim-own' })],
        ['claim by the contested decision\'s reviewer as an expert', () => appeal.executeUpdate(claimUpdate, { args: [expert(1, 'reviewer-1')], updateId: 'claim-recused' })],
        ['decide unclaimed', () => appeal.executeUpdate(decideAppealUpdate, { args: [dismiss, expert(1)], updateId: 'decide-unclaimed' })],
      ];
      for (const [what, attempt] of before) expect.soft(await refusal(attempt()), what).toBe(FailureType.Forbidden);

      const { version } = await appeal.executeUpdate(claimUpdate, { args: [expert(1)], updateId: 'claim' });
      const held: Array<[string, () => Promise<unknown>]> = [
        ['decide by another expert', () => appeal.executeUpdate(decideAppealUpdate, { args: [dismiss, expert(version, 'expert-2')], updateId: 'decide-other' })],
        ['decide by the appellant', () => appeal.executeUpdate(decideAppealUpdate, { args: [dismiss, { actor: citizen.actor, expectedVersion: version }], updateId: 'decide-appellant' })],
        ['decide by a reviewer', () => appeal.executeUpdate(decideAppealUpdate, { args: [dismiss, reviewer(version, 'reviewer-2')], updateId: 'decide-reviewer' })],
        ['decide by the recused official', () => appeal.executeUpdate(decideAppealUpdate, { args: [dismiss, expert(version, 'reviewer-1')], updateId: 'decide-recused' })],
        ['hand it to the recused official', () => appeal.executeUpdate(assignUpdate, { args: [{ assigneeId: 'reviewer-1' }, expert(version)], updateId: 'assign-recused' })],
        ['take it away by assigning, not holding it', () => appeal.executeUpdate(assignUpdate, { args: [{ assigneeId: 'expert-2' }, expert(version, 'expert-2')], updateId: 'assign-self' })],
      ];
      for (const [what, attempt] of held) expect.soft(await refusal(attempt()), what).toBe(FailureType.Forbidden);

      const accepted = ((await appeal.fetchHistory()).events ?? []).flatMap((e) => {
        const a = e.workflowExecutionUpdateAcceptedEventAttributes;
        return a ? [a.acceptedRequest?.meta?.updateId ?? a.protocolInstanceId] : [];
      });
      // Only the registration and the one claim entered history.
      expect(accepted).toHaveLength(2);
      expect(accepted[1]).toBe('claim');
      expect((await appealState(appeal)).journal.version).toBe(version);
      await appeal.executeUpdate(decideAppealUpdate, { args: [dismiss, expert(version)] });
      expect(await appeal.result()).toMatchObject({ status: 'dismissed' });
    });
  });

  it('replaces a rejection with an approval when upheld so: the result is issued on the expert\'s decision', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const contested = await rejectedCase(tq);
      const number = contested.workflowId.slice(5);
      const { filed, appeal } = await openAppeal(contested);
      const { version } = await appeal.executeUpdate(claimUpdate, { args: [expert(1)] });
      // A dismissal has no remedy; the fee remedy is not one for a rejection.
      expect(await refusal(appeal.executeUpdate(decideAppealUpdate, { args: [{ outcome: 'dismissed', reasons: 'Нет', remedy: 'reopen' }, expert(version)] }))).toBe(
        FailureType.Invalid,
      );
      expect(await refusal(appeal.executeUpdate(decideAppealUpdate, { args: [{ outcome: 'upheld', reasons: 'Да', remedy: 'expedite' }, expert(version)] }))).toBe(
        FailureType.Invalid,
      );
      await appeal.executeUpdate(decideAppealUpdate, { args: [{ outcome: 'upheld', reasons: 'Основания были', remedy: 'replace' }, expert(version)] });
      await expect.poll(async () => (await caseState(contested)).status, { timeout: 10_000 }).toBe('completed');
      const s = await caseState(contested);
      expect(s.decision).toMatchObject({ outcome: 'approved', decidedBy: 'expert-1', comment: `Decision replaced on appeal ${filed.appealNumber}` });
      expect(s.previousDecisions).toEqual([expect.objectContaining({ outcome: 'rejected', decidedBy: 'reviewer-1', result: null })]);
      expect(fake.resultRequests).toEqual([expect.objectContaining({ number, decidedAt: s.decision!.decidedAt })]);
      expect(s.result).toMatchObject({ verificationCode: `VC-${number}` });
      expect(fake.types(number)).toEqual(expect.arrayContaining(['appeal_upheld', 'approved', 'result_issued']));
      // The approval by appeal is a decision too: it can be appealed (wrong service) within its own window.
      expect(fake.last(number)?.detail).toMatchObject({ appeals: { underAppeal: null, lastDays: { wrong_service: dayToDate(dayOf(s.decision!.decidedAt) + 30) } } });
      expectOrderedJournal(fake, number);
    });
  });

  // That the case may then be appealed again is appeals-http's, on the dev server: the
  // time-skipping server can drop an update that meets a workflow task it fails for new
  // events (the abandoned appeal's completion), even after the case looked idle.
  it('returns a withdrawn appeal to the case', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const contested = await rejectedCase(tq);
      const { appeal } = await openAppeal(contested);
      expect(await refusal(appeal.executeUpdate(withdrawUpdate, { args: [{ actor: { id: 'citizen-2', role: 'citizen' } }] }))).toBe(FailureType.Forbidden);
      await appeal.executeUpdate(withdrawUpdate, { args: [citizen] });
      expect(await appeal.result()).toMatchObject({ status: 'withdrawn' });
      await expect.poll(async () => (await caseState(contested)).appeals?.open ?? null, { timeout: 10_000 }).toBeNull();
      expect((await caseState(contested)).appeals?.history).toEqual([expect.objectContaining({ outcome: 'withdrawn' })]);
    });
  });
});
