/**
 * Every kind of case continues as new before its history grows large, and goes on where it
 * was: the same state, its open request (an information request, a code, a buyer's
 * confirmation, a registry check, a challenge to sign) and the timer it waits on. The
 * server suggests continue-as-new after `limit.historyCount.suggestContinueAsNew` events;
 * this file runs its own dev server with that threshold lowered so that a few actions
 * cross it, then finishes each case on the run it continued as.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { addDays } from '../../core/deadline-clock';
import { caseWorkflowId, CITIZEN_REMINDER_DAYS_BEFORE } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { accounts } from '../../db/schema';
import { seedDemoVehicles } from '../../db/seed';
import { createSimulatedRegistry, type IdentityRegistry } from '../../identity/registry';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import type { AppealState } from '../../workflows/appeal';
import type { ApplicationState } from '../../workflows/application-case';
import { eptsChangeRegisteredUpdate, type EptsChangeState } from '../../workflows/epts-change';
import type { ConfirmedUpgradeState } from '../../workflows/identity-confirmed';
import type { ContactChangeState } from '../../workflows/identity-contact-change';
import type { RegistrationState } from '../../workflows/identity-registration';
import { upgradeRegisteredUpdate, type StandardUpgradeState } from '../../workflows/identity-standard';
import { createTestCa, issueTestCertificate, type TestCa, type TestCertificate } from '../support/certificates';
import { LADA, SOLARIS } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { act, detail, eventually, file, get, lastCode, ok, officially, passportVersion, post, rejectedCase, requestChange, timelineOf } from '../support/http';
import { alice, bob, erik, igor, inna, rita } from '../support/personas';
import { quietRun, runsOf, timersOf, type Run } from '../support/run-history';
import { startStack, testService, type Stack } from '../support/stack';

const SUGGEST_AFTER_EVENTS = 100;
/**
 * No run of a case is longer than this. Past the threshold a run hands over once the
 * action that crossed it has settled (its projection, its messages, its answer): that
 * action's events and the hand-over's come on top, 21 at most measured here.
 */
const MAX_EVENTS_PER_RUN = SUGGEST_AFTER_EVENTS + 40;
/** Wrong codes a contact change takes here before it locks (the most the configuration allows). */
const MAX_ATTEMPTS = 10;

const eva: Principal = { id: 'eva', role: 'expert' };
/** The registries take their time over this person: their answer comes when the test lets it. */
const HELD_SNILS = '11223344595';
const SIGNER_SNILS = '56789012343';

let server: DevServer;
let stack: Stack;
let ca: TestCa;
let aliceCert: TestCertificate;
let bobCert: TestCertificate;
const free = testService();
let releaseRegistries!: () => void;
const registriesReleased = new Promise<void>((resolve) => (releaseRegistries = resolve));
const simulated = createSimulatedRegistry({ latencyMs: 5, failureRate: 0 });
const registry: IdentityRegistry = {
  async verify(query) {
    if (query.snils.replace(/\D/g, '') === HELD_SNILS) await registriesReleased;
    return simulated.verify(query);
  },
};
/** Events per run of each case, for the report line. */
const measured: string[] = [];

beforeAll(async () => {
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    port: 19233 + (process.pid % 1000),
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AFTER_EVENTS },
  });
  ca = await createTestCa();
  aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344596' });
  bobCert = await issueTestCertificate(ca, { name: 'Борис', snils: '11223344597' });
  stack = await startStack({ temporalAddress: server.address, registry, trust: { caPem: ca.pem }, env: { OTP_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
  await stack.addService(free);
  await seedDemoVehicles(stack.database.db);
  for (const [who, cert] of [[alice, aliceCert], [bob, bobCert]] as const) ok(await post(stack, who, '/certificates', { certificatePem: cert.pem }));
});
afterAll(async () => {
  // A registry check still waiting would hold the worker's shutdown.
  releaseRegistries();
  if (measured.length) console.info(`continue-as-new: threshold ${SUGGEST_AFTER_EVENTS}, bound ${MAX_EVENTS_PER_RUN} events per run; ${measured.join('; ')}`);
  await stack?.close();
  await server?.stop();
});

/**
 * Repeats `step` (one action each) until the case has continued as new. Between steps the
 * run settles, so no step lands in the next run: the hand-over happens with nothing in
 * flight, and the run continued as holds exactly the state the first one ended with.
 */
async function crossBoundary(number: string, step: (round: number) => Promise<unknown>, opts: { maxSteps?: number; except?: string[] } = {}) {
  const firstRunId = await quietRun(stack.client, number, opts.except);
  let steps = 0;
  for (let runId = firstRunId; runId === firstRunId; runId = await quietRun(stack.client, number, opts.except)) {
    expect(steps, `${number} never continued as new`).toBeLessThan(opts.maxSteps ?? 30);
    await step(++steps);
  }
  return { firstRunId, steps };
}

/**
 * The hand-over kept everything: the first run ended continued as new past the threshold,
 * the next run holds the state the first one ended with (queried from each run), and waits
 * on the timer that state calls for (`nextTimer`: the instant the kind's own rules derive
 * from it); no other timer is pending. Answers that state.
 */
async function expectCarriedOver<S>(number: string, firstRunId: string, nextTimer: (handedOver: S) => string): Promise<S> {
  const runs = await runsOf(stack.client, number, firstRunId);
  expect(runs).toHaveLength(2);
  const [first, next] = runs as [Run, Run];
  expect(first.events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId, 'the case had continued as new before the test drove it').toBeFalsy();
  expect(first.continuedAs).toBe(next.runId);
  expect(first.events.length).toBeGreaterThan(SUGGEST_AFTER_EVENTS);
  expect(first.events.length).toBeLessThanOrEqual(MAX_EVENTS_PER_RUN);

  const workflowId = caseWorkflowId(number);
  const handedOver = await stack.client.workflow.getHandle(workflowId, firstRunId).query<S>('state');
  expect(await stack.client.workflow.getHandle(workflowId).query<S>('state')).toEqual(handedOver);
  expect(timersOf(next.events).filter((t) => t.pending).map((t) => t.at)).toEqual([nextTimer(handedOver)]);
  return handedOver;
}

/** After the case ended: every run under the bound; records the runs for the replay corpus. */
async function expectBoundedRuns(number: string, firstRunId: string, name: string): Promise<void> {
  const runs = await runsOf(stack.client, number, firstRunId);
  for (const run of runs) expect(run.events.length).toBeLessThanOrEqual(MAX_EVENTS_PER_RUN);
  measured.push(`${name} ${runs.map((r) => r.events.length).join(' + ')}`);
  await recordHistory(stack.client, number, `${name}-continued-as-new-first-run`, { runId: firstRunId });
  await recordHistory(stack.client, number, `${name}-continued-as-new-resumed`);
}

/** The read model's due instants and the detail fields that describe what the case waits for, as `who` reads them. */
async function dues(who: Principal, number: string, fields: string[]) {
  const d = await detail(stack, who, number);
  const [row] = await stack.database.sql`select due_at from cases where number = ${number}`;
  const due = { dueAt: row!.due_at ? new Date(row!.due_at).toISOString() : null, legalDueDate: d.legalDueDate, expectedDueDate: d.expectedDueDate };
  return Object.assign(due, Object.fromEntries(fields.map((f) => [f, d[f]])));
}

/** The first reminder of a citizen's deadline: the timer a case waits on while the citizen has to act. */
const firstReminder = (dueAt: string) => addDays(dueAt, -Math.max(...CITIZEN_REMINDER_DAYS_BEFORE));

/** An active account, as a finished registration (and upgrades) leave it. */
async function citizen(level: 'simplified' | 'standard', snils: string | null = null): Promise<Principal & { email: string; phone: string }> {
  const id = `citizen-${randomBytes(4).toString('hex')}`;
  const email = `${id}@example.ru`;
  const phone = `+7912${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  await stack.database.db.insert(accounts).values({ id, name: 'Гражданин Тестовый', email, phone, passwordHash: 'x', status: 'active', level, snils });
  return { id, role: 'citizen', level, email, phone };
}

/**
 * The first official claims alice's case and asks her for more; while she owes the answer
 * the two pass the case between them until it continues as new. The request, its due date
 * and reminders, and the paused deadline go over with it. Answers who holds the case then.
 */
async function passedAroundAwaitingInfo<S extends { infoRequest: { dueAt: string } | null }>(number: string, officials: [Principal, Principal]) {
  await officially(stack, officials[0], number, 'claim');
  await officially(stack, officials[0], number, 'request-info', { message: 'Приложите недостающий документ', dueDays: 10 });
  const open = ['infoRequest', 'deadline'];
  const before = await dues(alice, number, open);
  const { firstRunId, steps } = await crossBoundary(number, (round) =>
    officially(stack, officials[(round - 1) % 2]!, number, 'assign', { assigneeId: officials[round % 2]!.id }),
  );
  await expectCarriedOver<S>(number, firstRunId, (s) => firstReminder(s.infoRequest!.dueAt));
  expect(await dues(alice, number, open)).toEqual(before);
  const holder = officials[steps % 2]!;
  expect(await detail(stack, alice, number)).toMatchObject({ status: 'awaiting_info', assigneeId: holder.id });
  return { firstRunId, holder };
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('cases that reviewers decide', () => {
  it('an application asked and answered again and again continues as new, keeping its state, journal and deadline', async () => {
    const { number } = await file(stack, alice, free.code);
    await officially(stack, rita, number, 'claim');
    const { legalDueDate } = await detail(stack, alice, number);
    // Each round one action: a request, then its answer.
    const { firstRunId, steps } = await crossBoundary(number, async (round) => {
      const n = Math.ceil(round / 2);
      if (round % 2) await officially(stack, rita, number, 'request-info', { message: `Уточните, раз ${n}`, dueDays: 10 });
      else ok(await act(stack, alice, number, 'answer', { comment: `Ответ ${n}`, documents: [] }), 200);
    });
    const requests = Math.ceil(steps / 2);
    // Over the boundary with a request open, the case waits for its first reminder; else for its deadline's warning.
    await expectCarriedOver<ApplicationState>(number, firstRunId, (s) => (s.infoRequest ? firstReminder(s.infoRequest.dueAt) : s.deadline.view!.warnAt));
    const { infoRequest } = await detail(stack, alice, number);
    expect(Boolean(infoRequest)).toBe(steps % 2 === 1);
    if (infoRequest) ok(await act(stack, alice, number, 'answer', { comment: 'Последний ответ', documents: [] }), 200);
    // The processing deadline, paused and resumed on both runs, is the one the case had.
    expect((await detail(stack, alice, number)).legalDueDate).toBe(legalDueDate);

    let d = await detail(stack, alice, number);
    expect(d).toMatchObject({ status: 'in_review', assigneeId: rita.id });
    const approved = ok(await act(stack, rita, number, 'decide', { version: d.version, outcome: 'approve', comment: 'ok' }), 200);
    expect(approved.status).toMatch(/approved|completed/);
    await eventually(stack, alice, number, 'completed');
    d = await detail(stack, alice, number);
    expect(d.result.verificationCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const timeline = await timelineOf(stack, alice, number);
    const types = timeline.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'information_requested')).toHaveLength(requests);
    expect(types.filter((t: string) => t === 'information_provided')).toHaveLength(requests);
    expect(types).toEqual(expect.arrayContaining(['submitted', 'claimed', 'approved', 'result_issued']));
    const seqs = timeline.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    // Decided, the continued run stays open for the appeal period.
    expect((await stack.client.workflow.getHandle(caseWorkflowId(number)).describe()).status.name).toBe('RUNNING');
    await expectBoundedRuns(number, firstRunId, 'application-drained');
  });

  it('an appeal passed between experts while the appellant owes an answer continues as new, and is decided on the next run', async () => {
    const contested = await rejectedCase(stack, free.code);
    const filed = ok(await post(stack, alice, `/cases/${contested}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), 201);
    const number = filed.number as string;
    const { firstRunId, holder } = await passedAroundAwaitingInfo<AppealState>(number, [erik, eva]);
    ok(await act(stack, alice, number, 'answer', { comment: 'Решение приложено', documents: [] }), 200);
    const decided = await officially(stack, holder, number, 'appeal-decision', { outcome: 'dismissed', reasons: 'Оснований нет' });
    // The contested case heard the continued appeal's outcome and answered it.
    expect(decided).toMatchObject({ status: 'dismissed', contested: { number: contested, status: 'rejected' } });
    expect((await detail(stack, alice, contested)).appeals.history).toEqual([expect.objectContaining({ number, outcome: 'dismissed' })]);
    await expect.poll(async () => (await stack.client.workflow.getHandle(caseWorkflowId(number)).describe()).status.name, { timeout: 15_000 }).toBe('COMPLETED');
    await expectBoundedRuns(number, firstRunId, 'appeal');
  });

  it('a passport change passed between reviewers while the owner owes an answer continues as new, and is approved on the next run', async () => {
    const filed = await requestChange(stack, alice, LADA, { kind: 'technical', payload: { technical: { color: 'синий' } } }, aliceCert);
    expect(filed.statusCode, filed.body).toBe(201);
    const number = filed.json().number as string;
    const { firstRunId, holder } = await passedAroundAwaitingInfo<EptsChangeState>(number, [igor, inna]);
    ok(await act(stack, alice, number, 'answer', { comment: 'Заключение приложено', documents: [] }), 200);
    await officially(stack, holder, number, 'decide', { outcome: 'approve', comment: 'Проверено' });
    const done = await eventually(stack, alice, number, 'completed');
    expect(done.result).toMatchObject({ version: 2 });
    expect(await passportVersion(stack, alice, LADA)).toBe(2);
    await expect.poll(async () => (await stack.database.sql`select open_change from vehicles where vin = ${LADA}`)[0]!.open_change, { timeout: 15_000 }).toBeNull();
    await expectBoundedRuns(number, firstRunId, 'epts-change');
  });

  it("a sale waiting for the buyer continues as new on updates that change nothing, and the buyer's confirmation is still taken", async () => {
    const change = { kind: 'sale', payload: { buyerId: bob.id, contractDate: '2026-11-20' } };
    const filed = await requestChange(stack, alice, SOLARIS, change, aliceCert);
    expect(filed.statusCode, filed.body).toBe(201);
    const number = filed.json().number as string;
    const open = ['buyer'];
    const before = await dues(alice, number, open);
    // Waiting for the buyer, a sale takes no action that commits; what lengthens its history
    // is what commits nothing: here its `registered` update (the one every filing waits on).
    const handle = stack.client.workflow.getHandle(caseWorkflowId(number));
    const { firstRunId } = await crossBoundary(number, () => handle.executeUpdate(eptsChangeRegisteredUpdate));
    await expectCarriedOver<EptsChangeState>(number, firstRunId, (s) => firstReminder(s.buyer!.dueAt));
    expect(await dues(alice, number, open)).toEqual(before);
    expect((await detail(stack, bob, number)).status).toBe('awaiting_buyer');

    const form = ok(await post(stack, alice, `/vehicles/${SOLARIS}/signing-form`, { ...change, basedOnVersion: 1 }));
    const signature = (await bobCert.sign(Buffer.from(form.base64, 'base64'))).toString('base64');
    expect(ok(await post(stack, bob, `/cases/${number}/confirm-sale`, { signature }), 200).status).toBe('submitted');
    await officially(stack, igor, number, 'claim');
    await officially(stack, igor, number, 'decide', { outcome: 'approve', comment: 'Проверено' });
    await eventually(stack, alice, number, 'completed');
    expect(ok(await get(stack, bob, '/vehicles')).items.map((v: { vin: string }) => v.vin)).toContain(SOLARIS);
    await expectBoundedRuns(number, firstRunId, 'epts-sale');
  });
});

describe('identity cases', () => {
  it('a registration restarted again and again continues as new, and its last code still confirms it', async () => {
    const phone = '+79125558001';
    const { number, accountId } = ok(await post(stack, undefined, '/identity/registrations', { name: 'Ольга Долгая', phone, password: 'Secret123' }), 201);
    const who: Principal = { id: accountId, role: 'citizen', level: 'simplified' };
    const { firstRunId, steps } = await crossBoundary(number, async () => ok(await post(stack, undefined, `/identity/registrations/${number}/restart`, { accountId }), 200));
    const { code } = await expectCarriedOver<RegistrationState>(number, firstRunId, (s) => s.code!.expiresAt);
    // The read model shows the code the next run waits on.
    expect(await dues(who, number, ['codeExpiresAt'])).toMatchObject({ dueAt: code!.expiresAt, codeExpiresAt: code!.expiresAt });

    const entered = ok(await post(stack, undefined, `/identity/registrations/${number}/code`, { accountId, code: await lastCode(stack, phone) }), 200);
    expect(entered).toMatchObject({ status: 'confirmed', accepted: true });
    const d = await detail(stack, who, number);
    expect({ status: d.status, version: d.version }).toEqual({ status: 'confirmed', version: entered.version });
    const types = (await timelineOf(stack, who, number)).map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'code_sent')).toHaveLength(steps + 1);
    expect(types.at(-1)).toBe('code_accepted');
    await expectBoundedRuns(number, firstRunId, 'registration');
  });

  it('a standard upgrade waiting on slow registries continues as new on updates that change nothing, keeping its check and complaint deadline', async () => {
    const who = await citizen('simplified');
    const started = await post(stack, who, '/identity/upgrades/standard', {
      snils: '112-233-445 95',
      passportSeries: '45 06',
      passportNumber: '123456',
      birthDate: '1985-04-12',
      citizenship: 'RU',
    });
    expect(started.statusCode, started.body).toBe(202);
    const number = started.json().number as string;
    const open = ['checkLimitAt', 'complaintRightSince'];
    const before = await dues(who, number, open);
    // Nothing happens to a case waiting on the registries but updates that commit nothing.
    const handle = stack.client.workflow.getHandle(caseWorkflowId(number));
    const { firstRunId } = await crossBoundary(number, () => handle.executeUpdate(upgradeRegisteredUpdate), { except: ['checkRegistries'] });
    await expectCarriedOver<StandardUpgradeState>(number, firstRunId, (s) => s.limitAt);
    expect(await dues(who, number, open)).toEqual(before);
    expect(before.dueAt).toBe(before.checkLimitAt);
    // The next run asked the registries again; their answer finishes the case.
    expect((await handle.describe()).raw.pendingActivities?.map((a) => a.activityType?.name)).toEqual(['checkRegistries']);

    releaseRegistries();
    await eventually(stack, who, number, 'confirmed');
    const [account] = await stack.database.sql`select level from accounts where id = ${who.id}`;
    expect(account!.level).toBe('standard');
    await expectBoundedRuns(number, firstRunId, 'standard-upgrade');
  });

  it('a confirmation by signature refused again and again continues as new, and the challenge it carried over is still signed', async () => {
    const who = await citizen('standard', SIGNER_SNILS);
    const started = await post(stack, who, '/identity/upgrades/confirmed', { method: 'signature', place: 'qualified electronic signature' });
    expect(started.statusCode, started.body).toBe(202);
    const number = started.json().number as string;
    const open = ['challenge', 'expiresAt'];
    const before = await dues(who, number, open);
    const challenge = Buffer.from(before.challenge as string);
    const own = await issueTestCertificate(ca, { name: 'Гражданин Тестовый', snils: SIGNER_SNILS });
    const forger = await issueTestCertificate(ca, { name: 'Чужой', snils: '11223344598' });
    const submit = async (signature: Buffer) =>
      post(stack, who, `/identity/upgrades/confirmed/${number}/signature`, { certificatePem: own.pem, signature: signature.toString('base64') });

    const { firstRunId, steps } = await crossBoundary(number, async () => expect((await submit(await forger.sign(challenge))).statusCode).toBe(422));
    await expectCarriedOver<ConfirmedUpgradeState>(number, firstRunId, (s) => s.expiresAt);
    expect(await dues(who, number, open)).toEqual(before);

    expect(ok(await submit(await own.sign(challenge)), 200)).toMatchObject({ accepted: true, status: 'confirmed' });
    const types = (await timelineOf(stack, who, number)).map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'signature_rejected')).toHaveLength(steps);
    expect(types.at(-1)).toBe('level_granted');
    await expectBoundedRuns(number, firstRunId, 'confirmed-upgrade');
  });

  it('a contact change whose code is mistyped again and again continues as new, keeping the code, its expiry and the attempts used', async () => {
    const who = await citizen('standard');
    const newEmail = `new-${who.id}@example.ru`;
    const { number } = ok(await post(stack, who, '/me/contacts', { email: newEmail }), 201);
    const code = await lastCode(stack, newEmail);
    const { firstRunId, steps } = await crossBoundary(
      number,
      async () => expect((await post(stack, who, `/me/contacts/${number}/code`, { code: wrong(code) })).statusCode).toBe(422),
      { maxSteps: MAX_ATTEMPTS - 1 },
    );
    const { code: sent } = await expectCarriedOver<ContactChangeState>(number, firstRunId, (s) => s.code!.expiresAt);
    expect(sent!.attempts).toBe(steps);
    expect(await dues(who, number, ['codeExpiresAt', 'attemptsLeft'])).toMatchObject({
      dueAt: sent!.expiresAt,
      codeExpiresAt: sent!.expiresAt,
      attemptsLeft: MAX_ATTEMPTS - steps,
    });

    const good = ok(await post(stack, who, `/me/contacts/${number}/code`, { code }), 200);
    expect(good).toMatchObject({ status: 'confirmed', accepted: true, attemptsLeft: MAX_ATTEMPTS - steps, contacts: { email: newEmail } });
    await expectBoundedRuns(number, firstRunId, 'contact-change');
  });
});
