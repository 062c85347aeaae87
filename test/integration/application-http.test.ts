import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastAppealDay } from '../../core/appeal-window';
import { caseWorkflowId } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { CaseSearchAttributes } from '../../workflows/machinery/search-attributes';
import { recordHistory } from '../support/histories';
import { act, detail, file, get, post, rejectedCase, timelineOf } from '../support/http';
import { alice, bob, fedor, rita, rob } from '../support/personas';
import { testFormSchema } from '../support/fixtures';
import { quietRun, timersOf } from '../support/run-history';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
const free = testService();
const paid = testService({ fee: { base: 500, byField: { field: 'urgency', amounts: { urgent: 1500 } } } });
const strict = testService({ partialEditAllowed: false });
/** 500 RUB, waived for a disabled applicant. */
const exemptable = testService({
  fee: { base: 500, byField: { field: 'benefit', amounts: { disabled: 0 } } },
  formSchema: testFormSchema({ benefit: { type: 'string', enum: ['none', 'disabled'] } }),
});

beforeAll(async () => {
  stack = await startStack();
  for (const s of [free, paid, strict, exemptable]) await stack.addService(s);
});
afterAll(async () => stack?.close());

describe('application over HTTP', () => {
  it('walks file → claim → request info → answer → approve → completed, each change visible at once', async () => {
    const filed = await file(stack, alice, free.code);
    expect(filed.status).toBe('submitted');
    let d = await detail(stack, alice, filed.number);
    expect(d).toMatchObject({ status: 'submitted', statusLabel: 'Получено', version: filed.version });
    expect(d.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const queue = await get(stack, rita, '/queue?assignee=unassigned');
    expect(queue.json().items.map((c: { number: string }) => c.number)).toContain(filed.number);

    const claim = await act(stack, rita, filed.number, 'claim', { version: d.version });
    expect(claim.statusCode, claim.body).toBe(200);
    d = await detail(stack, alice, filed.number);
    expect(d).toMatchObject({ status: 'in_review', assigneeId: rita.id });

    const ask = await act(stack, rita, filed.number, 'request-info', { version: d.version, message: 'Приложите скан', dueDays: 10 });
    expect(ask.statusCode, ask.body).toBe(200);
    d = await detail(stack, alice, filed.number);
    expect(d.status).toBe('awaiting_info');
    expect(d.deadline.paused).toBe(true);
    expect(d.infoRequest.message).toBe('Приложите скан');

    const answer = await act(stack, alice, filed.number, 'answer', { comment: 'Прикладываю', documents: [] });
    expect(answer.statusCode, answer.body).toBe(200);
    d = await detail(stack, rita, filed.number);
    expect(d.status).toBe('in_review');
    expect(d.deadline.paused).toBe(false);

    const approve = await act(stack, rita, filed.number, 'decide', { version: d.version, outcome: 'approve', comment: 'ok' });
    expect(approve.statusCode, approve.body).toBe(200);
    await expect.poll(async () => (await detail(stack, alice, filed.number)).status, { timeout: 15_000 }).toBe('completed');
    d = await detail(stack, alice, filed.number);
    expect(d.result.verificationCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const timeline = await timelineOf(stack, alice, filed.number);
    const types = timeline.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['submitted', 'claimed', 'information_requested', 'information_provided', 'approved', 'result_issued']));
    const seqs = timeline.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Client addresses are admin-only access-journal data.
    expect(timeline.every((e: { clientAddress: string | null }) => e.clientAddress === null)).toBe(true);

    const description = await stack.client.workflow.getHandle(caseWorkflowId(filed.number)).describe();
    expect(description.typedSearchAttributes.get(CaseSearchAttributes.status)).toBe('completed');
    expect(description.typedSearchAttributes.get(CaseSearchAttributes.applicant)).toBe(alice.id);
    expect(description.typedSearchAttributes.get(CaseSearchAttributes.kind)).toBe('application');
    expect(description.memo?.number).toBe(filed.number);
    await recordHistory(stack.client, filed.number, 'application-approved');
    // Written by the projection as a local activity (patch projection-local-activity).
    await recordHistory(stack.client, filed.number, 'application-approved-projected-locally');
    // Filed with the API's filedAt, its first version written by the API ahead of the workflow.
    await recordHistory(stack.client, filed.number, 'application-approved-filed-ahead');
    // Completed, the case's workflow stays open until the appeal period ends.
    expect((await stack.client.workflow.getHandle(caseWorkflowId(filed.number)).describe()).status.name).toBe('RUNNING');
    expect(d.decision.appealUntil).toBe(lastAppealDay(d.decision.decidedAt));
    await recordHistory(stack.client, filed.number, 'application-completed-awaiting-appeal-window');
  });

  it('keeps the deadline timer through an action that leaves the deadline where it was, and moves it with one that stops the clock', async () => {
    const { number } = await file(stack, alice, free.code);
    const timers = async () => {
      const runId = await quietRun(stack.client, number);
      return timersOf((await stack.client.workflow.getHandle(caseWorkflowId(number), runId).fetchHistory()).events ?? []);
    };
    const filed = await timers();
    expect(filed.filter((t) => t.pending)).toHaveLength(1);

    // A claim moves no deadline: the same timer runs on, none cancelled and none started.
    expect((await act(stack, rita, number, 'claim', { version: (await detail(stack, rita, number)).version })).statusCode).toBe(200);
    expect(await timers()).toEqual(filed);

    // A request for information stops the processing clock: its timer goes, the citizen's reminder's comes.
    const asked = await act(stack, rita, number, 'request-info', { version: (await detail(stack, rita, number)).version, message: 'Приложите скан', dueDays: 10 });
    expect(asked.statusCode, asked.body).toBe(200);
    const after = await timers();
    expect(after[0]).toEqual({ ...filed[0], pending: false });
    expect(after.filter((t) => t.pending)).toHaveLength(1);
    expect(after.find((t) => t.pending)!.at).not.toBe(filed[0]!.at);
    await recordHistory(stack.client, number, 'application-deadline-timer-kept');
  });

  it('lets exactly one of two racing reviewers win a claim, and one of two racing decisions', async () => {
    const { number } = await file(stack, alice, free.code);
    const v = (await detail(stack, rita, number)).version;
    const claims = await Promise.all([act(stack, rita, number, 'claim', { version: v }), act(stack, rob, number, 'claim', { version: v })]);
    expect(claims.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const winner = claims[0]!.statusCode === 200 ? rita : rob;

    const v2 = (await detail(stack, winner, number)).version;
    const decisions = await Promise.all([
      act(stack, winner, number, 'decide', { version: v2, outcome: 'approve', comment: 'a' }),
      act(stack, winner, number, 'decide', { version: v2, outcome: 'reject', reasonCode: 'not_eligible', comment: 'b' }),
    ]);
    expect(decisions.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const loser = decisions.find((r) => r.statusCode === 409)!;
    expect(loser.headers['content-type']).toContain('application/problem+json');
    const timeline = await timelineOf(stack, alice, number);
    expect(timeline.filter((e: { type: string }) => e.type === 'approved' || e.type === 'rejected')).toHaveLength(1);
    await recordHistory(stack.client, number, 'application-race');
  });

  it('refuses a stale version, a reviewer of another agency, and a reviewer deciding their own application', async () => {
    const { number } = await file(stack, alice, free.code);
    const stale = await act(stack, rita, number, 'claim', { version: 99 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'StaleVersion', currentVersion: expect.any(Number) });

    expect((await act(stack, fedor, number, 'claim', { version: 1 })).statusCode).toBe(404);

    const selfReviewer: Principal = { id: alice.id, role: 'reviewer', agency: 'mvd' };
    const own = await act(stack, selfReviewer, number, 'claim', { version: (await detail(stack, rita, number)).version });
    expect(own.statusCode).toBe(403);
    expect(own.json().detail).toMatch(/their own case/);
  });

  it('lets a supervisor assign and reassign, and refuses assignment by a bystander', async () => {
    const supervisor: Principal = { id: 'supervisor-1', role: 'reviewer', agency: 'mvd', supervisor: true };
    const { number } = await file(stack, alice, free.code);
    let v = (await detail(stack, rita, number)).version;
    const bystander = await act(stack, rob, number, 'assign', { version: v, assigneeId: rob.id });
    expect(bystander.statusCode).toBe(403);

    const assigned = await act(stack, supervisor, number, 'assign', { version: v, assigneeId: rita.id });
    expect(assigned.statusCode, assigned.body).toBe(200);
    let d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'in_review', assigneeId: rita.id });
    const mine = (await get(stack, rita, '/queue?assignee=me')).json();
    expect(mine.items.map((c: { number: string }) => c.number)).toContain(number);

    v = d.version;
    // The current assignee may hand the case over too.
    expect((await act(stack, rita, number, 'assign', { version: v, assigneeId: rob.id })).statusCode).toBe(200);
    d = await detail(stack, alice, number);
    expect(d.assigneeId).toBe(rob.id);
    expect((await act(stack, rita, number, 'decide', { version: d.version, outcome: 'approve', comment: '' })).statusCode).toBe(403);
    const types = (await timelineOf(stack, alice, number)).map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['assigned', 'reassigned']));
  });

  it('hides other citizens’ cases behind 404', async () => {
    const { number } = await file(stack, alice, free.code);
    expect((await get(stack, bob, `/cases/${number}`)).statusCode).toBe(404);
    expect((await get(stack, bob, `/cases/${number}/timeline`)).statusCode).toBe(404);
    expect((await act(stack, bob, number, 'cancel')).statusCode).toBe(404);
    const mine = (await get(stack, bob, '/cases')).json();
    expect(mine.items.map((c: { number: string }) => c.number)).not.toContain(number);
  });

  it('answers bad input with problem+json and field paths, never a 500', async () => {
    const bad = await post(stack, alice, '/cases', { serviceCode: free.code, form: { purpose: 'x', copies: 9, extra: true }, documents: [] });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const paths = bad.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/body/form/purpose', '/body/form/copies', '/body/form/extra']));

    const unknown = await post(stack, alice, '/cases', { serviceCode: 'nope', form: {}, documents: [] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].path).toBe('/body/serviceCode');

    const missing = await post(stack, alice, '/cases', { form: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/body/serviceCode', '/body/documents']));

    const notJson = await stack.call(alice, { method: 'POST', url: '/cases', payload: '{nope', headers: { 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
    const wrongType = await stack.call(alice, { method: 'POST', url: '/cases', payload: '<a/>', headers: { 'content-type': 'application/xml' } });
    expect(wrongType.statusCode).toBe(415);
    const tooLarge = await stack.call(alice, {
      method: 'POST',
      url: '/cases',
      payload: JSON.stringify({ serviceCode: free.code, form: { purpose: 'x'.repeat(2 * 1024 * 1024), copies: 1 }, documents: [] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(tooLarge.statusCode).toBe(413);

    expect((await get(stack, alice, '/cases/not-a-number')).statusCode).toBe(400);
    expect((await get(stack, undefined, '/cases')).statusCode).toBe(401);
    expect((await get(stack, alice, '/queue')).statusCode).toBe(403);
    const docIds = await post(stack, alice, '/cases', { serviceCode: free.code, form: { purpose: 'abc', copies: 1 }, documents: ['6f1c7a52-8a3c-4f5e-9a57-1b2c3d4e5f60'] });
    expect(docIds.statusCode).toBe(400);
    expect(docIds.json().errors[0].path).toBe('/body/documents/0');

    // Nothing half-made: none of the refused filings left a case behind.
    const count = await stack.database.sql`select count(*)::int as n from case_registry where applicant_id = ${alice.id}`;
    const cases = await stack.database.sql`select count(*)::int as n from cases where applicant_id = ${alice.id}`;
    expect(count[0]!.n).toBe(cases[0]!.n);
  });

  it('refuses actions that the current status does not allow, synchronously and without history', async () => {
    const { number } = await file(stack, alice, free.code);
    const answer = await act(stack, alice, number, 'answer', { comment: 'unasked' });
    expect(answer.statusCode, answer.body).toBe(409);
    expect(answer.json().code).toBe('InvalidState');
    const history = await stack.client.workflow.getHandle(caseWorkflowId(number)).fetchHistory();
    const accepted = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)).not.toContain('answerInfo');
  });

  it('edits before review, cancels, restores, and refuses edits where the service forbids them', async () => {
    const { number } = await file(stack, alice, free.code);
    const edit = await act(stack, alice, number, 'edit', { form: { purpose: 'для визы', copies: 2 }, documents: [] });
    expect(edit.statusCode, edit.body).toBe(200);
    let d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'resubmitted', form: { purpose: 'для визы', copies: 2 } });

    expect((await act(stack, alice, number, 'cancel')).statusCode).toBe(200);
    d = await detail(stack, alice, number);
    expect(d.status).toBe('cancelled');
    expect(d.cancellation.restoreUntil).toBeTruthy();
    expect((await act(stack, alice, number, 'restore')).statusCode).toBe(200);
    expect((await detail(stack, alice, number)).status).toBe('resubmitted');
    await recordHistory(stack.client, number, 'application-edit-cancel-restore');

    const strictCase = await file(stack, alice, strict.code);
    const refused = await act(stack, alice, strictCase.number, 'edit', { form: { purpose: 'иначе', copies: 1 }, documents: [] });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toMatch(/does not allow editing/);
  });

  it('issues an invoice, takes a signed payment callback, and reissues after a fee-relevant edit', async () => {
    const { number, status } = await file(stack, alice, paid.code, { purpose: 'для суда', copies: 1, urgency: 'normal' });
    expect(status).toBe('awaiting_payment');
    let d = await detail(stack, alice, number);
    expect(d.fee).toMatchObject({ amount: 500, paid: 0, invoice: { amount: 500 } });

    const edit = await act(stack, alice, number, 'edit', { form: { purpose: 'для суда', copies: 1, urgency: 'urgent' }, documents: [] });
    expect(edit.statusCode, edit.body).toBe(200);
    d = await detail(stack, alice, number);
    expect(d.fee).toMatchObject({ amount: 1500, invoice: { amount: 1500 } });
    const invoiceId = d.fee.invoice.id as string;
    expect(invoiceId).toMatch(/-F2$/);

    const body = { invoiceId, amount: 1500, transactionId: 'tx-1', paidAt: new Date().toISOString() };
    const unsigned = await stack.signedPost('/payments/callback', 'not-the-gateway-secret', body);
    expect(unsigned.statusCode).toBe(401);
    const signed = await stack.signedPost('/payments/callback', stack.config.auth.paymentWebhookSecret, body);
    expect(signed.statusCode, signed.body).toBe(202);
    await expect.poll(async () => (await detail(stack, alice, number)).status, { timeout: 15_000 }).toBe('submitted');
    d = await detail(stack, alice, number);
    expect(d.fee).toMatchObject({ paid: 1500, invoice: null });
    expect(d.legalDueDate).toBeTruthy();
    await recordHistory(stack.client, number, 'application-paid');
  });

  it('keeps a rejected application open until its appeal period ends', async () => {
    const number = await rejectedCase(stack, free.code);
    const d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'rejected', decision: { outcome: 'rejected', reasonCode: 'not_eligible', decidedBy: rita.id } });
    expect(d.decision.appealUntil).toBe(lastAppealDay(d.decision.decidedAt));
    expect(d.result).toBeNull();
    const description = await stack.client.workflow.getHandle(caseWorkflowId(number)).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(CaseSearchAttributes.status)).toBe('rejected');
    const types = (await timelineOf(stack, alice, number)).map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['submitted', 'claimed', 'rejected']));
    expect(types).not.toContain('appeal_period_ended');
    await recordHistory(stack.client, number, 'application-rejected-awaiting-appeal-window');
  });

  it('starts the processing clock when an edit makes an unpaid application free', async () => {
    const { number, status } = await file(stack, alice, exemptable.code, { purpose: 'для пенсии', copies: 1, benefit: 'none' });
    expect(status).toBe('awaiting_payment');
    let d = await detail(stack, alice, number);
    expect(d.fee).toMatchObject({ amount: 500, paid: 0, invoice: { amount: 500 } });
    expect(d.legalDueDate).toBeFalsy();

    const edit = await act(stack, alice, number, 'edit', { form: { purpose: 'для пенсии', copies: 1, benefit: 'disabled' }, documents: [] });
    expect(edit.statusCode, edit.body).toBe(200);
    d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'resubmitted', fee: { amount: 0, paid: 0, invoice: null } });
    // Nothing is owed: the processing deadline runs from the edit.
    expect(d.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(d.deadline.paused).toBe(false);
    const types = (await timelineOf(stack, alice, number)).map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['submitted', 'invoice_issued', 'edited', 'fee_changed']));
    // The dropped invoice takes no payment any more.
    const late = await stack.signedPost('/payments/callback', stack.config.auth.paymentWebhookSecret, {
      invoiceId: `${number}-F1`,
      amount: 500,
      transactionId: 'tx-late',
      paidAt: new Date().toISOString(),
    });
    expect(late.statusCode, late.body).toBe(202);
    await expect
      .poll(async () => (await stack.database.sql`select type from journal where case_number = ${number} and type = 'payment_not_applied'`).length, { timeout: 15_000 })
      .toBe(1);
    expect((await detail(stack, alice, number)).status).toBe('resubmitted');
    await recordHistory(stack.client, number, 'application-edit-settling-fee-free');
  });

  it('drops the extra invoice and runs the clock again when an edit brings the duty back to what was paid', async () => {
    const { number } = await file(stack, alice, paid.code, { purpose: 'для суда', copies: 1, urgency: 'normal' });
    const body = { invoiceId: `${number}-F1`, amount: 500, transactionId: 'tx-settle-1', paidAt: new Date().toISOString() };
    const signed = await stack.signedPost('/payments/callback', stack.config.auth.paymentWebhookSecret, body);
    expect(signed.statusCode, signed.body).toBe(202);
    await expect.poll(async () => (await detail(stack, alice, number)).status, { timeout: 15_000 }).toBe('submitted');

    const up = await act(stack, alice, number, 'edit', { form: { purpose: 'для суда', copies: 1, urgency: 'urgent' }, documents: [] });
    expect(up.statusCode, up.body).toBe(200);
    let d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'awaiting_payment', fee: { amount: 1500, paid: 500, invoice: { amount: 1000 } } });
    expect(d.deadline.paused).toBe(true);

    const back = await act(stack, alice, number, 'edit', { form: { purpose: 'для суда', copies: 1, urgency: 'normal' }, documents: [] });
    expect(back.statusCode, back.body).toBe(200);
    d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'resubmitted', fee: { amount: 500, paid: 500, invoice: null } });
    // Nothing is owed any more: the payment pause does not hold the clock.
    expect(d.deadline.paused).toBe(false);
    const types = (await timelineOf(stack, alice, number)).map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'fee_changed')).toHaveLength(2);
    expect(types.filter((t: string) => t === 'invoice_issued')).toHaveLength(2);
    expect(types).toContain('paid');
    await recordHistory(stack.client, number, 'application-edit-settling-fee-paid');
  });

  it('re-sends a rejected application once, as a new case linked to the old one', async () => {
    const number = await rejectedCase(stack, free.code, { reasonCode: 'incomplete_documents', comment: 'нет' });
    const rejected = await detail(stack, alice, number);
    expect(rejected.status).toBe('rejected');
    // The citizen sees the last day the decision can be appealed.
    expect(rejected.decision.appealUntil).toBe(lastAppealDay(rejected.decision.decidedAt));

    const resent = await act(stack, alice, number, 'resend');
    expect(resent.statusCode, resent.body).toBe(201);
    const newNumber = resent.json().number as string;
    const fresh = await detail(stack, alice, newNumber);
    expect(fresh).toMatchObject({ status: 'submitted', resentFrom: number, form: { purpose: 'для работы', copies: 1 } });
    expect((await detail(stack, alice, number)).resentAs).toBe(newNumber);
    const again = await act(stack, alice, number, 'resend');
    expect(again.statusCode).toBe(409);
    expect(again.json().resentAs).toBe(newNumber);
    // A closed workflow takes no more actions: a clear conflict, not a 500.
    expect((await act(stack, alice, number, 'cancel')).statusCode).toBe(409);
    await recordHistory(stack.client, number, 'application-rejected');
    await recordHistory(stack.client, newNumber, 'application-resent');
  });

  it('files idempotently with an Idempotency-Key: the retry gets the first answer again', async () => {
    const payload = { serviceCode: free.code, form: { purpose: 'повтор', copies: 1 }, documents: [] };
    const headers = { 'idempotency-key': 'key-0123456789' };
    const first = await stack.call(alice, { method: 'POST', url: '/cases', payload, headers });
    const second = await stack.call(alice, { method: 'POST', url: '/cases', payload, headers });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.json()).toEqual(first.json());
    // Read-your-writes: the answer is what the case shows.
    expect(await detail(stack, alice, first.json().number)).toMatchObject(first.json());
  });
});
