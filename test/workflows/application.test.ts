import { randomInt } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { caseWorkflowId, type ActionMeta, type JournalEntry, type ProjectionBatch } from '../../core/case-model';
import { EMPTY_CALENDAR } from '../../core/deadline-clock';
import { FailureType } from '../../core/failures';
import {
  answerInfoUpdate,
  applicationWorkflow,
  cancelUpdate,
  claimUpdate,
  decideUpdate,
  editUpdate,
  paymentSignal,
  registeredUpdate,
  requestInfoUpdate,
  restoreUpdate,
  stateQuery,
} from '../../workflows/application';
import { testService } from '../support/stack';
import { createTimeSkippingEnv, withWorker } from '../support/temporal';

const DAY = 86_400_000;
const citizen: ActionMeta = { actor: { id: 'citizen-1', role: 'citizen' } };
const reviewer = (version: number, id = 'reviewer-1'): ActionMeta => ({
  actor: { id, role: 'reviewer', agency: 'mvd' },
  expectedVersion: version,
});

const service = testService;

/** Activities are faked only in these workflow tests: they record what would be projected. */
function fakeActivities() {
  const batches: ProjectionBatch[] = [];
  const activities: Pick<Activities, 'projectCase' | 'issueApplicationResult'> = {
    async projectCase(batch) {
      batches.push(batch);
    },
    async issueApplicationResult() {
      return { verificationCode: 'TEST-CODE-0001', resultType: 'electronic_document', title: 'Результат', issuedAt: new Date().toISOString() };
    },
  };
  const entries = (): JournalEntry[] => batches.flatMap((b) => b.entries);
  return { activities, batches, entries, types: () => entries().map((e) => e.type) };
}

let env: TestWorkflowEnvironment;
const started: WorkflowHandle[] = [];
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
// A case left running without its worker would hold the test server's clock: its
// timers would need a workflow task that nobody takes.
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate('test finished').catch(() => undefined);
});
afterAll(async () => env?.teardown());

async function file(taskQueue: string, svc = service(), form: Record<string, unknown> = {}) {
  const number = `A-2026-${String(randomInt(1_000_000, 9_999_999))}`;
  const handle = await env.client.workflow.start(applicationWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, service: svc, calendar: EMPTY_CALENDAR, applicantId: citizen.actor.id, form, documents: [], meta: citizen }],
  });
  started.push(handle);
  await handle.executeUpdate(registeredUpdate);
  return handle;
}

async function claimed(taskQueue: string, svc = service()) {
  const handle = await file(taskQueue, svc);
  const { version } = await handle.executeUpdate(claimUpdate, { args: [reviewer(1)] });
  return { handle, version };
}

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

const state = (h: WorkflowHandle<typeof applicationWorkflow>) => h.query(stateQuery);

// Skipped time is global to the test server: these tests run one after another.
describe.sequential('application workflow on the time-skipping server', () => {
  it('reminds the citizen 3 and 1 days before the 10-day answer deadline, then expires the case', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const { handle, version } = await claimed(tq);
      await handle.executeUpdate(requestInfoUpdate, { args: [{ message: 'Приложите справку' }, reviewer(version)] });
      expect((await state(handle)).status).toBe('awaiting_info');

      await env.sleep(7 * DAY + 60_000);
      expect(fake.types().filter((t) => t === 'reminder_sent')).toHaveLength(1);
      await env.sleep(2 * DAY);
      const reminders = fake.entries().filter((e) => e.type === 'reminder_sent');
      expect(reminders.map((r) => r.data?.daysLeft)).toEqual([3, 1]);
      expect(reminders.flatMap((r) => r.notify ?? []).map((n) => [n.recipient, n.type])).toEqual([
        ['citizen-1', 'deadline_approaching'],
        ['citizen-1', 'deadline_approaching'],
      ]);
      expect((await state(handle)).status).toBe('awaiting_info');

      await env.sleep(DAY);
      const result = await handle.result();
      expect(result.status).toBe('expired');
      expect(fake.entries().find((e) => e.type === 'expired')?.data).toEqual({ reason: 'no_answer' });
      expect(fake.batches.at(-1)?.projection).toMatchObject({ status: 'expired', closedAt: expect.any(String) });
    });
  });

  it('stops the processing clock while the citizen owes an answer and moves the expected date by the paused days', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const { handle, version } = await claimed(tq);
      const before = (await state(handle)).deadline.view!;
      expect(before.legalDue).toBe(before.expectedDue);
      await handle.executeUpdate(requestInfoUpdate, { args: [{ message: 'Уточните', dueDays: 10 }, reviewer(version)] });
      await env.sleep(4 * DAY);
      await handle.executeUpdate(answerInfoUpdate, { args: [{ comment: 'Готово', documents: [] }, citizen] });

      const s = await state(handle);
      expect(s.status).toBe('in_review');
      const shift = (Date.parse(s.deadline.view!.expectedDue) - Date.parse(s.deadline.view!.legalDue)) / DAY;
      expect(shift).toBe(4);
      expect(s.deadline.clock!.intervals).toEqual([
        expect.objectContaining({ kind: 'pause', reason: 'information_request', to: expect.any(String) }),
      ]);
      expect(s.deadline.history.map((h) => h.reason)).toEqual(['term_started', 'resumed:information_request']);
      const changed = fake.entries().filter((e) => e.type === 'deadline_changed').at(-1);
      expect(changed?.data).toMatchObject({ previous: before.expectedDue, expectedDue: s.deadline.view!.expectedDue });
    });
  });

  it('warns at 80 % of the term and escalates the breach to the agency supervisor', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const { handle } = await claimed(tq);
      await env.sleep(10 * DAY);
      expect(fake.types()).not.toContain('deadline_warning');
      await env.sleep(3 * DAY);
      const warning = fake.entries().find((e) => e.type === 'deadline_warning');
      expect(warning?.notify).toEqual([expect.objectContaining({ recipient: 'reviewer-1', type: 'deadline_warning' })]);
      expect((await state(handle)).deadline.breachedAt).toBeNull();

      await env.sleep(4 * DAY);
      const s = await state(handle);
      expect(s.deadline.breachedAt).not.toBeNull();
      const breach = fake.entries().find((e) => e.type === 'deadline_breached');
      expect(breach?.notify).toEqual([expect.objectContaining({ recipient: 'agency:mvd:supervisor', type: 'deadline_breached' })]);
      expect(fake.batches.at(-1)?.projection.overdue).toBe(true);
      // Overdue cases still get decided.
      await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'late' }, reviewer(s.journal.version)] });
      expect((await handle.result()).status).toBe('completed');
    });
  });

  it('keeps a cancelled case restorable for 30 days, then closes it', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const handle = await file(tq);
      await handle.executeUpdate(cancelUpdate, { args: [citizen] });
      await env.sleep(29 * DAY);
      const restored = await handle.executeUpdate(restoreUpdate, { args: [citizen] });
      expect(restored.status).toBe('submitted');
      // The days spent withdrawn do not count against the agency.
      const s = await state(handle);
      expect((Date.parse(s.deadline.view!.expectedDue) - Date.parse(s.deadline.view!.legalDue)) / DAY).toBe(29);

      await handle.executeUpdate(cancelUpdate, { args: [citizen] });
      await env.sleep(30 * DAY + 60_000);
      const result = await handle.result();
      expect(result.status).toBe('cancelled');
      expect(fake.types().at(-1)).toBe('closed');
    });
  });

  it('expires an unpaid case at the payment deadline', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const handle = await file(tq, service({ fee: { base: 350 }, paymentTermDays: 10 }));
      const s = await state(handle);
      expect(s.status).toBe('awaiting_payment');
      expect(s.deadline.clock).toBeNull();
      await env.sleep(9 * DAY);
      expect((await state(handle)).status).toBe('awaiting_payment');
      await env.sleep(DAY + 60_000);
      expect((await handle.result()).status).toBe('expired');
      expect(fake.entries().find((e) => e.type === 'expired')?.data).toEqual({ reason: 'payment_overdue' });
    });
  });

  it('starts the clock on payment and reissues the invoice after a fee-relevant edit', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const svc = service({ fee: { base: 500, byField: { field: 'urgency', amounts: { urgent: 1500 } } } });
      const handle = await file(tq, svc, { urgency: 'normal' });
      expect((await state(handle)).fee.invoice).toMatchObject({ amount: 500 });
      await handle.executeUpdate(editUpdate, { args: [{ form: { urgency: 'urgent' }, documents: [] }, citizen] });
      const invoice = (await state(handle)).fee.invoice!;
      expect(invoice).toMatchObject({ amount: 1500 });
      expect(invoice.id).toMatch(/-F2$/);

      // A payment against the superseded invoice is recorded, not applied.
      await handle.signal(paymentSignal, { invoiceId: invoice.id.replace(/F2$/, 'F1'), amount: 500, transactionId: 't-old', paidAt: new Date().toISOString() });
      await handle.signal(paymentSignal, { invoiceId: invoice.id, amount: 1500, transactionId: 't-1', paidAt: new Date().toISOString() });
      await handle.signal(paymentSignal, { invoiceId: invoice.id, amount: 1500, transactionId: 't-1', paidAt: new Date().toISOString() });
      await expect.poll(async () => (await state(handle)).fee.transactions.length).toBe(2);
      const s = await state(handle);
      expect(s.status).toBe('submitted');
      expect(s.fee).toMatchObject({ amount: 1500, paid: 1500, invoice: null });
      expect(s.deadline.clock).not.toBeNull();
      // Signals project asynchronously: no caller waits for them.
      await expect.poll(() => fake.types().filter((t) => t === 'paid')).toHaveLength(1);
      expect(fake.types().filter((t) => t === 'payment_not_applied')).toHaveLength(1);
    });
  });

  it('approves, issues the result and completes', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const { handle, version } = await claimed(tq);
      await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'ok' }, reviewer(version)] });
      const result = await handle.result();
      expect(result.status).toBe('completed');
      expect((await state(handle)).result?.verificationCode).toBe('TEST-CODE-0001');
      expect(fake.types()).toEqual(expect.arrayContaining(['approved', 'result_issued']));
    });
  });

  it('refuses invalid actions in validators, leaving no trace in history', async () => {
    const fake = fakeActivities();
    await withWorker(env, fake.activities, async (tq) => {
      const { handle, version } = await claimed(tq);
      expect(await refusal(handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: '' }, reviewer(version, 'reviewer-2')] }))).toBe(
        FailureType.Forbidden,
      );
      expect(await refusal(handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: '' }, reviewer(version - 1)] }))).toBe(
        FailureType.StaleVersion,
      );
      expect(await refusal(handle.executeUpdate(decideUpdate, { args: [{ outcome: 'reject', comment: '' }, reviewer(version)] }))).toBe(
        FailureType.Invalid,
      );
      expect(await refusal(handle.executeUpdate(editUpdate, { args: [{ form: {}, documents: [] }, citizen] }))).toBe(FailureType.InvalidState);
      const strict = await file(tq, service({ partialEditAllowed: false }));
      expect(await refusal(strict.executeUpdate(editUpdate, { args: [{ form: {}, documents: [] }, citizen] }))).toBe(FailureType.InvalidState);

      const history = await handle.fetchHistory();
      const accepted = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      // Only the registration and the claim were ever accepted.
      expect(accepted).toHaveLength(2);
      expect((await state(handle)).journal.version).toBe(version);
    });
  });
});
