import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceChanges } from '../../core/catalogue';
import type { Principal } from '../../core/principal';
import { appendServiceVersion } from '../../db/queries/catalogue';
import { testFormSchema } from '../support/fixtures';
import { act, detail, file, FORM, get, ok, post } from '../support/http';
import { alice, rita } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const root: Principal = { id: 'root', role: 'admin' };
const mila: Principal = { id: 'mila', role: 'admin' };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.close());

const create = (body: Record<string, unknown>, who: Principal = root) => post(stack, who, '/admin/catalogue', body);
const patch = (code: string, body: Record<string, unknown>, who: Principal = root) =>
  stack.call(who, { method: 'PATCH', url: `/admin/catalogue/${code}`, payload: body } satisfies InjectOptions);
const changesOf = async (code: string) => ok(await get(stack, root, `/admin/catalogue-changes?code=${code}`), 200);
const publicCodes = async () => ok(await get(stack, undefined, '/catalogue?limit=100'), 200).items.map((s: { code: string }) => s.code);

/** A service as an administrator creates it: the test fixture's fields and a fresh code. */
const definition = (overrides: Record<string, unknown> = {}) => ({ ...testService(), ...overrides });

describe('catalogue management over HTTP', () => {
  it('creates a service as version 1, offers it to citizens and journals every field', async () => {
    const body = definition();
    const created = ok(await create(body), 201);
    expect(created).toEqual({ ...body, version: 1, retired: false });

    expect(ok(await get(stack, undefined, `/catalogue/${body.code}`), 200)).toMatchObject({ code: body.code, version: 1, term: body.term });
    expect(await publicCodes()).toContain(body.code);

    const journal = await changesOf(body.code);
    expect(journal.total).toBe(1);
    expect(journal.items[0]).toMatchObject({ code: body.code, version: 1, action: 'created', actor: { id: 'root', role: 'admin' } });
    expect(journal.items[0].changes.name).toEqual({ from: null, to: body.name });
    expect(journal.items[0].changes.formSchema).toEqual({ from: null, to: body.formSchema });
    expect(journal.items[0].at).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const taken = await create(definition({ code: body.code }));
    expect(taken.statusCode, taken.body).toBe(409);
    expect(taken.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a form schema filing could not compile with 422 and the field path, on creation and on change', async () => {
    const refused = async (formSchema: unknown, path: string) => {
      const res = await create(definition({ formSchema }));
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    await refused({ type: 'object', properties: { copies: { type: 'integral' } } }, '/body/formSchema/properties/copies/type');
    await refused({ type: 'object', required: 'purpose' }, '/body/formSchema/required');
    await refused({ type: 'object', properties: { purpose: { $ref: '#/definitions/missing' } } }, '/body/formSchema');
    await refused({ type: 'object', properties: { purpose: { type: 'string', pattern: '(' } } }, '/body/formSchema');
    await refused({ type: 'string' }, '/body/formSchema/type');
    await refused({ $id: 'https://example.org/form', type: 'object' }, '/body/formSchema');

    const body = definition();
    ok(await create(body), 201);
    const bad = await patch(body.code, { version: 1, formSchema: { type: 'object', properties: { copies: { minimum: 'one' } } } });
    expect(bad.statusCode, bad.body).toBe(422);
    expect(bad.json().errors[0].path).toBe('/body/formSchema/properties/copies/minimum');
    // Nothing changed: still version 1, and citizens file against it.
    expect(ok(await get(stack, root, `/admin/catalogue/${body.code}`), 200)).toMatchObject({ version: 1, formSchema: body.formSchema });
    expect((await changesOf(body.code)).total).toBe(1);
    await file(stack, alice, body.code);
  });

  it('makes each change a new version for new cases only: a filed case keeps its terms and shows its version', async () => {
    const body = definition({ term: { days: 15, unit: 'calendar' } });
    ok(await create(body), 201);
    const before = await file(stack, alice, body.code);

    const withReason = testFormSchema({ reason: { type: 'string', enum: ['lost', 'damaged'] } });
    withReason.required.push('reason');
    const v2 = ok(await patch(body.code, { version: 1, term: { days: 30, unit: 'calendar' }, formSchema: withReason }), 200);
    expect(v2).toMatchObject({ code: body.code, version: 2, term: { days: 30 }, name: body.name, retired: false });
    expect(ok(await get(stack, undefined, `/catalogue/${body.code}`), 200)).toMatchObject({ version: 2, term: { days: 30 } });

    // New cases take version 2: its form and its term.
    const old = await post(stack, alice, '/cases', { serviceCode: body.code, form: FORM, documents: [] });
    expect(old.statusCode, old.body).toBe(400);
    expect(old.json().errors.map((e: { path: string }) => e.path)).toContain('/body/form/reason');
    const after = await file(stack, alice, body.code, { ...FORM, reason: 'lost' });
    const fresh = await detail(stack, alice, after.number);
    expect(fresh).toMatchObject({ serviceVersion: 2, deadline: { termDays: 30 } });

    // The case filed before keeps version 1: its term, and its form for edits.
    const kept = await detail(stack, alice, before.number);
    expect(kept).toMatchObject({ serviceVersion: 1, deadline: { termDays: 15 }, service: { code: body.code, name: body.name } });
    expect(kept.legalDueDate < fresh.legalDueDate).toBe(true);
    const edit = await act(stack, alice, before.number, 'edit', { form: { ...FORM, copies: 2 }, documents: [], version: kept.version });
    expect(edit.statusCode, edit.body).toBe(200);
    expect((await detail(stack, alice, before.number)).form).toEqual({ ...FORM, copies: 2 });

    // Version 3 charges a fee: a case filed now waits for payment, the others do not.
    ok(await patch(body.code, { version: 2, fee: { base: 200 } }), 200);
    const paying = await file(stack, alice, body.code, { ...FORM, reason: 'damaged' });
    expect(paying.status).toBe('awaiting_payment');
    expect(await detail(stack, alice, paying.number)).toMatchObject({ serviceVersion: 3, fee: { invoice: { amount: 200 } } });
    expect((await detail(stack, alice, after.number)).status).toBe('submitted');

    // Every version stays readable for administrators.
    expect(ok(await get(stack, root, `/admin/catalogue/${body.code}/versions/1`), 200)).toMatchObject({ version: 1, term: { days: 15 }, formSchema: body.formSchema });
    const missing = await get(stack, root, `/admin/catalogue/${body.code}/versions/9`);
    expect(missing.statusCode).toBe(404);

    // The journal names who changed what, field by field, newest first.
    const journal = await changesOf(body.code);
    expect(journal.items.map((c: { version: number; action: string }) => [c.version, c.action])).toEqual([
      [3, 'updated'],
      [2, 'updated'],
      [1, 'created'],
    ]);
    expect(journal.items[0].changes).toEqual({ fee: { from: { base: 0 }, to: { base: 200 } } });
    expect(journal.items[1].changes).toEqual({
      term: { from: { days: 15, unit: 'calendar' }, to: { days: 30, unit: 'calendar' } },
      formSchema: { from: body.formSchema, to: withReason },
    });
    expect(journal.items[1].actor).toEqual({ id: 'root', role: 'admin' });
  });

  it('lets only one of two changes made from the same version through; the other is told the current version', async () => {
    const body = definition();
    ok(await create(body), 201);
    const [a, b] = await Promise.all([
      patch(body.code, { version: 1, name: 'Справка (ред. А)' }, root),
      patch(body.code, { version: 1, name: 'Справка (ред. Б)' }, mila),
    ]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses, `${a.body} ${b.body}`).toEqual([200, 409]);
    const lost = a.statusCode === 409 ? a : b;
    const won = a.statusCode === 200 ? a : b;
    expect(lost.headers['content-type']).toContain('application/problem+json');
    expect(lost.json()).toMatchObject({ code: 'StaleVersion', currentVersion: 2 });
    expect(ok(await get(stack, root, `/admin/catalogue/${body.code}`), 200)).toMatchObject({ version: 2, name: won.json().name });

    // A change from an outdated version is refused; asking for no change makes no version.
    expect((await patch(body.code, { version: 1, description: 'другое' })).statusCode).toBe(409);
    expect(ok(await patch(body.code, { version: 2, name: won.json().name }), 200)).toMatchObject({ version: 2 });
    const journal = await changesOf(body.code);
    expect(journal.items.map((c: { version: number }) => c.version)).toEqual([2, 1]);
    expect(journal.items[0].actor.id).toBe(won === a ? 'root' : 'mila');
  });

  it('writes one of two versions built from the same one when they race past the check, and journals only that one', async () => {
    const body = definition();
    const v1 = ok(await create(body), 201);
    const next = (name: string) => ({ ...v1, name, version: 2 });
    const written = await Promise.all(
      ['А', 'Б'].map((name) => appendServiceVersion(stack.database.db, next(name), 'updated', root, serviceChanges(v1, next(name)))),
    );
    expect(written.sort()).toEqual([false, true]);
    expect((await changesOf(body.code)).items.map((c: { version: number }) => c.version)).toEqual([2, 1]);
  });

  it('retires a service: no new filings (409 with the reason), gone from the public catalogue, its cases carry on', async () => {
    const body = definition();
    ok(await create(body), 201);
    const filed = await file(stack, alice, body.code);

    const stale = await post(stack, root, `/admin/catalogue/${body.code}/retire`, { version: 2 });
    expect(stale.statusCode, stale.body).toBe(409);
    const retired = ok(await post(stack, root, `/admin/catalogue/${body.code}/retire`, { version: 1 }), 200);
    expect(retired).toMatchObject({ version: 2, retired: true });

    const refused = await post(stack, alice, '/cases', { serviceCode: body.code, form: FORM, documents: [] });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'InvalidState', serviceCode: body.code });
    expect(refused.json().detail).toContain('retired');
    expect(await publicCodes()).not.toContain(body.code);
    expect((await get(stack, undefined, `/catalogue/${body.code}`)).statusCode).toBe(404);

    // The filed case: its citizen and its reviewer read it, the admin search finds it, it is worked to the end.
    expect(await detail(stack, alice, filed.number)).toMatchObject({ service: { code: body.code, name: body.name }, serviceVersion: 1 });
    const found = ok(await get(stack, root, `/admin/cases?service=${body.code}`), 200);
    expect(found.items.map((c: { number: string; service: { name: string } }) => [c.number, c.service.name])).toEqual([[filed.number, body.name]]);
    const claimed = await act(stack, rita, filed.number, 'claim', { version: (await detail(stack, rita, filed.number)).version });
    expect(claimed.statusCode, claimed.body).toBe(200);

    // Administrators still read it; it no longer changes.
    expect(ok(await get(stack, root, `/admin/catalogue/${body.code}`), 200)).toMatchObject({ version: 2, retired: true });
    expect((await patch(body.code, { version: 2, name: 'новое' })).statusCode).toBe(409);
    const journal = await changesOf(body.code);
    expect(journal.items[0]).toMatchObject({ version: 2, action: 'retired', changes: { retired: { from: false, to: true } } });
    expect(Object.keys(journal.items[0].changes)).toEqual(['retired']);
  });

  it('is for administrators only', async () => {
    const body = definition();
    for (const who of [alice, rita]) {
      expect((await create(body, who)).statusCode).toBe(403);
      expect((await patch('certificate-of-no-record', { version: 1, name: 'x' }, who)).statusCode).toBe(403);
      expect((await post(stack, who, '/admin/catalogue/certificate-of-no-record/retire', { version: 1 })).statusCode).toBe(403);
      expect((await get(stack, who, '/admin/catalogue-changes')).statusCode).toBe(403);
      expect((await get(stack, who, '/admin/catalogue/certificate-of-no-record')).statusCode).toBe(403);
    }
    expect((await post(stack, undefined, '/admin/catalogue', body)).statusCode).toBe(401);
    expect((await get(stack, root, `/admin/catalogue/${body.code}`)).statusCode).toBe(404);
  });
});
