/**
 * What administrators do to cases (issue 12), as updates of the cases' workflows on the
 * time-skipping server: reassigning, extending the deadline (its warning and breach move),
 * closing (a passport change frees its vehicle), and a case cancelled in Temporal closing
 * itself. Refusals: another role, no reason, a stale version, an ended case.
 */
import { randomInt } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import { dayOf, dayToDate, EMPTY_CALENDAR, startOfDay } from '../../core/deadline-clock';
import { FailureType } from '../../core/failures';
import { applicationWorkflow, registeredUpdate, stateQuery } from '../../workflows/application';
import { eptsChangeRegisteredUpdate, eptsChangeWorkflow } from '../../workflows/epts-change';
import { adminCloseUpdate, adminExtendUpdate, adminReassignUpdate } from '../../workflows/machinery/admin-actions';
import { claimUpdate, decideUpdate } from '../../workflows/machinery/review-desk';
import { CaseSearchAttributes } from '../../workflows/machinery/search-attributes';
import { expectOrderedJournal, fakeActivities, MINUTE, refusal, testClock, type Fake } from '../support/case-workflows';
import { testService } from '../support/fixtures';
import { timeSkippingSuite } from '../support/temporal';

const citizen: ActionMeta = { actor: { id: 'citizen-1', role: 'citizen' } };
const reviewer = (expectedVersion: number, id = 'reviewer-1'): ActionMeta => ({ actor: { id, role: 'reviewer', agency: 'mvd' }, expectedVersion });
const admin = (expectedVersion?: number): ActionMeta => ({ actor: { id: 'root', role: 'admin' }, expectedVersion });

const suite = timeSkippingSuite();
const { skipTo, tenAmInMoscow } = testClock(() => suite.env);

type Handle = WorkflowHandle<typeof applicationWorkflow>;
const numberOf = (h: WorkflowHandle) => h.workflowId.replace(/^case-/, '');

/** A 15-calendar-day application of mvd, claimed by reviewer-1: at version 2. */
async function claimedApplication(taskQueue: string): Promise<Handle> {
  const number = `A-2026-${String(randomInt(1_000_000, 9_999_999))}`;
  const handle = await suite.env.client.workflow.start(applicationWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, service: testService({ agency: 'mvd' }), calendar: EMPTY_CALENDAR, applicantId: citizen.actor.id, form: {}, documents: [], meta: citizen }],
  });
  suite.track(handle);
  await handle.executeUpdate(registeredUpdate);
  expect(await handle.executeUpdate(claimUpdate, { args: [reviewer(1)] })).toMatchObject({ status: 'in_review', version: 2 });
  return handle;
}

/** Vehicle releases the passport change fakes record. */
function eptsFakes(fake: Fake) {
  const released: string[] = [];
  const activities = {
    ...fake.activities,
    async applyPassportChange(): Promise<never> {
      throw new Error('no change is approved here');
    },
    async releaseVehicle(req: { vin: string; number: string }) {
      released.push(req.number);
    },
  };
  return { released, activities };
}

async function plateChange(taskQueue: string): Promise<WorkflowHandle<typeof eptsChangeWorkflow>> {
  const number = `E-2026-${String(randomInt(1_000_000, 9_999_999))}`;
  const handle = await suite.env.client.workflow.start(eptsChangeWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [
      {
        number,
        vin: 'XTA210990Y2766389',
        applicantId: citizen.actor.id,
        change: { kind: 'plate', payload: { plate: 'В456СК77' } },
        basedOnVersion: 1,
        documents: [],
        ownerSignature: { signerId: citizen.actor.id, certificateId: 'cert-1', serialNumber: '0a1b', signature: 'c2lnbmF0dXJl' },
        calendar: EMPTY_CALENDAR,
        terms: { review: { days: 5, unit: 'working' }, buyerConfirmDays: 10 },
        meta: citizen,
      },
    ],
  });
  suite.track(handle);
  await handle.executeUpdate(eptsChangeRegisteredUpdate);
  return handle;
}

describe.sequential('administrators act on cases through their workflows', () => {
  it('reassigns a case between officials of its desk, journaled with the admin and the reason; refuses others, no reason, another desk, a moved case', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const handle = await claimedApplication(tq);
      const number = numberOf(handle);
      const move = { from: 'reviewer-1', to: 'reviewer-2', agency: 'mvd', reason: 'reviewer-1 is on leave' };

      expect(await refusal(handle.executeUpdate(adminReassignUpdate, { args: [move, reviewer(2, 'reviewer-9')] }))).toBe(FailureType.Forbidden);
      expect(await refusal(handle.executeUpdate(adminReassignUpdate, { args: [{ ...move, reason: '  ' }, admin(2)] }))).toBe(FailureType.Invalid);
      expect(await refusal(handle.executeUpdate(adminReassignUpdate, { args: [{ ...move, agency: 'fns' }, admin(2)] }))).toBe(FailureType.Forbidden);
      expect(await refusal(handle.executeUpdate(adminReassignUpdate, { args: [{ ...move, from: 'reviewer-3' }, admin(2)] }))).toBe(FailureType.InvalidState);
      expect(await refusal(handle.executeUpdate(adminReassignUpdate, { args: [move, admin(1)] }))).toBe(FailureType.StaleVersion);

      expect(await handle.executeUpdate(adminReassignUpdate, { args: [move, admin(2)] })).toEqual({ number, status: 'in_review', version: 3 });
      expect((await handle.query(stateQuery)).assigneeId).toBe('reviewer-2');
      const [entry] = fake.ofType('reassigned', number).slice(-1);
      expect(entry).toMatchObject({ actor: { id: 'root', role: 'admin' }, data: { assigneeId: 'reviewer-2', previousAssignee: 'reviewer-1', reason: move.reason } });
      expect(fake.last(number)).toMatchObject({ assigneeId: 'reviewer-2', version: 3 });
      expect((await handle.describe()).typedSearchAttributes.get(CaseSearchAttributes.assignee)).toBe('reviewer-2');
      // Done once: the same move again finds the case no longer reviewer-1's.
      expect(await refusal(handle.executeUpdate(adminReassignUpdate, { args: [move, admin(3)] }))).toBe(FailureType.InvalidState);
      expectOrderedJournal(fake, number);
    });
  });

  it('extends the deadline: the expected date moves, the warning and the breach come at the new times; a breached deadline is not extended', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await claimedApplication(tq);
      const number = numberOf(handle);
      // 15 calendar days from day d: due d+15, warned at the start of d+12 (80 %).
      expect((await handle.query(stateQuery)).deadline.view).toMatchObject({ expectedDue: dayToDate(d + 15), warnAt: startOfDay(d + 12) });
      await skipTo(Date.parse(startOfDay(d + 2)) + 10 * 60 * MINUTE);

      const extend = { days: 5, reason: 'the registry answers late this month' };
      expect(await refusal(handle.executeUpdate(adminExtendUpdate, { args: [extend, reviewer(2)] }))).toBe(FailureType.Forbidden);
      expect(await refusal(handle.executeUpdate(adminExtendUpdate, { args: [{ ...extend, reason: '' }, admin(2)] }))).toBe(FailureType.Invalid);
      expect(await refusal(handle.executeUpdate(adminExtendUpdate, { args: [{ ...extend, days: 0 }, admin(2)] }))).toBe(FailureType.Invalid);
      expect(await refusal(handle.executeUpdate(adminExtendUpdate, { args: [extend, admin(1)] }))).toBe(FailureType.StaleVersion);

      expect(await handle.executeUpdate(adminExtendUpdate, { args: [extend, admin(2)] })).toMatchObject({ number, version: 3 });
      // The clock stands on days d+2 … d+6: counting resumes on d+7, so 15 days end on d+20 and 12 on d+17.
      const view = (await handle.query(stateQuery)).deadline.view!;
      expect(view).toMatchObject({ expectedDue: dayToDate(d + 20), warnAt: startOfDay(d + 17), dueAt: startOfDay(d + 21), paused: false });
      expect(fake.ofType('deadline_extended', number)).toEqual([
        expect.objectContaining({ actor: { id: 'root', role: 'admin' }, data: { days: 5, reason: extend.reason } }),
      ]);
      expect(fake.ofType('deadline_changed', number).at(-1)).toMatchObject({ data: { expectedDue: dayToDate(d + 20), previous: dayToDate(d + 15) } });
      expect(fake.last(number)).toMatchObject({ expectedDueDate: dayToDate(d + 20), dueAt: startOfDay(d + 21) });

      // The old warning time passes quietly; the new one warns, the new due instant breaches.
      await skipTo(Date.parse(startOfDay(d + 12)) + MINUTE);
      expect((await handle.query(stateQuery)).deadline.warned).toBe(false);
      await skipTo(Date.parse(startOfDay(d + 17)) + MINUTE);
      expect((await handle.query(stateQuery)).deadline.warned).toBe(true);
      expect(fake.ofType('deadline_warning', number).map((e) => dayOf(e.at))).toEqual([d + 17]);
      await skipTo(Date.parse(startOfDay(d + 21)) + MINUTE);
      const breached = await handle.query(stateQuery);
      expect(dayOf(breached.deadline.breachedAt!)).toBe(d + 21);
      expect(await refusal(handle.executeUpdate(adminExtendUpdate, { args: [extend, admin(breached.journal.version)] }))).toBe(FailureType.InvalidState);
      expectOrderedJournal(fake, number);
    });
  });

  it('closes a broken application with its reason; a closed case takes no more admin actions', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const handle = await claimedApplication(tq);
      const number = numberOf(handle);
      expect(await refusal(handle.executeUpdate(adminCloseUpdate, { args: [{ reason: 'broken' }, reviewer(2)] }))).toBe(FailureType.Forbidden);
      expect(await refusal(handle.executeUpdate(adminCloseUpdate, { args: [{ reason: ' ' }, admin(2)] }))).toBe(FailureType.Invalid);

      expect(await handle.executeUpdate(adminCloseUpdate, { args: [{ reason: 'the form was lost in a migration' }, admin(2)] })).toEqual({
        number,
        status: 'closed',
        version: 3,
      });
      expect(fake.ofType('closed_by_admin', number)).toEqual([
        expect.objectContaining({ actor: { id: 'root', role: 'admin' }, data: { reason: 'the form was lost in a migration', previousStatus: 'in_review' } }),
      ]);
      expect(fake.last(number)).toMatchObject({ status: 'closed', closedAt: expect.any(String), dueAt: null });
      // With no decision there is nothing to appeal: the workflow ends.
      expect(await handle.result()).toEqual({ number, status: 'closed', version: 3 });
      expect((await handle.describe()).memo).toMatchObject({
        number,
        serviceName: 'Справка о тестовом факте',
        status: 'closed',
        statusLabel: 'Закрыто администратором',
        api: `/cases/${number}`,
      });
    });
  });

  it('refuses admin actions on a decided case', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const handle = await claimedApplication(tq);
      const rejected = await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'reject', reasonCode: 'not_eligible', comment: 'нет' }, reviewer(2)] });
      expect(rejected.status).toBe('rejected');
      // The rejected case stays for its appeal window, closed.
      const version = rejected.version;
      expect(await refusal(handle.executeUpdate(adminCloseUpdate, { args: [{ reason: 'x' }, admin(version)] }))).toBe(FailureType.InvalidState);
      expect(await refusal(handle.executeUpdate(adminExtendUpdate, { args: [{ days: 1, reason: 'x' }, admin(version)] }))).toBe(FailureType.InvalidState);
      const move = { from: 'reviewer-1', to: 'reviewer-2', agency: 'mvd', reason: 'x' };
      expect(await refusal(handle.executeUpdate(adminReassignUpdate, { args: [move, admin(version)] }))).toBe(FailureType.InvalidState);
    });
  });

  it('closes a passport change and frees its vehicle before it answers', async () => {
    const fake = fakeActivities();
    const { released, activities } = eptsFakes(fake);
    await suite.run(activities, async (tq) => {
      const handle = await plateChange(tq);
      const number = numberOf(handle);
      expect(await handle.executeUpdate(adminCloseUpdate, { args: [{ reason: 'filed twice by a bug' }, admin(1)] })).toEqual({ number, status: 'closed', version: 2 });
      expect(released).toEqual([number]);
      expect(fake.last(number)).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
      expect(await handle.result()).toMatchObject({ status: 'closed' });
    });
  });

  it('closes a passport change cancelled in Temporal: journaled, vehicle freed, projected, then the workflow ends cancelled', async () => {
    const fake = fakeActivities();
    const { released, activities } = eptsFakes(fake);
    await suite.run(activities, async (tq) => {
      const handle = await plateChange(tq);
      const number = numberOf(handle);
      await handle.cancel();
      const ended = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(ended).toBeInstanceOf(WorkflowFailedError);
      expect((ended as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(released).toEqual([number]);
      expect(fake.ofType('cancelled_in_temporal', number)).toEqual([
        expect.objectContaining({ actor: { id: 'temporal', role: 'system' }, data: { previousStatus: 'submitted' } }),
      ]);
      expect(fake.last(number)).toMatchObject({ status: 'closed', version: 2 });
      expectOrderedJournal(fake, number);
    });
  });
});
