/**
 * What administrators do to cases over HTTP on the real stack (issue 12): an official's
 * open cases moved in a batch that reports each case, repeated under its key; a deadline
 * extended; a broken passport change closed and its vehicle freed; and a passport change
 * terminated in Temporal, which runs no case code, closed by the worker's sweep.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepTerminatedCases } from '../../cases/terminated-cases';
import type { Principal } from '../../core/principal';
import { seedDemoVehicles } from '../../db/seed';
import { createTestCa, issueTestCertificate, type TestCertificate } from '../support/certificates';
import { LADA, SOLARIS } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { detail, eventually, file, get, officially, ok, post, rejectedCase, requestChange, timelineOf } from '../support/http';
import { alice, erik, olga, rita, rob } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const admin: Principal = { id: 'root', role: 'admin' };
const service = testService({ agency: 'mvd' });
const PLATE = (plate: string) => ({ kind: 'plate', payload: { plate } });

let stack: Stack;
let aliceCert: TestCertificate;

const reassign = (body: Record<string, unknown>, key?: string, who: Principal = admin) =>
  stack.call(who, { method: 'POST', url: '/admin/reassignments', payload: body, headers: key ? { 'idempotency-key': key } : {} });

const openChange = async (vin: string) => (await stack.database.sql`select open_change from vehicles where vin = ${vin}`)[0]!.open_change as string | null;

beforeAll(async () => {
  const ca = await createTestCa();
  aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
  stack = await startStack({ trust: { caPem: ca.pem } });
  await stack.addService(service);
  await seedDemoVehicles(stack.database.db);
  ok(await post(stack, alice, '/certificates', { certificatePem: aliceCert.pem }), 201);
});
afterAll(async () => stack?.close());

describe('administrators act on cases over HTTP', () => {
  it('every acting admin route refuses every other role (403) and a caller without a token (401)', async () => {
    const { number } = await file(stack, alice, service.code);
    const acting = [
      { url: '/admin/reassignments', payload: { from: 'rita', to: 'rob', agency: 'mvd', reason: 'leave' } },
      { url: `/admin/cases/${number}/extend-deadline`, payload: { version: 1, days: 1, reason: 'late' } },
      { url: `/admin/cases/${number}/close`, payload: { version: 1, reason: 'broken' } },
    ];
    for (const { url, payload } of acting) {
      for (const who of [alice, rita, erik, olga]) {
        const res = await stack.call(who, { method: 'POST', url, payload });
        expect(res.statusCode, `${who.role} ${url}`).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      expect((await stack.call(undefined, { method: 'POST', url, payload })).statusCode, url).toBe(401);
    }
    expect((await detail(stack, admin, number)).version).toBe(1);
  });

  it("moves an official's open cases in bounded batches, each reported; a repeat under its key answers the same; a case closed meanwhile is refused", async () => {
    const filed = [];
    for (let i = 0; i < 3; i++) {
      const { number } = await file(stack, alice, service.code);
      await officially(stack, rita, number, 'claim');
      filed.push(number);
    }
    const [first, second, gone] = filed.sort();
    // Its workflow ended outside the API: the read model still shows it rita's.
    await stack.client.workflow.getHandle(`case-${gone}`).terminate('a broken case');
    const body = { from: 'rita', to: 'rob', agency: 'mvd', reason: 'rita is on leave', limit: 2 };

    expect((await reassign(body, undefined, rita)).statusCode).toBe(403);
    const noReason = await reassign({ ...body, reason: undefined });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ code: 'Invalid' });
    expect((await reassign({ ...body, reason: '   ' })).statusCode).toBe(400);

    const key = randomUUID();
    const batch = await reassign(body, key);
    expect(ok(batch, 200)).toEqual({
      from: 'rita',
      to: 'rob',
      agency: 'mvd',
      reassigned: 2,
      refused: 0,
      more: true,
      items: [
        { number: first, outcome: 'reassigned', status: 'in_review', version: 3 },
        { number: second, outcome: 'reassigned', status: 'in_review', version: 3 },
      ],
    });
    const again = await reassign(body, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(batch.body);

    const rest = ok(await reassign(body, randomUUID()), 200);
    expect(rest).toMatchObject({ reassigned: 0, refused: 1, more: false, items: [{ number: gone, outcome: 'refused', code: 'InvalidState' }] });

    for (const number of [first!, second!]) {
      expect(await detail(stack, rob, number)).toMatchObject({ assigneeId: 'rob', version: 3 });
      expect((await timelineOf(stack, admin, number)).at(-1)).toMatchObject({
        type: 'reassigned',
        actor: { id: 'root', role: 'admin' },
        data: { previousAssignee: 'rita', assigneeId: 'rob', reason: 'rita is on leave' },
      });
    }
    await recordHistory(stack.client, first!, 'application-reassigned-by-admin');
    // rob works them now.
    expect(ok(await get(stack, rob, '/queue?assignee=me'), 200).items.map((c: { number: string }) => c.number)).toEqual(expect.arrayContaining([first, second]));
  });

  it("extends a case's deadline with a reason; a stale version and a closed case are refused", async () => {
    const { number } = await file(stack, alice, service.code);
    const claimed = await officially(stack, rita, number, 'claim');
    const before = await detail(stack, admin, number);
    const url = `/admin/cases/${number}/extend-deadline`;
    expect((await post(stack, rita, url, { version: claimed.version, days: 3, reason: 'x' })).statusCode).toBe(403);
    expect((await post(stack, admin, url, { version: claimed.version, days: 3 })).statusCode).toBe(400);
    expect((await post(stack, admin, url, { version: claimed.version - 1, days: 3, reason: 'registry outage' })).statusCode).toBe(409);

    const extended = ok(await post(stack, admin, url, { version: claimed.version, days: 3, reason: 'registry outage' }), 200);
    expect(extended).toMatchObject({ number, status: 'in_review', version: claimed.version + 1 });
    const after = await detail(stack, admin, number);
    expect(after.version).toBe(extended.version);
    expect(after.expectedDueDate > before.expectedDueDate).toBe(true);
    expect((await timelineOf(stack, admin, number)).map((e) => e.type)).toEqual(expect.arrayContaining(['deadline_extended', 'deadline_changed']));

    const closed = ok(await post(stack, admin, `/admin/cases/${number}/close`, { version: extended.version, reason: 'duplicate' }), 200);
    expect(closed.status).toBe('closed');
    const late = await post(stack, admin, url, { version: closed.version, days: 3, reason: 'registry outage' });
    expect(late.statusCode).toBe(409);
    await recordHistory(stack.client, number, 'application-extended-then-closed-by-admin');
  });

  it("moves an appeal between experts at the experts' desk (no agency), and closes it: the contested case stops waiting for it", async () => {
    const contested = await rejectedCase(stack, service.code);
    const filed = await post(stack, alice, `/cases/${contested}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' });
    expect(filed.statusCode, filed.body).toBe(201);
    const appeal = filed.json().number as string;
    await officially(stack, erik, appeal, 'claim');

    // An mvd desk's move does not take an expert's appeal; the experts' desk's does.
    expect(ok(await reassign({ from: 'erik', to: 'ella', agency: 'mvd', reason: 'erik is ill' }), 200)).toMatchObject({ items: [] });
    const moved = ok(await reassign({ from: 'erik', to: 'ella', reason: 'erik is ill' }), 200);
    expect(moved).toMatchObject({ agency: null, reassigned: 1, items: [{ number: appeal, outcome: 'reassigned' }] });
    expect(await detail(stack, admin, appeal)).toMatchObject({ assigneeId: 'ella' });

    const { version } = await detail(stack, admin, appeal);
    const closed = ok(await post(stack, admin, `/admin/cases/${appeal}/close`, { version, reason: 'filed against the wrong decision' }), 200);
    expect(closed).toMatchObject({ number: appeal, status: 'closed', contested: { number: contested } });
    const after = await eventually(stack, alice, contested, (d) => (d.appeals as { open: unknown }).open === null);
    expect(after.status).toBe('rejected');
    // The contested case's journal says who ended the appeal: the administrator, not its appellant.
    expect((await timelineOf(stack, admin, contested)).filter((e) => e.type.startsWith('appeal_') && e.type !== 'appeal_filed')).toEqual([
      expect.objectContaining({ type: 'appeal_closed', actor: expect.objectContaining({ id: admin.id, role: 'admin' }), data: expect.objectContaining({ appeal }) }),
    ]);
  });

  it('closes an appeal cancelled in Temporal, and its contested case stops waiting for it', async () => {
    const contested = await rejectedCase(stack, service.code);
    const filed = await post(stack, alice, `/cases/${contested}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' });
    expect(filed.statusCode, filed.body).toBe(201);
    const appeal = filed.json().number as string;
    const handle = stack.client.workflow.getHandle(`case-${appeal}`);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow('Workflow execution cancelled');
    expect(await detail(stack, alice, appeal)).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
    expect((await timelineOf(stack, admin, appeal)).find((e) => e.type === 'cancelled_in_temporal')).toMatchObject({
      actor: { id: 'temporal', role: 'system' },
      data: { previousStatus: 'submitted' },
    });
    const after = await eventually(stack, alice, contested, (d) => (d.appeals as { open: unknown }).open === null);
    expect(after.status).toBe('rejected');
    expect((await timelineOf(stack, admin, contested)).filter((e) => e.type.startsWith('appeal_') && e.type !== 'appeal_filed')).toEqual([
      expect.objectContaining({ type: 'appeal_closed', actor: { id: 'temporal', role: 'system' }, data: expect.objectContaining({ appeal }) }),
    ]);
    await recordHistory(stack.client, appeal, 'appeal-cancelled-in-temporal');
  });

  it('closes a broken passport change: shown closed, journaled, and the vehicle takes a new change', async () => {
    const res = await requestChange(stack, alice, LADA, PLATE('a111aa 77'), aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const { number, version } = res.json();
    expect(await openChange(LADA)).toBe(number);
    expect((await post(stack, admin, `/admin/cases/${number}/close`, { version })).statusCode).toBe(400);

    const closed = ok(await post(stack, admin, `/admin/cases/${number}/close`, { version, reason: 'the signature service double-filed it' }), 200);
    expect(closed).toMatchObject({ number, status: 'closed' });
    expect(await detail(stack, alice, number)).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
    expect(await openChange(LADA)).toBeNull();
    expect((await timelineOf(stack, admin, number)).find((e) => e.type === 'closed_by_admin')).toMatchObject({
      actor: { id: 'root', role: 'admin' },
      data: { reason: 'the signature service double-filed it', previousStatus: 'submitted' },
    });
    expect((await post(stack, admin, `/admin/cases/${number}/close`, { version: closed.version, reason: 'again' })).statusCode).toBe(409);
    await recordHistory(stack.client, number, 'epts-change-closed-by-admin');

    // Cancelled in Temporal (the UI's Cancel button): the case closes itself before the workflow ends.
    const next = await requestChange(stack, alice, LADA, PLATE('a222aa 77'), aliceCert);
    expect(next.statusCode, next.body).toBe(201);
    const cancelled = stack.client.workflow.getHandle(`case-${next.json().number}`);
    await cancelled.cancel();
    await expect(cancelled.result()).rejects.toThrow('Workflow execution cancelled');
    expect(await detail(stack, alice, next.json().number)).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
    expect(await openChange(LADA)).toBeNull();
    expect((await timelineOf(stack, admin, next.json().number)).at(-1)).toMatchObject({ type: 'status_changed', data: { from: 'submitted', to: 'closed' } });
    await recordHistory(stack.client, next.json().number, 'epts-change-cancelled-in-temporal');
  });

  it('closes a passport change terminated in Temporal by the sweep: vehicle freed, projection closed, journaled once', async () => {
    const res = await requestChange(stack, alice, SOLARIS, PLATE('c333cc 77'), aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const { number } = res.json();
    expect(await openChange(SOLARIS)).toBe(number);

    await stack.client.workflow.getHandle(`case-${number}`).terminate('stuck, terminated from the Temporal UI');
    // Nothing of the case ran: it still holds the vehicle and shows open.
    expect(await openChange(SOLARIS)).toBe(number);
    expect((await detail(stack, alice, number)).closedAt).toBeNull();
    // The visibility store lists a closed workflow shortly after it closes.
    const listed = `WorkflowId = "case-${number}" AND ExecutionStatus = "Terminated"`;
    await expect.poll(async () => (await stack.client.workflow.count(listed)).count, { timeout: 10_000 }).toBe(1);

    const sweep = await sweepTerminatedCases({ client: stack.client, db: stack.database.db }, { lookbackDays: 1, limit: 100 });
    expect(sweep.closed).toContain(number);
    expect(await openChange(SOLARIS)).toBeNull();
    expect(await detail(stack, alice, number)).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
    const entries = (await timelineOf(stack, admin, number)).filter((e) => e.type === 'terminated_in_temporal');
    expect(entries).toEqual([expect.objectContaining({ actor: { id: 'temporal', role: 'system' }, data: expect.objectContaining({ previousStatus: 'submitted' }) })]);

    const repeat = await sweepTerminatedCases({ client: stack.client, db: stack.database.db }, { lookbackDays: 1, limit: 100 });
    expect(repeat.closed).not.toContain(number);
    expect((await timelineOf(stack, admin, number)).filter((e) => e.type === 'terminated_in_temporal')).toHaveLength(1);
  });
});
