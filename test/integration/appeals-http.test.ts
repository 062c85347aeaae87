/**
 * Appeals over HTTP on the real stack (Postgres, worker, Fastify): the dev server for the
 * flows that need no waiting, the time-skipping test server for those that cross the
 * 30-day window and a processing deadline.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';
import { dayOf, dayToDate, startOfDay } from '../../core/deadline-clock';
import type { Principal } from '../../core/principal';
import { CaseSearchAttributes } from '../../workflows/machinery/search-attributes';
import { HOUR } from '../support/case-workflows';
import { recordHistory } from '../support/histories';
import { detail, eventually, file, get, officially, post, rejectedCase, timelineOf } from '../support/http';
import { alice, bob, erik, rita, rob } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';
import { createTimeSkippingEnv } from '../support/temporal';

/** The reviewer who rejected the application, also sitting as an appeal expert. */
const ritaAsExpert: Principal = { id: rita.id, role: 'expert' };

const PDF = (n: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(1000 + n, 0x20), Buffer.from('\n%%EOF\n')]);

const appeal = (stack: Stack, number: string, payload: Record<string, unknown> = {}) =>
  post(stack, alice, `/cases/${number}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены', ...payload });

describe('appeals over HTTP on the dev server', () => {
  let stack: Stack;
  const free = testService();
  const paid = testService({ fee: { base: 500 } });
  beforeAll(async () => {
    stack = await startStack();
    for (const s of [free, paid]) await stack.addService(s);
  });
  afterAll(async () => stack?.close());

  it('upheld: the rejection is overturned, its maker is refused, a different reviewer decides anew', async () => {
    const number = await rejectedCase(stack, free.code);
    const filed = await appeal(stack, number, { references: ['210-ФЗ ст. 11.1'] });
    expect(filed.statusCode, filed.body).toBe(201);
    const appealNumber = filed.json().number as string;
    expect(appealNumber).toMatch(/^J-\d{4}-\d{7}$/);
    expect(filed.headers.location).toBe(`/cases/${appealNumber}`);

    const contested = await detail(stack, alice, number);
    expect(contested.underAppeal).toBe(appealNumber);
    expect(contested.appeals).toMatchObject({ underAppeal: appealNumber, open: { number: appealNumber, ground: 'rejection' } });
    const a = await detail(stack, alice, appealNumber);
    expect(a).toMatchObject({
      kind: 'appeal',
      status: 'submitted',
      statusLabel: 'Жалоба получена',
      ground: 'rejection',
      references: ['210-ФЗ ст. 11.1'],
      contested: { number, ground: 'rejection', summary: 'Rejection: not_eligible', repeatOf: null },
    });
    expect(a.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const sa = (await stack.client.workflow.getHandle(caseWorkflowId(appealNumber)).describe()).typedSearchAttributes;
    expect([sa.get(CaseSearchAttributes.kind), sa.get(CaseSearchAttributes.contested), sa.get(CaseSearchAttributes.status)]).toEqual([
      'appeal',
      number,
      'submitted',
    ]);

    // The expert queue lists it; the contested case is readable by experts now, others' cases are not.
    const queue = await get(stack, erik, '/queue?assignee=unassigned');
    expect(queue.json().items.map((c: { number: string }) => c.number)).toContain(appealNumber);
    expect((await get(stack, erik, `/cases/${number}`)).statusCode).toBe(200);
    expect((await get(stack, erik, `/cases/${(await file(stack, alice, free.code)).number}`)).statusCode).toBe(404);

    // The official who made the contested decision may not examine the appeal.
    const refused = await post(stack, ritaAsExpert, `/cases/${appealNumber}/claim`, { version: a.version });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().detail).toContain('they made the contested decision');
    // Reviewers do not decide appeals; experts do not decide applications.
    expect((await post(stack, rob, `/cases/${appealNumber}/claim`, { version: a.version })).statusCode).toBe(404);

    await officially(stack, erik, appealNumber, 'claim');
    const noRemedy = await post(stack, erik, `/cases/${appealNumber}/appeal-decision`, {
      version: (await detail(stack, erik, appealNumber)).version,
      outcome: 'upheld',
      reasons: 'Отказ необоснован',
    });
    expect(noRemedy.statusCode).toBe(400);
    const upheld = await officially(stack, erik, appealNumber, 'appeal-decision', { outcome: 'upheld', reasons: 'Отказ необоснован', remedy: 'reopen' });
    expect(upheld.status).toBe('upheld');

    const reopened = await eventually(stack, alice, number, (d) => d.status === 'reopened');
    expect(reopened).toMatchObject({ statusLabel: 'Пересматривается по жалобе', underAppeal: null, decision: null, assigneeId: null, closedAt: null });
    expect(reopened.previousDecisions).toEqual([expect.objectContaining({ outcome: 'rejected', decidedBy: rita.id, overturnedBy: appealNumber })]);
    expect(reopened.appeals.history).toEqual([expect.objectContaining({ number: appealNumber, outcome: 'upheld', remedy: 'reopen' })]);
    const timeline = (await timelineOf(stack, alice, number)).map((e: { type: string }) => e.type);
    expect(timeline).toEqual(expect.arrayContaining(['rejected', 'appeal_filed', 'appeal_upheld', 'reopened']));
    expect(timeline.indexOf('appeal_filed')).toBeGreaterThan(timeline.indexOf('rejected'));

    // The reviewer whose decision fell may not review again; another one decides.
    const again = await post(stack, rita, `/cases/${number}/claim`, { version: reopened.version });
    expect(again.statusCode).toBe(403);
    expect(again.json().detail).toContain(`overturned on appeal ${appealNumber}`);
    expect((await get(stack, rob, '/queue?status=reopened')).json().items.map((c: { number: string }) => c.number)).toContain(number);
    await officially(stack, rob, number, 'claim');
    await officially(stack, rob, number, 'decide', { outcome: 'approve', comment: 'Одобрено после жалобы' });
    const done = await eventually(stack, alice, number, (d) => d.status === 'completed');
    expect(done.decision).toMatchObject({ outcome: 'approved', decidedBy: rob.id });
    expect(done.result).toMatchObject({ verificationCode: expect.any(String) });

    const appealDetail = await detail(stack, alice, appealNumber);
    expect(appealDetail).toMatchObject({ status: 'upheld', closedAt: expect.any(String), decision: { outcome: 'upheld', remedy: 'reopen', decidedBy: erik.id } });
    const notices = await stack.database.sql`select type from notifications where recipient = ${alice.id} and case_number = ${appealNumber}`;
    expect(notices.map((n) => n.type)).toContain('appeal_result');
    await recordHistory(stack.client, number, 'application-appeal-upheld');
    await recordHistory(stack.client, appealNumber, 'appeal-upheld');
  });

  it('dismissed, then appealed again with new evidence: the chain is visible and the answer names the court', async () => {
    const number = await rejectedCase(stack, free.code);
    const first = await appeal(stack, number);
    expect(first.statusCode, first.body).toBe(201);
    const firstNumber = first.json().number as string;

    // One open appeal per decision.
    const second = await appeal(stack, number, { reasons: 'Ещё одна жалоба на то же' });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ openAppeal: firstNumber, code: 'InvalidState' });
    // Someone else's case: invisible.
    expect((await post(stack, bob, `/cases/${number}/appeals`, { ground: 'rejection', reasons: 'Чужая жалоба тут' })).statusCode).toBe(404);

    await officially(stack, erik, firstNumber, 'claim');
    await officially(stack, erik, firstNumber, 'appeal-decision', { outcome: 'dismissed', reasons: 'Доводы не подтверждены' });
    const dismissed = await detail(stack, alice, firstNumber);
    expect(dismissed).toMatchObject({ status: 'dismissed', statusLabel: 'В удовлетворении жалобы отказано' });
    expect(dismissed.decision.furtherRemedy).toMatch(/court/);
    expect(dismissed.decision.repeatAppealUntil).toBe(dayToDate(dayOf(dismissed.decision.decidedAt) + 30));
    const afterDismissal = await eventually(stack, alice, number, (d) => d.underAppeal === null);
    expect(afterDismissal.status).toBe('rejected');

    // A repeated appeal needs evidence not filed before.
    const sameEvidence = await appeal(stack, number);
    expect(sameEvidence.statusCode).toBe(400);
    expect(sameEvidence.json()).toMatchObject({ repeatOf: firstNumber });
    const uploaded = await stack.upload(alice, 'certificate', PDF(1), 'справка.pdf');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const strangers = await stack.upload(bob, 'certificate', PDF(2), 'чужая.pdf');
    const withForeign = await appeal(stack, number, { documents: [strangers.json().id] });
    expect(withForeign.statusCode).toBe(400);
    expect(withForeign.json().errors).toEqual([{ path: '/body/documents/0', message: 'no such document of yours' }]);

    const repeat = await appeal(stack, number, { documents: [uploaded.json().id], reasons: 'Прилагаю новую справку' });
    expect(repeat.statusCode, repeat.body).toBe(201);
    const repeatNumber = repeat.json().number as string;
    const r = await detail(stack, alice, repeatNumber);
    expect(r).toMatchObject({ repeatOf: firstNumber, contested: { number, repeatOf: firstNumber }, documents: [expect.objectContaining({ id: uploaded.json().id })] });
    const chain = await detail(stack, alice, number);
    expect(chain.appeals.history.map((x: { number: string; outcome: string }) => [x.number, x.outcome])).toEqual([[firstNumber, 'dismissed']]);
    expect(chain.appeals.open.number).toBe(repeatNumber);
    // The expert who dismissed the first appeal does not examine the repeat.
    const sameExpert = await post(stack, erik, `/cases/${repeatNumber}/claim`, { version: r.version });
    expect(sameExpert.statusCode).toBe(403);
    expect(sameExpert.json().detail).toContain(`they dismissed appeal ${firstNumber}`);
    const mine = (await get(stack, alice, '/cases')).json().items.map((c: { number: string }) => c.number);
    expect(mine).toEqual(expect.arrayContaining([number, firstNumber, repeatNumber]));

    // Withdrawn before the decision: the case is no longer under appeal.
    await officially(stack, alice, repeatNumber, 'withdraw');
    const withdrawn = await eventually(stack, alice, number, (d) => d.underAppeal === null);
    expect(withdrawn.appeals.history.map((x: { outcome: string }) => x.outcome)).toEqual(['dismissed', 'withdrawn']);
    expect((await post(stack, alice, `/cases/${repeatNumber}/withdraw`, {})).statusCode).toBe(409);
    // Within the window the case may be appealed again (with evidence of its own: the first was dismissed).
    const evidence = await stack.upload(alice, 'certificate', PDF(3), 'ещё-справка.pdf');
    const third = await appeal(stack, number, { documents: [evidence.json().id], reasons: 'Прилагаю ещё одну справку' });
    expect(third.statusCode, third.body).toBe(201);
    expect((await detail(stack, alice, number)).appeals.open.number).toBe(third.json().number);
  });

  it('corrects a wrong fee on appeal and orders the overpayment refunded', async () => {
    const { number } = await file(stack, alice, paid.code);
    const invoice = (await detail(stack, alice, number)).fee.invoice;
    const paidRes = await stack.signedPost('/payments/callback', stack.config.auth.paymentWebhookSecret, {
      invoiceId: invoice.id,
      amount: 500,
      transactionId: `tx-${number}`,
      paidAt: new Date().toISOString(),
    });
    expect(paidRes.statusCode, paidRes.body).toBeLessThan(300);
    await eventually(stack, alice, number, (d) => d.status === 'submitted');
    const filed = await appeal(stack, number, { ground: 'wrong_fee', reasons: 'Пошлина для этой услуги не взимается' });
    expect(filed.statusCode, filed.body).toBe(201);
    const appealNumber = filed.json().number as string;
    await officially(stack, erik, appealNumber, 'claim');
    const bad = await post(stack, erik, `/cases/${appealNumber}/appeal-decision`, {
      version: (await detail(stack, erik, appealNumber)).version,
      outcome: 'upheld',
      reasons: 'Пошлина взыскана неверно',
      remedy: 'reopen',
    });
    expect(bad.statusCode).toBe(400);
    await officially(stack, erik, appealNumber, 'appeal-decision', { outcome: 'upheld', reasons: 'Пошлина взыскана неверно', correctedFee: 0 });
    const corrected = await eventually(stack, alice, number, (d) => d.underAppeal === null);
    expect(corrected.fee).toMatchObject({ amount: 0, paid: 0 });
    const timeline = await timelineOf(stack, alice, number);
    expect(timeline.find((e: { type: string }) => e.type === 'refund_ordered')?.data).toEqual({ amount: 500 });
    expect(corrected.status).toBe('submitted');
  });

  it('refuses bad appeals with field paths and leaves nothing behind', async () => {
    const { number } = await file(stack, alice, free.code);
    const before = (await stack.database.sql`select count(*)::int as n from case_registry where kind = 'appeal'`)[0]!.n;
    const short = await appeal(stack, number, { reasons: 'нет' });
    expect(short.statusCode).toBe(400);
    expect(short.json().errors[0].path).toBe('/body/reasons');
    // Postgres cannot hold NUL even as a query parameter: a 400, not a failed query.
    const nul = await get(stack, erik, '/queue?service=a%00b');
    expect(nul.statusCode).toBe(400);
    expect(nul.json().errors).toEqual([{ path: '/querystring', message: 'contains \\u0000' }]);
    const ground = await appeal(stack, number, { ground: 'bad_mood' });
    expect(ground.json().errors[0].path).toBe('/body/ground');
    // Nothing decided yet: nothing to appeal.
    const undecided = await appeal(stack, number);
    expect(undecided.statusCode).toBe(409);
    expect(undecided.json().detail).toContain('only a rejection');
    const breach = await appeal(stack, number, { ground: 'deadline_breach' });
    expect(breach.json().detail).toContain('has not been breached');
    expect((await stack.database.sql`select count(*)::int as n from case_registry where kind = 'appeal'`)[0]!.n).toBe(before);
    // An appeal is not itself appealed: the repeated appeal goes against the original case.
    const r = await rejectedCase(stack, free.code);
    const a = (await appeal(stack, r)).json().number as string;
    expect((await post(stack, alice, `/cases/${a}/appeals`, { ground: 'rejection', reasons: 'Жалоба на жалобу' })).statusCode).toBe(409);
  });
});

describe('appeals over HTTP on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const free = testService({ term: { days: 15, unit: 'calendar' } });
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    stack = await startStack({ timeSkipping: env });
    await stack.addService(free);
  });
  afterAll(async () => {
    await stack?.close();
    await env?.teardown();
  });

  /** Skips the server's clock to 10:00 Moscow time `days` after day `day`. */
  const skipToDay = async (day: number) => {
    const target = Date.parse(startOfDay(day)) + 10 * HOUR;
    await env.sleep(target - (await env.currentTimeMs()));
  };
  const today = async () => dayOf(await env.currentTimeMs());

  it('accepts an appeal on day 29 after the decision and refuses one on day 31 with the date the period closed', async () => {
    const d = (await today()) + 1;
    await skipToDay(d);
    const onTime = await rejectedCase(stack, free.code);
    const late = await rejectedCase(stack, free.code);
    await skipToDay(d + 29);
    const accepted = await appeal(stack, onTime);
    expect(accepted.statusCode, accepted.body).toBe(201);
    await skipToDay(d + 31);
    const refused = await appeal(stack, late);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ appealClosedOn: dayToDate(d + 30), detail: `the period to appeal closed on ${dayToDate(d + 30)}` });
    expect((await detail(stack, alice, late)).appeals.lastDays.rejection).toBe(dayToDate(d + 30));
  });

  it('appeals a breach of the processing deadline: the late reviewer loses the case, another decides', async () => {
    const d = (await today()) + 1;
    await skipToDay(d);
    const { number } = await file(stack, alice, free.code);
    await officially(stack, rita, number, 'claim');
    // Nothing to appeal while the deadline holds.
    expect((await appeal(stack, number, { ground: 'deadline_breach' })).statusCode).toBe(409);
    await skipToDay(d + 16);
    const late = await detail(stack, alice, number);
    expect(late).toMatchObject({ overdue: true, status: 'in_review' });
    expect(late.deadline.appealUntil).toBe(dayToDate(d + 16 + 30));

    const filed = await appeal(stack, number, { ground: 'deadline_breach', reasons: 'Срок рассмотрения нарушен на сутки' });
    expect(filed.statusCode, filed.body).toBe(201);
    const appealNumber = filed.json().number as string;
    // The reviewer who had the case when the deadline passed may not examine the appeal.
    expect((await post(stack, ritaAsExpert, `/cases/${appealNumber}/claim`, { version: 1 })).statusCode).toBe(403);
    await officially(stack, erik, appealNumber, 'claim');
    await officially(stack, erik, appealNumber, 'appeal-decision', { outcome: 'upheld', reasons: 'Срок нарушен' });

    const expedited = await eventually(stack, alice, number, (x) => x.status === 'reopened');
    expect(expedited).toMatchObject({ assigneeId: null, underAppeal: null });
    const timeline = (await timelineOf(stack, alice, number)).map((e: { type: string }) => e.type);
    expect(timeline).toEqual(expect.arrayContaining(['deadline_breached', 'appeal_filed', 'appeal_upheld', 'expedited']));
    expect((await post(stack, rita, `/cases/${number}/claim`, { version: expedited.version })).statusCode).toBe(403);
    await officially(stack, rob, number, 'claim');
    await officially(stack, rob, number, 'decide', { outcome: 'approve', comment: 'Одобрено' });
    await eventually(stack, alice, number, (x) => x.status === 'completed');
  });
});
