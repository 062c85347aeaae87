/**
 * The application workflow on the time-skipping test server, crossing the real durations
 * of SPEC §4.1 (10-day citizen deadline with reminders, processing deadline warning and
 * breach, 30-day restore window, payment deadline). Activities are faked here only: they
 * record the projection batches and the result requests the workflow sends.
 *
 * Every test first skips to 10:00 Moscow time, so the civil-day arithmetic of the
 * processing deadline has exact, hand-computed expectations whatever the day of the run.
 */
import { randomInt } from 'node:crypto';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { NoticeRequest } from '../../activities';
import { caseWorkflowId, type ActionMeta, type JournalEntry } from '../../core/case-model';
import type { ServiceDefinition } from '../../core/catalogue';
import { dayOf, dayToDate, EMPTY_CALENDAR, startOfDay } from '../../core/deadline-clock';
import { FailureType } from '../../core/failures';
import {
  applicationWorkflow,
  cancelUpdate,
  editUpdate,
  paymentSignal,
  registeredUpdate,
  restoreUpdate,
  stateQuery,
} from '../../workflows/application';
import { ApplicationCase, type ApplicationState, type EditInput } from '../../workflows/application-case';
import type { Payment } from '../../core/fee-account';
import { answerInfoUpdate, assignUpdate, claimUpdate, decideUpdate, requestInfoUpdate, type DecideInput } from '../../workflows/machinery/review-desk';
import { CaseSearchAttributes } from '../../workflows/machinery/search-attributes';
import { DAY, expectOrderedJournal, fakeActivities, midnight, MINUTE, refusal, tenAm, testClock, type Fake } from '../support/case-workflows';
import { testService } from '../support/fixtures';
import { timeSkippingSuite } from '../support/temporal';

const AGENCY = 'mvd';
const citizen: ActionMeta = { actor: { id: 'citizen-1', role: 'citizen' } };
const otherCitizen: ActionMeta = { actor: { id: 'citizen-2', role: 'citizen' } };
const reviewer = (expectedVersion: number | undefined, id = 'reviewer-1', agency = AGENCY): ActionMeta => ({
  actor: { id, role: 'reviewer', agency },
  expectedVersion,
});

/** The shared test service: 15 calendar days, free unless overridden. */
const service = (overrides: Partial<ServiceDefinition> = {}) => testService({ agency: AGENCY, ...overrides });
/** State duty 500 RUB, 1500 RUB when urgent. */
const feeService = (overrides: Partial<ServiceDefinition> = {}) =>
  service({ fee: { base: 500, byField: { field: 'urgency', amounts: { urgent: 1500 } } }, paymentTermDays: 10, ...overrides });

type Handle = WorkflowHandle<typeof applicationWorkflow>;

const suite = timeSkippingSuite();
const { skipTo, tenAmInMoscow } = testClock(() => suite.env);

/** Runs a test's cases on a fresh worker with the given fakes, and ends them before it stops. */
const withCases = <T>(fake: Fake, fn: (taskQueue: string) => Promise<T>): Promise<T> => suite.run(fake.activities, fn);

// ---- cases ------------------------------------------------------------------------

async function file(taskQueue: string, svc = service(), form: Record<string, unknown> = {}): Promise<Handle> {
  const number = `A-2026-${String(randomInt(1_000_000, 9_999_999))}`;
  const handle = await suite.env.client.workflow.start(applicationWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, service: svc, calendar: EMPTY_CALENDAR, applicantId: citizen.actor.id, form, documents: [], meta: citizen }],
  });
  suite.track(handle);
  const registered = await handle.executeUpdate(registeredUpdate, { updateId: 'registered' });
  expect(registered).toEqual({ number, status: svc.fee.base > 0 ? 'awaiting_payment' : 'submitted', version: 1 });
  return handle;
}

async function claimed(taskQueue: string, svc = service()): Promise<{ handle: Handle; version: number }> {
  const handle = await file(taskQueue, svc);
  const { status, version } = await handle.executeUpdate(claimUpdate, { args: [reviewer(1)], updateId: 'claim' });
  expect(status).toBe('in_review');
  return { handle, version };
}

const state = (h: Handle): Promise<ApplicationState> => h.query(stateQuery);
const numberOf = (h: Handle) => h.workflowId.replace(/^case-/, '');

async function searchAttributes(h: Handle) {
  const { typedSearchAttributes: sa } = await h.describe();
  return {
    status: sa.get(CaseSearchAttributes.status),
    assignee: sa.get(CaseSearchAttributes.assignee),
    dueAt: sa.get(CaseSearchAttributes.dueAt)?.toISOString(),
    overdue: sa.get(CaseSearchAttributes.overdue),
  };
}

/** Signals are fire-and-forget: wait until the workflow has applied them. */
async function pay(h: Handle, p: Omit<Payment, 'paidAt'>, applied: (s: ApplicationState) => boolean): Promise<ApplicationState> {
  await h.signal(paymentSignal, { ...p, paidAt: new Date(await suite.env.currentTimeMs()).toISOString() });
  await expect.poll(async () => applied(await state(h)), { timeout: 10_000 }).toBe(true);
  return state(h);
}

// Skipped time is global to the test server: these tests run one after another.
describe.sequential('application workflow on the time-skipping server', () => {
  it("writes as its first projection exactly what the API wrote ahead of it, for a free and a paid service", async () => {
    const fake = fakeActivities();
    await withCases(fake, async (taskQueue) => {
      for (const svc of [service(), feeService()]) {
        const number = `A-2026-${String(randomInt(1_000_000, 9_999_999))}`;
        // The API's clock, a moment before the workflow's first task.
        const filedAt = new Date((await suite.env.currentTimeMs()) - 1500).toISOString();
        const input = { number, service: svc, calendar: EMPTY_CALENDAR, applicantId: citizen.actor.id, form: { urgency: 'urgent' }, documents: [], filedAt, meta: citizen };
        const ahead = ApplicationCase.firstProjection(input);
        const handle = await suite.env.client.workflow.start(applicationWorkflow, { taskQueue, workflowId: caseWorkflowId(number), args: [input] });
        suite.track(handle);
        await handle.executeUpdate(registeredUpdate, { updateId: 'registered' });
        const [first] = fake.batches.filter((b) => b.projection.number === number);
        // updatedAt says when each write was made; everything else is the same case.
        const { updatedAt: _workflows, ...written } = first!.projection;
        const { updatedAt: _api, ...expected } = ahead.projection;
        expect(written).toEqual(expected);
        expect(first!.entries).toEqual(ahead.entries);
        expect(written).toMatchObject({ version: 1, submittedAt: filedAt, status: svc.fee.base > 0 ? 'awaiting_payment' : 'submitted' });
        expect(first!.entries.map((e) => e.at)).toEqual(first!.entries.map(() => filedAt));
      }
    });
  });

  it('reminds the citizen 3 and 1 days before the 10-day answer deadline, then expires the case', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const { handle, version } = await claimed(tq);
      const number = numberOf(handle);
      const asked = await handle.executeUpdate(requestInfoUpdate, { args: [{ message: 'Приложите справку' }, reviewer(version)] });
      expect(asked.status).toBe('awaiting_info');
      const request = (await state(handle)).infoRequest!;
      const askedAt = Date.parse(request.requestedAt);
      // The service's default term: 10 days.
      expect(Date.parse(request.dueAt) - askedAt).toBe(10 * DAY);
      expect(fake.ofType('information_requested', number)[0]?.notify).toEqual([
        expect.objectContaining({ recipient: 'citizen-1', type: 'documents_requested' }),
      ]);
      const reminders = () => fake.ofType('reminder_sent', number);

      await skipTo(askedAt + 7 * DAY - MINUTE);
      expect(reminders()).toEqual([]);
      await skipTo(askedAt + 7 * DAY + MINUTE);
      expect(reminders().map((r) => r.data?.daysLeft)).toEqual([3]);

      await skipTo(askedAt + 9 * DAY - MINUTE);
      expect(reminders()).toHaveLength(1);
      await skipTo(askedAt + 9 * DAY + MINUTE);
      expect(reminders().map((r) => r.data)).toEqual([
        { daysLeft: 3, dueAt: request.dueAt },
        { daysLeft: 1, dueAt: request.dueAt },
      ]);
      expect(reminders().flatMap((r) => r.notify ?? [])).toEqual([
        expect.objectContaining({ recipient: 'citizen-1', type: 'deadline_approaching' }),
        expect.objectContaining({ recipient: 'citizen-1', type: 'deadline_approaching' }),
      ]);
      expect(reminders().map((r) => r.actor.role)).toEqual(['system', 'system']);
      expect((await state(handle)).infoRequest?.remindersSent).toEqual([3, 1]);

      await skipTo(askedAt + 10 * DAY - MINUTE);
      expect((await state(handle)).status).toBe('awaiting_info');
      expect(fake.types(number)).not.toContain('expired');

      await skipTo(askedAt + 10 * DAY + MINUTE);
      expect(await handle.result()).toMatchObject({ number, status: 'expired' });
      expect(fake.ofType('expired', number).map((e) => e.data)).toEqual([{ reason: 'no_answer' }]);
      expect(fake.ofType('status_changed', number).at(-1)).toMatchObject({
        data: { from: 'awaiting_info', to: 'expired' },
        notify: [expect.objectContaining({ recipient: 'citizen-1', type: 'status_changed' })],
      });
      expect(fake.last(number)).toMatchObject({ status: 'expired', closedAt: expect.any(String) });
      expect((await searchAttributes(handle)).status).toBe('expired');
      expectOrderedJournal(fake, number);
    });
  });

  it('stops the processing clock while the citizen owes an answer and moves the expected date by the paused days', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const { handle } = await claimed(tq);
      const number = numberOf(handle);
      // Filed on day d: the 15 days run d+1..d+15; warned when day d+12 begins.
      expect((await state(handle)).deadline.view).toEqual({
        legalDue: dayToDate(d + 15),
        expectedDue: dayToDate(d + 15),
        dueAt: startOfDay(d + 16),
        warnAt: startOfDay(d + 12),
        paused: false,
      });
      expect(await searchAttributes(handle)).toEqual({ status: 'in_review', assignee: 'reviewer-1', dueAt: startOfDay(d + 16), overdue: false });

      await skipTo(tenAm(d + 2));
      const { version } = await state(handle).then((s) => ({ version: s.journal.version }));
      await handle.executeUpdate(requestInfoUpdate, { args: [{ message: 'Уточните адрес', dueDays: 20 }, reviewer(version)] });
      const paused = await state(handle);
      expect(paused.deadline.view).toMatchObject({ paused: true, legalDue: dayToDate(d + 15) });
      // While paused there is no due instant to sort or filter by.
      expect(fake.last(number)?.dueAt).toBeNull();
      expect((await searchAttributes(handle)).dueAt).toBeUndefined();

      // Past the legal warning day (d+12) and the legal due date (d+15): nothing fires while the clock stands.
      await skipTo(tenAm(d + 16));
      expect(fake.types(number)).not.toContain('deadline_warning');
      expect(fake.types(number)).not.toContain('deadline_breached');

      const answered = await handle.executeUpdate(answerInfoUpdate, { args: [{ comment: 'Адрес уточнён', documents: [] }, citizen] });
      expect(answered.status).toBe('in_review');
      const s = await state(handle);
      // Paused d+2..d+16 (15 days, the answer day included): counted d+1, then d+17..d+30.
      expect(s.deadline.view).toEqual({
        legalDue: dayToDate(d + 15),
        expectedDue: dayToDate(d + 30),
        dueAt: startOfDay(d + 31),
        // The 12th counted day: d+1, then d+17..d+27.
        warnAt: startOfDay(d + 27),
        paused: false,
      });
      expect(s.deadline.clock?.intervals).toEqual([
        {
          kind: 'pause',
          from: paused.infoRequest!.requestedAt,
          to: expect.any(String),
          reason: 'information_request',
          actor: 'reviewer:reviewer-1',
        },
      ]);
      expect(dayOf(s.deadline.clock!.intervals[0]!.to!)).toBe(d + 16);
      // The citizen sees every change of the expected date with its reason.
      expect(s.deadline.history.map((h) => [h.reason, h.expectedDue])).toEqual([
        ['term_started', dayToDate(d + 15)],
        ['paused:information_request', dayToDate(d + 16)],
        ['resumed:information_request', dayToDate(d + 30)],
      ]);
      expect(fake.ofType('deadline_changed', number).at(-1)?.data).toEqual({
        legalDue: dayToDate(d + 15),
        expectedDue: dayToDate(d + 30),
        previous: dayToDate(d + 16),
        reason: 'resumed:information_request',
      });
      expect(fake.last(number)).toMatchObject({ legalDueDate: dayToDate(d + 15), expectedDueDate: dayToDate(d + 30), dueAt: startOfDay(d + 31) });
      expect((await searchAttributes(handle)).dueAt).toBe(startOfDay(d + 31));

      // The warning follows the moved date.
      await skipTo(midnight(d + 27) - MINUTE);
      expect(fake.types(number)).not.toContain('deadline_warning');
      await skipTo(midnight(d + 27) + MINUTE);
      expect(fake.ofType('deadline_warning', number).map((e) => e.data)).toEqual([{ expectedDue: dayToDate(d + 30) }]);
      expectOrderedJournal(fake, number);
    });
  });

  it('warns at 80 % of the term and escalates the breach to the agency supervisor and the assignee', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const { handle } = await claimed(tq);
      const unclaimed = await file(tq);
      const [number, other] = [numberOf(handle), numberOf(unclaimed)];

      // 15 days from day d: the 12th day, d+12, is 80 %; the breach is the midnight after d+15.
      await skipTo(midnight(d + 12) - MINUTE);
      expect(fake.types()).not.toContain('deadline_warning');
      await skipTo(midnight(d + 12) + MINUTE);
      expect(fake.ofType('deadline_warning', number).map((e) => e.notify)).toEqual([
        [expect.objectContaining({ recipient: 'reviewer-1', type: 'deadline_warning' })],
      ]);
      // Nobody has the other case: its agency's inbox is warned.
      expect(fake.ofType('deadline_warning', other).map((e) => e.notify)).toEqual([
        [expect.objectContaining({ recipient: `agency:${AGENCY}`, type: 'deadline_warning' })],
      ]);
      expect((await state(handle)).deadline).toMatchObject({ warned: true, breachedAt: null });
      expect((await searchAttributes(handle)).overdue).toBe(false);

      await skipTo(midnight(d + 16) - MINUTE);
      expect(fake.types()).not.toContain('deadline_breached');
      expect(fake.last(number)?.overdue).toBe(false);
      await skipTo(midnight(d + 16) + MINUTE);
      // The breach goes to the supervisor and to the reviewer who has the case, if anybody does.
      for (const [n, recipients] of [[number, [`agency:${AGENCY}:supervisor`, 'reviewer-1']], [other, [`agency:${AGENCY}:supervisor`]]] as const) {
        const breach = fake.ofType('deadline_breached', n);
        expect(breach).toHaveLength(1);
        expect(breach[0]).toMatchObject({
          data: { expectedDue: dayToDate(d + 15) },
          actor: { id: 'system', role: 'system' },
          notify: recipients.map((recipient) => expect.objectContaining({ recipient, type: 'deadline_breached' })),
        });
        expect(fake.last(n)?.overdue).toBe(true);
      }
      const s = await state(handle);
      expect(dayOf(s.deadline.breachedAt!)).toBe(d + 16);
      expect(await searchAttributes(handle)).toMatchObject({ status: 'in_review', overdue: true });
      // Only one warning and one breach, however long the case stays open.
      await skipTo(tenAm(d + 40));
      expect(fake.ofType('deadline_warning', number)).toHaveLength(1);
      expect(fake.ofType('deadline_breached', number)).toHaveLength(1);

      // An overdue case is still decided.
      await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'с опозданием' }, reviewer(s.journal.version)] });
      expect((await handle.result()).status).toBe('completed');
      expect(fake.last(number)).toMatchObject({ status: 'completed', overdue: true });
      expectOrderedJournal(fake, number);
    });
  });

  it('restores a cancelled case on day 29; after 30 days a cancelled case is closed for good', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await file(tq);
      const number = numberOf(handle);
      const cancelled = await handle.executeUpdate(cancelUpdate, { args: [citizen] });
      expect(cancelled.status).toBe('cancelled');
      const first = (await state(handle)).cancellation!;
      expect(Date.parse(first.restoreUntil) - Date.parse(first.at)).toBe(30 * DAY);
      expect((await searchAttributes(handle)).status).toBe('cancelled');

      // The processing deadline does not run while the case is withdrawn.
      await skipTo(tenAm(d + 29));
      expect(fake.types(number)).not.toContain('deadline_warning');
      expect(fake.types(number)).not.toContain('deadline_breached');
      const restored = await handle.executeUpdate(restoreUpdate, { args: [citizen] });
      expect(restored.status).toBe('submitted');
      const s = await state(handle);
      expect(s.cancellation).toBeNull();
      // Withdrawn d..d+29: the 15 days run d+30..d+44.
      expect(s.deadline.view).toMatchObject({ legalDue: dayToDate(d + 15), expectedDue: dayToDate(d + 44), paused: false });
      // Cancelled on the filing day itself: only the restore moves the date.
      expect(s.deadline.history.map((h) => [h.reason, h.expectedDue])).toEqual([
        ['term_started', dayToDate(d + 15)],
        ['resumed:cancelled', dayToDate(d + 44)],
      ]);
      expect(fake.types(number)).toContain('restored');

      await handle.executeUpdate(cancelUpdate, { args: [citizen] });
      const second = (await state(handle)).cancellation!;
      await skipTo(Date.parse(second.restoreUntil) - MINUTE);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect((await state(handle)).closedAt).toBeNull();

      await skipTo(Date.parse(second.restoreUntil) + MINUTE);
      expect(await handle.result()).toMatchObject({ number, status: 'cancelled' });
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect(fake.types(number).at(-1)).toBe('closed');
      expect(fake.last(number)).toMatchObject({ status: 'cancelled', closedAt: expect.any(String) });
      // Day 30 is past: the case no longer takes a restore.
      await expect(handle.executeUpdate(restoreUpdate, { args: [citizen] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expectOrderedJournal(fake, number);
    });
  });

  it('holds the citizen deadline while the case is withdrawn and gives the withdrawn days back on restore', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const { handle, version } = await claimed(tq);
      const number = numberOf(handle);
      await handle.executeUpdate(requestInfoUpdate, { args: [{ message: 'Приложите копию паспорта' }, reviewer(version)] });
      const firstDue = Date.parse((await state(handle)).infoRequest!.dueAt);

      await skipTo(tenAm(d + 2));
      await handle.executeUpdate(cancelUpdate, { args: [citizen] });
      // Far past the original answer deadline: neither reminders nor expiry while cancelled.
      await skipTo(tenAm(d + 22));
      expect(fake.types(number)).not.toContain('reminder_sent');
      expect(fake.types(number)).not.toContain('expired');

      const restored = await handle.executeUpdate(restoreUpdate, { args: [citizen] });
      expect(restored.status).toBe('awaiting_info');
      const [cancelledAt, restoredAt] = ['cancelled', 'restored'].map((t) => Date.parse(fake.ofType(t, number)[0]!.at));
      const s = await state(handle);
      const newDue = Date.parse(s.infoRequest!.dueAt);
      expect(newDue - firstDue).toBe(restoredAt! - cancelledAt!);
      // The processing clock stays stopped: the citizen still owes the answer.
      expect(s.deadline.view?.paused).toBe(true);
      expect(s.deadline.clock?.intervals.map((i) => [i.reason, i.to === null])).toEqual([
        ['information_request', false],
        ['information_request', true],
      ]);

      await skipTo(newDue - 3 * DAY + MINUTE);
      expect(fake.ofType('reminder_sent', number).map((r) => r.data?.daysLeft)).toEqual([3]);
      await skipTo(newDue + MINUTE);
      expect((await handle.result()).status).toBe('expired');
      expect(fake.ofType('reminder_sent', number).map((r) => r.data?.daysLeft)).toEqual([3, 1]);
      expectOrderedJournal(fake, number);
    });
  });

  it('expires an unpaid case at the payment deadline', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const handle = await file(tq, service({ fee: { base: 350 }, paymentTermDays: 10 }));
      const number = numberOf(handle);
      const s = await state(handle);
      expect(s.status).toBe('awaiting_payment');
      expect(s.fee).toMatchObject({ amount: 350, paid: 0, invoice: { id: `${number}-F1`, amount: 350 } });
      expect(Date.parse(s.fee.invoice!.dueAt) - Date.parse(s.submittedAt)).toBe(10 * DAY);
      // The processing term starts only when the duty is paid.
      expect(s.deadline.clock).toBeNull();
      expect(fake.ofType('invoice_issued', number).map((e) => e.data)).toEqual([{ invoiceId: `${number}-F1`, amount: 350, dueAt: s.fee.invoice!.dueAt }]);

      await skipTo(Date.parse(s.fee.invoice!.dueAt) - MINUTE);
      expect((await state(handle)).status).toBe('awaiting_payment');
      await skipTo(Date.parse(s.fee.invoice!.dueAt) + MINUTE);
      expect((await handle.result()).status).toBe('expired');
      expect(fake.ofType('expired', number).map((e) => e.data)).toEqual([{ reason: 'payment_overdue' }]);
      expect(fake.last(number)).toMatchObject({ status: 'expired', closedAt: expect.any(String) });
      expectOrderedJournal(fake, number);
    });
  });

  it('moves a paid case to submitted and starts the processing clock at the payment', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await file(tq, feeService(), { urgency: 'normal' });
      const number = numberOf(handle);
      const invoiceId = `${number}-F1`;
      await skipTo(tenAm(d + 3));

      // A payment that matches no open invoice is recorded for a refund, not applied.
      let s = await pay(handle, { invoiceId, amount: 499, transactionId: 'tx-short' }, (x) => x.fee.transactions.length === 1);
      expect(s.status).toBe('awaiting_payment');
      s = await pay(handle, { invoiceId, amount: 500, transactionId: 'tx-1' }, (x) => x.status === 'submitted');
      expect(s.fee).toMatchObject({ amount: 500, paid: 500, invoice: null, transactions: ['tx-short', 'tx-1'] });
      // The 15 days start the day after the payment, not the filing.
      expect(dayOf(s.deadline.clock!.startedAt)).toBe(d + 3);
      expect(s.deadline.view).toMatchObject({ legalDue: dayToDate(d + 18), expectedDue: dayToDate(d + 18), paused: false });

      // The gateway retries its callback: the same transaction is applied once.
      const version = s.journal.version;
      await handle.signal(paymentSignal, { invoiceId, amount: 500, transactionId: 'tx-1', paidAt: new Date().toISOString() });
      expect((await state(handle)).journal.version).toBe(version);
      expect((await state(handle)).fee.paid).toBe(500);

      await expect.poll(() => fake.last(number)?.status, { timeout: 10_000 }).toBe('submitted');
      expect(fake.ofType('payment_not_applied', number).map((e) => e.data)).toEqual([{ invoiceId, amount: 499 }]);
      expect(fake.ofType('paid', number)).toEqual([
        expect.objectContaining({ actor: { id: 'payment-gateway', role: 'payment_gateway' }, data: { invoiceId, amount: 500 } }),
      ]);
      expect(fake.ofType('status_changed', number).map((e) => e.data)).toEqual([
        { from: 'submitted', to: 'awaiting_payment' },
        { from: 'awaiting_payment', to: 'submitted' },
      ]);
      expect((await searchAttributes(handle)).dueAt).toBe(startOfDay(d + 19));
      expectOrderedJournal(fake, number);
    });
  });

  it('issues a new invoice when an edit changes the duty, before and after a payment', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      // Before paying: the open invoice is replaced.
      const unpaid = await file(tq, feeService(), { urgency: 'normal' });
      const n1 = numberOf(unpaid);
      const edited = await unpaid.executeUpdate(editUpdate, { args: [{ form: { urgency: 'urgent' }, documents: [] }, citizen] });
      expect(edited.status).toBe('awaiting_payment');
      let s = await state(unpaid);
      expect(s.fee).toMatchObject({ amount: 1500, paid: 0, invoices: 2, invoice: { id: `${n1}-F2`, amount: 1500 } });
      expect(fake.ofType('fee_changed', n1).map((e) => e.data)).toEqual([{ amount: 1500 }]);
      expect(fake.ofType('invoice_issued', n1).map((e) => e.data?.invoiceId)).toEqual([`${n1}-F1`, `${n1}-F2`]);
      // The superseded invoice is no longer payable.
      s = await pay(unpaid, { invoiceId: `${n1}-F1`, amount: 500, transactionId: 'tx-old' }, (x) => x.fee.transactions.length === 1);
      expect(s).toMatchObject({ status: 'awaiting_payment', fee: { paid: 0 } });
      s = await pay(unpaid, { invoiceId: `${n1}-F2`, amount: 1500, transactionId: 'tx-new' }, (x) => x.status === 'submitted');
      expect(s.fee).toMatchObject({ paid: 1500, invoice: null });
      expect(s.deadline.view?.paused).toBe(false);

      // After paying: the difference is invoiced and the clock waits for it.
      const paid = await file(tq, feeService(), { urgency: 'normal' });
      const n2 = numberOf(paid);
      await pay(paid, { invoiceId: `${n2}-F1`, amount: 500, transactionId: 'tx-a' }, (x) => x.status === 'submitted');
      await paid.executeUpdate(editUpdate, { args: [{ form: { urgency: 'urgent' }, documents: [] }, citizen] });
      s = await state(paid);
      expect(s).toMatchObject({ status: 'awaiting_payment', fee: { amount: 1500, paid: 500, invoice: { id: `${n2}-F2`, amount: 1000 } } });
      expect(s.deadline.view?.paused).toBe(true);
      expect(s.deadline.clock?.intervals.map((i) => [i.kind, i.reason])).toEqual([
        ['extension', 'resubmitted'],
        ['pause', 'payment'],
      ]);
      s = await pay(paid, { invoiceId: `${n2}-F2`, amount: 1000, transactionId: 'tx-b' }, (x) => x.status !== 'awaiting_payment');
      // An edited case goes back for the check as resubmitted, with its clock running again.
      expect(s).toMatchObject({ status: 'resubmitted', fee: { amount: 1500, paid: 1500, invoice: null } });
      expect(s.deadline.view?.paused).toBe(false);
      expect(s.deadline.clock?.intervals.map((i) => [i.reason, i.to !== null])).toEqual([
        ['resubmitted', true],
        ['payment', true],
      ]);
      expectOrderedJournal(fake, n1);
      expectOrderedJournal(fake, n2);
    });
  });

  it('drops the extra invoice and restarts the clock when an edit brings the duty back to what was paid', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await file(tq, feeService(), { urgency: 'normal' });
      const number = numberOf(handle);
      await pay(handle, { invoiceId: `${number}-F1`, amount: 500, transactionId: 'tx-a' }, (x) => x.status === 'submitted');
      await skipTo(tenAm(d + 1));
      await handle.executeUpdate(editUpdate, { args: [{ form: { urgency: 'urgent' }, documents: [] }, citizen] });
      expect((await state(handle)).fee.invoice?.amount).toBe(1000);
      await skipTo(tenAm(d + 2));
      const back = await handle.executeUpdate(editUpdate, { args: [{ form: { urgency: 'normal' }, documents: [] }, citizen] });
      expect(back.status).toBe('resubmitted');
      const s = await state(handle);
      expect(s.fee).toMatchObject({ amount: 500, paid: 500, invoice: null });
      // Nothing is owed any more: the payment pause must not hold the clock forever.
      expect(s.deadline.clock?.intervals.filter((i) => i.to === null)).toEqual([]);
      expect(s.deadline.view?.paused).toBe(false);
      // Extended d..d+2 by the re-check: the 15 days run d+3..d+17.
      expect(s.deadline.view?.expectedDue).toBe(dayToDate(d + 17));
      expect((await searchAttributes(handle)).dueAt).toBe(startOfDay(d + 18));
      await skipTo(midnight(d + 18) + MINUTE);
      expect(fake.ofType('deadline_breached', number)).toHaveLength(1);
    });
  });

  it('starts the clock when an edit makes an unpaid application free', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const svc = service({ fee: { base: 500, byField: { field: 'benefit', amounts: { disabled: 0 } } } });
      const handle = await file(tq, svc, { benefit: 'none' });
      const number = numberOf(handle);
      expect((await state(handle)).deadline.clock).toBeNull();
      await skipTo(tenAm(d + 1));
      const edited = await handle.executeUpdate(editUpdate, { args: [{ form: { benefit: 'disabled' }, documents: [] }, citizen] });
      expect(edited.status).toBe('resubmitted');
      const s = await state(handle);
      expect(s.fee).toMatchObject({ amount: 0, paid: 0, invoice: null });
      // The 15 days run from the edit, the first moment nothing was owed.
      expect(s.deadline.view).toMatchObject({ legalDue: dayToDate(d + 16), expectedDue: dayToDate(d + 16), paused: false });
      // The dropped invoice neither expires the case nor takes a payment.
      await skipTo(tenAm(d + 12));
      expect((await state(handle)).status).toBe('resubmitted');
      expect(fake.types(number)).not.toContain('expired');
      expectOrderedJournal(fake, number);
    });
  });

  it('re-checks an edited application: resubmitted, the term restarts from the edit', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await file(tq);
      const number = numberOf(handle);
      await skipTo(tenAm(d + 3));
      const edited = await handle.executeUpdate(editUpdate, { args: [{ form: { purpose: 'для банка' }, documents: [] }, citizen] });
      expect(edited).toMatchObject({ status: 'resubmitted', version: 2 });
      const s = await state(handle);
      expect(s.form).toEqual({ purpose: 'для банка' });
      // Extended d..d+3: the 15 days run d+4..d+18.
      expect(s.deadline.view).toMatchObject({ legalDue: dayToDate(d + 15), expectedDue: dayToDate(d + 18), paused: false });
      expect(s.deadline.clock?.intervals).toEqual([
        expect.objectContaining({ kind: 'extension', reason: 'resubmitted', actor: 'citizen:citizen-1', to: expect.any(String) }),
      ]);
      expect(s.deadline.history.at(-1)).toMatchObject({ reason: 'extended:resubmitted', expectedDue: dayToDate(d + 18) });
      expect(fake.types(number)).toEqual(['submitted', 'deadline_changed', 'edited', 'deadline_changed', 'status_changed']);
      // A resubmitted case is claimed like a new one; after that it can no longer be edited.
      const claim = await handle.executeUpdate(claimUpdate, { args: [reviewer(2)] });
      expect(claim.status).toBe('in_review');
      expect(await refusal(handle.executeUpdate(editUpdate, { args: [{ form: {}, documents: [] }, citizen] }))).toBe(FailureType.InvalidState);
    });
  });

  it('approves, issues the result and completes', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const svc = service();
      const { handle, version } = await claimed(tq, svc);
      const number = numberOf(handle);
      const decided = await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'Всё в порядке' }, reviewer(version)] });
      // The answer reports the case as it is once the decision is projected: the result may
      // already be issued by then.
      expect(decided.number).toBe(number);
      expect(decided.version).toBeGreaterThanOrEqual(3);
      // The caller's read after the update sees its change: it was projected before the answer.
      expect(fake.batches.filter((b) => b.projection.number === number).map((b) => [b.projection.version, b.projection.status])).toContainEqual([
        3,
        'approved',
      ]);

      // The workflow stays to answer appeals until the period to appeal ends (30 days after the decision day).
      expect(await handle.result()).toEqual({ number, status: 'completed', version: 5 });
      const s = await state(handle);
      const [ended] = fake.ofType('appeal_period_ended', number).map((e) => Date.parse(e.at) - midnight(dayOf(s.decision!.decidedAt) + 31));
      expect(ended).toBeGreaterThanOrEqual(0);
      expect(ended).toBeLessThan(MINUTE);
      expect(s.decision).toMatchObject({ outcome: 'approved', reasonCode: null, comment: 'Всё в порядке', decidedBy: 'reviewer-1' });
      expect(fake.resultRequests).toEqual([
        {
          number,
          serviceCode: svc.code,
          serviceName: svc.name,
          applicantId: 'citizen-1',
          resultType: 'electronic_document',
          decidedAt: s.decision!.decidedAt,
        },
      ]);
      expect(s.result).toEqual({ verificationCode: `VC-${number}`, resultType: 'electronic_document', title: `Результат по ${number}`, issuedAt: s.decision!.decidedAt });
      expect(fake.types(number)).toEqual([
        'submitted',
        'deadline_changed',
        'claimed',
        'status_changed',
        'approved',
        'status_changed',
        'result_issued',
        'status_changed',
        'appeal_period_ended',
      ]);
      expect(fake.ofType('status_changed', number).map((e) => e.data?.to)).toEqual(['in_review', 'approved', 'completed']);
      expect(fake.ofType('result_issued', number)[0]?.data).toMatchObject({ verificationCode: `VC-${number}` });
      expect(fake.last(number)).toMatchObject({ status: 'completed', version: 5, assigneeId: 'reviewer-1', closedAt: expect.any(String) });
      expect(await searchAttributes(handle)).toMatchObject({ status: 'completed', assignee: 'reviewer-1' });
      expect((await handle.describe()).memo).toMatchObject({ status: 'completed', version: 5 });
      expectOrderedJournal(fake, number);
    });
  });

  it('rejects with a reason code and closes without a result', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const { handle, version } = await claimed(tq);
      const number = numberOf(handle);
      await handle.executeUpdate(decideUpdate, {
        args: [{ outcome: 'reject', reasonCode: 'incomplete_documents', comment: 'Нет справки' }, reviewer(version)],
      });
      expect((await handle.result()).status).toBe('rejected');
      expect(fake.resultRequests).toEqual([]);
      expect(fake.ofType('rejected', number).map((e) => e.data)).toEqual([{ reasonCode: 'incomplete_documents', comment: 'Нет справки' }]);
      expect(fake.last(number)).toMatchObject({ status: 'rejected', closedAt: expect.any(String) });
    });
  });

  it('refuses invalid actions in validators, synchronously and without a trace in history', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const { handle, version } = await claimed(tq);
      const number = numberOf(handle);
      const batchesBefore = fake.batches.length;
      const approve: DecideInput = { outcome: 'approve', comment: '' };
      const emptyEdit: EditInput = { form: {}, documents: [] };
      const attempts: Array<[updateId: string, refusedAs: FailureType, run: (updateId: string) => Promise<unknown>]> = [
        ['decide-not-assignee', FailureType.Forbidden, (updateId) => handle.executeUpdate(decideUpdate, { args: [approve, reviewer(version, 'reviewer-2')], updateId })],
        ['decide-other-agency', FailureType.Forbidden, (updateId) => handle.executeUpdate(decideUpdate, { args: [approve, reviewer(version, 'reviewer-1', 'fns')], updateId })],
        ['decide-as-citizen', FailureType.Forbidden, (updateId) => handle.executeUpdate(decideUpdate, { args: [approve, citizen], updateId })],
        ['decide-stale', FailureType.StaleVersion, (updateId) => handle.executeUpdate(decideUpdate, { args: [approve, reviewer(version - 1)], updateId })],
        ['decide-no-version', FailureType.Invalid, (updateId) => handle.executeUpdate(decideUpdate, { args: [approve, reviewer(undefined)], updateId })],
        ['reject-no-reason', FailureType.Invalid, (updateId) => handle.executeUpdate(decideUpdate, { args: [{ outcome: 'reject', comment: 'нет' }, reviewer(version)], updateId })],
        ['request-bad-days', FailureType.Invalid, (updateId) => handle.executeUpdate(requestInfoUpdate, { args: [{ message: 'x', dueDays: 0 }, reviewer(version)], updateId })],
        ['assign-to-applicant', FailureType.Invalid, (updateId) => handle.executeUpdate(assignUpdate, { args: [{ assigneeId: 'citizen-1' }, reviewer(version)], updateId })],
        ['edit-in-review', FailureType.InvalidState, (updateId) => handle.executeUpdate(editUpdate, { args: [emptyEdit, citizen], updateId })],
        ['answer-unasked', FailureType.InvalidState, (updateId) => handle.executeUpdate(answerInfoUpdate, { args: [{ comment: 'вот', documents: [] }, citizen], updateId })],
        ['restore-not-cancelled', FailureType.InvalidState, (updateId) => handle.executeUpdate(restoreUpdate, { args: [citizen], updateId })],
        ['claim-taken', FailureType.InvalidState, (updateId) => handle.executeUpdate(claimUpdate, { args: [reviewer(version, 'reviewer-2')], updateId })],
        ['cancel-by-stranger', FailureType.Forbidden, (updateId) => handle.executeUpdate(cancelUpdate, { args: [otherCitizen], updateId })],
      ];
      for (const [updateId, refusedAs, run] of attempts) {
        expect.soft(await refusal(run(updateId)), updateId).toBe(refusedAs);
      }

      // A reviewer never handles their own application.
      const own = await file(tq);
      const self = { actor: { id: 'citizen-1', role: 'reviewer' as const, agency: AGENCY }, expectedVersion: 1 };
      expect(await refusal(own.executeUpdate(claimUpdate, { args: [self], updateId: 'claim-own' }))).toBe(FailureType.Forbidden);
      // Editing a service that does not allow partial edits.
      const strict = await file(tq, service({ partialEditAllowed: false }));
      expect(await refusal(strict.executeUpdate(editUpdate, { args: [emptyEdit, citizen], updateId: 'edit-strict' }))).toBe(
        FailureType.InvalidState,
      );

      // None of the refusals entered history: only the registration and the claim were accepted.
      const accepted = async (h: Handle) =>
        ((await h.fetchHistory()).events ?? []).flatMap((e) => {
          const a = e.workflowExecutionUpdateAcceptedEventAttributes;
          return a ? [a.acceptedRequest?.meta?.updateId ?? a.protocolInstanceId] : [];
        });
      expect(await accepted(handle)).toEqual(['registered', 'claim']);
      expect(await accepted(own)).toEqual(['registered']);
      expect(await accepted(strict)).toEqual(['registered']);
      const history = JSON.stringify((await handle.fetchHistory()).events);
      for (const [id] of attempts) expect(history).not.toContain(id);

      // Nothing changed: same version, nothing projected, and the right action still works.
      expect((await state(handle)).journal.version).toBe(version);
      expect(fake.batches.slice(batchesBefore).filter((b) => b.projection.number === number)).toEqual([]);
      const ok = await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'ok' }, reviewer(version)] });
      expect(ok.version).toBeGreaterThan(version);
      expect((await handle.result()).status).toBe('completed');
    });
  });
  it('keeps the duties apart by itself, whoever drives it: only a reviewer of the agency claims, only the assignee works and decides, only a supervisor or the assignee assigns', async () => {
    const fake = fakeActivities();
    await withCases(fake, async (tq) => {
      await tenAmInMoscow();
      const waiting = await file(tq);
      const as = (actor: ActionMeta['actor'], expectedVersion = 1): ActionMeta => ({ actor, expectedVersion });
      const fnsSupervisor = { id: 'fns-boss', role: 'reviewer' as const, agency: 'fns', supervisor: true };
      const mvdSupervisor = { id: 'mvd-boss', role: 'reviewer' as const, agency: AGENCY, supervisor: true };
      const unclaimed: Array<[string, () => Promise<unknown>]> = [
        ['claim by a reviewer of another agency', () => waiting.executeUpdate(claimUpdate, { args: [reviewer(1, 'fns-1', 'fns')], updateId: 'claim-fns' })],
        ["claim by another agency's supervisor", () => waiting.executeUpdate(claimUpdate, { args: [as(fnsSupervisor)], updateId: 'claim-fns-boss' })],
        ['claim by the applicant', () => waiting.executeUpdate(claimUpdate, { args: [as(citizen.actor)], updateId: 'claim-citizen' })],
        ['claim by an expert', () => waiting.executeUpdate(claimUpdate, { args: [as({ id: 'expert-1', role: 'expert' })], updateId: 'claim-expert' })],
        ['claim by an operator', () => waiting.executeUpdate(claimUpdate, { args: [as({ id: 'operator-1', role: 'operator' })], updateId: 'claim-operator' })],
        ['claim by an admin', () => waiting.executeUpdate(claimUpdate, { args: [as({ id: 'admin-1', role: 'admin' })], updateId: 'claim-admin' })],
        ['decide unclaimed', () => waiting.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: '' }, reviewer(1)], updateId: 'decide-unclaimed' })],
        ['assign by a reviewer who is not a supervisor', () => waiting.executeUpdate(assignUpdate, { args: [{ assigneeId: 'reviewer-2' }, reviewer(1)], updateId: 'assign-plain' })],
        ["assign by another agency's supervisor", () => waiting.executeUpdate(assignUpdate, { args: [{ assigneeId: 'reviewer-2' }, as(fnsSupervisor)], updateId: 'assign-fns-boss' })],
      ];
      for (const [what, attempt] of unclaimed) expect.soft(await refusal(attempt()), what).toBe(FailureType.Forbidden);

      const { handle, version } = await claimed(tq);
      const approve: DecideInput = { outcome: 'approve', comment: '' };
      const held: Array<[string, () => Promise<unknown>]> = [
        ["decide by the agency's supervisor, who does not hold it", () => handle.executeUpdate(decideUpdate, { args: [approve, as(mvdSupervisor, version)], updateId: 'decide-boss' })],
        ['ask for information, not the assignee', () => handle.executeUpdate(requestInfoUpdate, { args: [{ message: 'x', dueDays: 5 }, reviewer(version, 'reviewer-2')], updateId: 'ask-other' })],
        ['take over by claiming, same agency', () => handle.executeUpdate(claimUpdate, { args: [reviewer(version, 'reviewer-2')], updateId: 'claim-over' })],
        ['assign away by a reviewer who does not hold it', () => handle.executeUpdate(assignUpdate, { args: [{ assigneeId: 'reviewer-2' }, reviewer(version, 'reviewer-3')], updateId: 'assign-other' })],
        ['decide by the applicant calling themselves a reviewer', () => handle.executeUpdate(decideUpdate, { args: [approve, reviewer(version, 'citizen-1')], updateId: 'decide-own' })],
        ['decide by an admin', () => handle.executeUpdate(decideUpdate, { args: [approve, as({ id: 'admin-1', role: 'admin' }, version)], updateId: 'decide-admin' })],
        ['decide by an expert', () => handle.executeUpdate(decideUpdate, { args: [approve, as({ id: 'expert-1', role: 'expert' }, version)], updateId: 'decide-expert' })],
      ];
      for (const [what, attempt] of held) {
        // Taking over a held case by claiming is refused as the wrong state, not the wrong person: the supervisor assigns instead.
        expect.soft(await refusal(attempt()), what).toBe(what.startsWith('take over') ? FailureType.InvalidState : FailureType.Forbidden);
      }

      // None of it entered history; the supervisor may hand the case on, and then only the new assignee decides.
      const accepted = async (h: Handle) =>
        ((await h.fetchHistory()).events ?? []).flatMap((e) => {
          const a = e.workflowExecutionUpdateAcceptedEventAttributes;
          return a ? [a.acceptedRequest?.meta?.updateId ?? a.protocolInstanceId] : [];
        });
      expect(await accepted(waiting)).toEqual(['registered']);
      expect(await accepted(handle)).toEqual(['registered', 'claim']);
      const handed = await handle.executeUpdate(assignUpdate, { args: [{ assigneeId: 'reviewer-2' }, as(mvdSupervisor, version)] });
      expect(await refusal(handle.executeUpdate(decideUpdate, { args: [approve, reviewer(handed.version)] }))).toBe(FailureType.Forbidden);
      await handle.executeUpdate(decideUpdate, { args: [approve, reviewer(handed.version, 'reviewer-2')] });
      expect((await state(handle)).decision).toMatchObject({ decidedBy: 'reviewer-2' });
    });
  });

  it('hands every projected entry with notices to the delivery activity once, by number only, and a delivery that fails for good holds nothing up', async () => {
    const fake = fakeActivities();
    const deadGateway = {
      ...fake.activities,
      async deliverNotices(req: NoticeRequest): Promise<never> {
        fake.noticeRequests.push(req);
        throw ApplicationFailure.nonRetryable('the gateway refused everything', FailureType.Permanent);
      },
    };
    await suite.run(deadGateway, async (tq) => {
      const { handle, version } = await claimed(tq);
      const number = numberOf(handle);
      const decided = await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'ok' }, reviewer(version)] });
      expect(decided.status).toBe('completed');
      expect((await handle.result()).status).toBe('completed');

      const noticed = fake.entries(number).filter((e) => e.notify?.length).map((e) => e.seq);
      const requests = fake.noticeRequests.filter((r) => r.caseNumber === number);
      expect(requests.flatMap((r) => r.seqs).sort((a, b) => a - b)).toEqual(noticed);
      // Submission, claim, decision, result: each entry's notices, once.
      expect(noticed.length).toBeGreaterThanOrEqual(4);
      for (const r of requests) expect(Object.keys(r).sort()).toEqual(['caseNumber', 'seqs']);
    });
  });

  it('hands the delivery activity only the entries whose projection queued messages', async () => {
    // Only status changes had messages queued (say, the applicant chose no other notice).
    const statusChanges = (entries: JournalEntry[]) => entries.filter((e) => e.notify?.some((n) => n.type === 'status_changed')).map((e) => e.seq);
    const fake = fakeActivities(({ entries }) => ({ queuedNotices: statusChanges(entries) }));
    await suite.run(fake.activities, async (tq) => {
      const { handle, version } = await claimed(tq);
      const number = numberOf(handle);
      await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'ok' }, reviewer(version)] });
      expect((await handle.result()).status).toBe('completed');

      const queued = statusChanges(fake.entries(number));
      const noticed = fake.entries(number).filter((e) => e.notify?.length);
      expect(queued.length).toBeGreaterThan(0);
      expect(queued.length).toBeLessThan(noticed.length);
      const requested = fake.noticeRequests.filter((r) => r.caseNumber === number).flatMap((r) => r.seqs);
      expect(requested.sort((a, b) => a - b)).toEqual(queued);
    });
  });
});
