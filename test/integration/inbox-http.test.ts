/**
 * The in-app inbox over HTTP on the real stack: a citizen's notifications and their read
 * state, a team's shared rows, and (time-skipping server) a breached deadline reaching the
 * configured supervisors and the official who has the case, the queue showing it escalated.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOf, startOfDay } from '../../core/deadline-clock';
import type { Principal } from '../../core/principal';
import { HOUR } from '../support/case-workflows';
import { recordHistory } from '../support/histories';
import { file, get, officially, ok, post, rejectedCase } from '../support/http';
import { alice, bob, erik, fedor, rita, rob, sam } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';
import { createTimeSkippingEnv } from '../support/temporal';

interface Item {
  id: number;
  type: string;
  title: string;
  caseNumber: string;
  caseKind: string;
  createdAt: string;
  readAt: string | null;
  readBy: string | null;
  shared: boolean;
  via: string | null;
  links: { case: string };
}

const inbox = async (stack: Stack, who: Principal, query = ''): Promise<Item[]> => ok(await get(stack, who, `/inbox${query}`), 200).items;
const unread = async (stack: Stack, who: Principal): Promise<number> => ok(await get(stack, who, '/inbox/unread-count'), 200).unread;
const ofCase = (items: Item[], number: string) => items.filter((i) => i.caseNumber === number);

/** A second appeal expert and a second supervisor of the ministry. */
const ernst: Principal = { id: 'ernst', role: 'expert' };
/** The appeals desk's supervisor, as AGENCY_SUPERVISORS names her. */
const anna: Principal = { id: 'anna', role: 'expert' };
const svetlana: Principal = { id: 'svetlana', role: 'reviewer', agency: 'mvd' };
/** The tax service's supervisor by token: the tax service has none configured. */
const fedorSupervising: Principal = { ...fedor, supervisor: true };

describe('the inbox on the dev server', () => {
  let stack: Stack;
  const service = testService();
  beforeAll(async () => {
    stack = await startStack({ env: { AGENCY_SUPERVISORS: 'mvd:sam,svetlana;appeals:anna' } });
    await stack.addService(service);
  });
  afterAll(async () => stack?.close());

  it('shows a citizen their notifications unread first, and each mark agrees with the next read', async () => {
    const { number } = await file(stack, alice, service.code);
    await officially(stack, rita, number, 'claim');
    await officially(stack, rita, number, 'request-info', { message: 'Приложите скан паспорта' });

    const mine = ofCase(await inbox(stack, alice), number);
    expect(mine.map((i) => [i.type, i.title])).toEqual([
      ['status_changed', `${number}: Требуется уточнение`],
      ['documents_requested', `${number}: требуется уточнение`],
      ['status_changed', `${number}: В работе`],
      ['submission_confirmed', `Заявление ${number} получено`],
    ]);
    expect(mine[0]).toMatchObject({ caseKind: 'application', readAt: null, shared: false, via: null, links: { case: `/cases/${number}` } });
    const before = await unread(stack, alice);
    expect(before).toBeGreaterThanOrEqual(4);

    // Someone else's row is unknown to bob, and stays unread.
    const oldest = mine.at(-1)!;
    const foreign = await post(stack, bob, `/inbox/${oldest.id}/read`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect(ofCase(await inbox(stack, bob), number)).toEqual([]);

    const marked = ok(await post(stack, alice, `/inbox/${oldest.id}/read`), 200);
    expect(marked).toMatchObject({ id: oldest.id, readBy: alice.id });
    expect(Date.parse(marked.readAt)).not.toBeNaN();
    expect(await unread(stack, alice)).toBe(before - 1);
    const after = await inbox(stack, alice);
    // Read rows come after every unread one; the answer is what the list shows.
    expect(after.at(-1)).toEqual(marked);
    expect(after.slice(0, -1).every((i) => i.readAt === null)).toBe(true);
    // Marking it again keeps the first time.
    expect(ok(await post(stack, alice, `/inbox/${oldest.id}/read`), 200)).toEqual(marked);

    const all = ok(await post(stack, alice, '/inbox/read-all'), 200);
    expect(all).toEqual({ marked: before - 1, unread: 0, capped: false });
    expect(await unread(stack, alice)).toBe(0);
    expect((await inbox(stack, alice)).every((i) => i.readAt !== null)).toBe(true);
  });

  it('pages the inbox like the other lists', async () => {
    await file(stack, bob, service.code);
    await file(stack, bob, service.code);
    const page = ok(await get(stack, bob, '/inbox?limit=1&offset=1'), 200);
    expect(page).toMatchObject({ limit: 1, offset: 1, totalCapped: false });
    expect(page.total).toBeGreaterThanOrEqual(2);
    expect(page.items).toHaveLength(1);
    expect(page.items[0].id).toBe((await inbox(stack, bob))[1]!.id);
  });

  it('shares a team row: every expert sees the new appeal, one read marks it for all', async () => {
    const contested = await rejectedCase(stack, service.code);
    const filed = ok(await post(stack, alice, `/cases/${contested}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), 201);
    const [forErik] = ofCase(await inbox(stack, erik), filed.number);
    expect(forErik).toMatchObject({ type: 'status_changed', title: `${filed.number}: новая жалоба`, caseKind: 'appeal', shared: true, via: 'appeals', readAt: null });
    expect(ofCase(await inbox(stack, ernst), filed.number)).toEqual([forErik]);
    expect(ofCase(await inbox(stack, rita), filed.number)).toEqual([]);

    const read = ok(await post(stack, ernst, `/inbox/${forErik!.id}/read`), 200);
    expect(read).toMatchObject({ readBy: 'ernst', shared: true });
    expect(ofCase(await inbox(stack, erik), filed.number)).toEqual([read]);
    expect((await post(stack, rita, `/inbox/${forErik!.id}/read`)).statusCode).toBe(404);
  });

  it('refuses bad input with the path of the field', async () => {
    const badId = await post(stack, alice, '/inbox/abc/read');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/params/id' })]));
    const badLimit = await get(stack, alice, '/inbox?limit=0');
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/querystring/limit' })]));
    expect((await post(stack, alice, '/inbox/99999999/read')).statusCode).toBe(404);
  });
});

describe('escalations on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const mvd = testService({ term: { days: 15, unit: 'calendar' } });
  const fns = testService({ agency: 'fns', term: { days: 15, unit: 'calendar' } });
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    stack = await startStack({ timeSkipping: env, env: { AGENCY_SUPERVISORS: 'mvd:sam,svetlana;appeals:anna', APPEAL_EXAMINATION_DAYS: '10' } });
    for (const s of [mvd, fns]) await stack.addService(s);
  });
  afterAll(async () => {
    await stack?.close();
    await env?.teardown();
  });

  /** Skips the server's clock to 10:00 Moscow time on day `day`. */
  const skipToDay = async (day: number) => {
    const target = Date.parse(startOfDay(day)) + 10 * HOUR;
    await env.sleep(target - (await env.currentTimeMs()));
  };

  it('warns the official or the team, and a breach reaches the supervisors and the official who has the case', async () => {
    const d = dayOf(await env.currentTimeMs()) + 1;
    await skipToDay(d);
    const { number: claimed } = await file(stack, alice, mvd.code);
    await officially(stack, rita, claimed, 'claim');
    const { number: waiting } = await file(stack, alice, mvd.code);
    const { number: taxes } = await file(stack, alice, fns.code);

    await skipToDay(d + 13);
    // The warning goes to the official who has the case, or to the agency's team while nobody has it.
    expect(ofCase(await inbox(stack, rita), claimed)).toMatchObject([{ type: 'deadline_warning', title: `${claimed}: срок истекает`, shared: false }]);
    const teamWarning = ofCase(await inbox(stack, rob), waiting);
    expect(teamWarning).toMatchObject([{ type: 'deadline_warning', shared: true, via: 'agency:mvd' }]);
    expect(ofCase(await inbox(stack, rita), waiting)).toEqual(teamWarning);

    await skipToDay(d + 16);
    for (const supervisor of [sam, svetlana]) {
      const breaches = (await inbox(stack, supervisor)).filter((i) => i.type === 'deadline_breached');
      expect(breaches.map((i) => i.caseNumber).sort()).toEqual([claimed, waiting].sort());
      expect(breaches.every((i) => i.shared === false && i.via === 'agency:mvd:supervisor' && i.title.endsWith('срок нарушен'))).toBe(true);
    }
    const ritas = ofCase(await inbox(stack, rita), claimed);
    expect(ritas.map((i) => i.type)).toEqual(['deadline_breached', 'deadline_warning']);
    expect(ritas[0]).toMatchObject({ shared: false, via: null });
    // The team is not escalated to.
    expect((await inbox(stack, rob)).filter((i) => i.type === 'deadline_breached')).toEqual([]);

    // Each supervisor reads their own copy.
    const [samsCopy] = ofCase(await inbox(stack, sam), claimed);
    ok(await post(stack, sam, `/inbox/${samsCopy!.id}/read`), 200);
    expect(ofCase(await inbox(stack, svetlana), claimed)[0]!.readAt).toBeNull();

    // A desk with no supervisor configured: the escalation is a shared row for its supervisors by token.
    expect(ofCase(await inbox(stack, fedorSupervising), taxes).find((i) => i.type === 'deadline_breached')).toMatchObject({
      shared: true,
      via: 'agency:fns:supervisor',
    });
    expect(ofCase(await inbox(stack, fedor), taxes).map((i) => i.type)).toEqual(['deadline_warning']);

    // The queue shows which cases are escalated, and filters on it.
    const queue = ok(await get(stack, rita, '/queue'), 200).items as Array<{ number: string; escalated: boolean; escalatedAt: string | null }>;
    const row = queue.find((c) => c.number === claimed);
    expect(row).toMatchObject({ escalated: true });
    expect(Date.parse(row!.escalatedAt!)).toBeGreaterThan(Date.parse(startOfDay(d + 15)));
    const escalated = ok(await get(stack, rita, '/queue?escalated=true'), 200).items.map((c: { number: string }) => c.number);
    expect(escalated).toEqual(expect.arrayContaining([claimed, waiting]));
    const calm = ok(await get(stack, rita, '/queue?escalated=false'), 200).items.map((c: { number: string }) => c.number);
    expect(calm).not.toContain(claimed);
    await recordHistory(stack.client, claimed, 'application-breach-escalated-to-assignee');
  });

  it('a breached appeal reaches the appeals supervisor configured and the expert who has it, not the other experts', async () => {
    const d = dayOf(await env.currentTimeMs()) + 1;
    await skipToDay(d);
    const contested = await rejectedCase(stack, mvd.code);
    const appeal = ok(await post(stack, alice, `/cases/${contested}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), 201);
    await officially(stack, erik, appeal.number, 'claim');

    await skipToDay(d + 12);
    const breached = (who: Principal) => inbox(stack, who).then((items) => ofCase(items, appeal.number).filter((i) => i.type === 'deadline_breached'));
    expect(await breached(anna)).toMatchObject([{ shared: false, via: 'appeals:supervisor', caseKind: 'appeal', title: `${appeal.number}: срок нарушен` }]);
    expect(await breached(erik)).toMatchObject([{ shared: false, via: null }]);
    expect(ofCase(await inbox(stack, erik), appeal.number).map((i) => i.type)).toContain('deadline_warning');
    expect(await breached(ernst)).toEqual([]);
    // Nobody reads it as a shared row: the supervisor is configured.
    expect(await breached({ ...ernst, supervisor: true })).toEqual([]);
  });
});
