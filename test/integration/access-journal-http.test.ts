/**
 * The access journal over real HTTP: the API listens on a loopback port, which its
 * TRUSTED_PROXIES (10.0.0.0/8) do not name, and every read below claims to come from
 * 203.0.113.9 in X-Forwarded-For. Rows are found by the request id each answer carries.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { seedDemoVehicles } from '../../db/seed';
import { accounts } from '../../db/schema';
import { freePort } from '../../lib/free-port';
import { LADA, pdfScan } from '../support/fixtures';
import { officially, ok, post } from '../support/http';
import { alice, bob, erik, igor, olga, rita, rob } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const admin: Principal = { id: 'root', role: 'admin' };
const FORGED = '203.0.113.9';

let stack: Stack;
const service = testService();

beforeAll(async () => {
  stack = await startStack({ listen: true, env: { TRUSTED_PROXIES: '10.0.0.0/8' } });
  await stack.addService(service);
  await seedDemoVehicles(stack.database.db);
});
afterAll(async () => stack?.close());

/** A GET over the network as `who`, with a forged X-Forwarded-For, to `base` (the stack's API unless told). */
async function read(who: Principal | undefined, url: string, base = stack.config.http.apiUrl): Promise<Response> {
  const headers: Record<string, string> = { 'x-forwarded-for': FORGED };
  if (who) headers.authorization = `Bearer ${await stack.token(who)}`;
  return fetch(`${base}${url}`, { headers });
}

async function okRead(who: Principal, url: string, base?: string): Promise<Response> {
  const res = await read(who, url, base);
  expect(res.status, await res.clone().text()).toBe(200);
  return res;
}

/** The journal's rows of the request that `res` answered. */
async function recorded(res: Response) {
  const rows = await stack.database.sql`
    select actor_id, actor_role, actor_agency, action, resource_kind, resource_id, subject_id, client_address
    from access_journal where request_id = ${res.headers.get('x-request-id')!} order by id`;
  return [...rows];
}

const row = (who: Principal, action: string, kind: string, id: string, subject: string | null, address = '127.0.0.1') => ({
  actor_id: who.id,
  actor_role: who.role,
  actor_agency: who.agency ?? null,
  action,
  resource_kind: kind,
  resource_id: id,
  subject_id: subject,
  client_address: address,
});

async function fileFor(citizen: Principal, documents: string[] = []): Promise<string> {
  return ok(await post(stack, citizen, '/cases', { serviceCode: service.code, form: { purpose: 'для работы', copies: 1 }, documents }), 201).number;
}

describe('reads of personal data', () => {
  it("records an official's opening of a case and of its timeline, from the connection's address", async () => {
    const number = await fileFor(alice);
    expect(await recorded(await okRead(rita, `/cases/${number}`))).toEqual([row(rita, 'read', 'case', number, 'alice')]);
    expect(await recorded(await okRead(rita, `/cases/${number}/timeline`))).toEqual([row(rita, 'read', 'case_timeline', number, 'alice')]);
    expect(await recorded(await okRead(admin, `/cases/${number}`))).toEqual([row(admin, 'read', 'case', number, 'alice')]);
    // A refused read shows nothing, and records nothing.
    const refused = await read(erik, `/cases/${number}`);
    expect(refused.status).toBe(404);
    expect(await recorded(refused)).toEqual([]);
  });

  it("records nothing for a citizen's own poll, list and timeline", async () => {
    const number = await fileFor(alice);
    const before = await journalSize();
    for (const url of [`/cases/${number}`, `/cases/${number}`, `/cases/${number}/timeline`, '/cases']) {
      expect(await recorded(await okRead(alice, url))).toEqual([]);
    }
    expect(await journalSize()).toBe(before);
  });

  it('records officials reading a document, and every download, the owner’s too', async () => {
    const doc = ok(await stack.upload(alice, 'passport', pdfScan(2100), 'паспорт.pdf'), 201);
    await fileFor(alice, [doc.id]);
    expect(await recorded(await okRead(rita, `/documents/${doc.id}`))).toEqual([row(rita, 'read', 'document', doc.id, 'alice')]);
    expect(await recorded(await okRead(rita, `/documents/${doc.id}/content`))).toEqual([row(rita, 'download', 'document', doc.id, 'alice')]);
    expect(await recorded(await okRead(alice, `/documents/${doc.id}`))).toEqual([]);
    expect(await recorded(await okRead(alice, `/documents/${doc.id}/content`))).toEqual([row(alice, 'download', 'document', doc.id, 'alice')]);
  });

  it('records every download of a result document, not of its signature', async () => {
    const number = await fileFor(bob);
    await officially(stack, rita, number, 'claim');
    await officially(stack, rita, number, 'decide', { outcome: 'approve', comment: 'Основания есть' });
    const mine = await okRead(bob, `/cases/${number}/result`);
    const code = mine.headers.get('x-verification-code')!;
    expect(await recorded(mine)).toEqual([row(bob, 'download', 'result_document', code, 'bob')]);
    expect(await recorded(await okRead(rob, `/cases/${number}/result`))).toEqual([row(rob, 'download', 'result_document', code, 'bob')]);
    expect(await recorded(await okRead(rob, `/cases/${number}/result/signature`))).toEqual([]);
  });

  it('records an operator opening an in-person identity request', async () => {
    const vera: Principal = { id: `vera-${randomBytes(3).toString('hex')}`, role: 'citizen', level: 'standard' };
    await stack.database.db.insert(accounts).values({ id: vera.id, name: 'Вера Тестова', passwordHash: 'x', level: 'standard', status: 'active' });
    const { number } = ok(await post(stack, vera, '/identity/upgrades/confirmed', { method: 'in_person', place: 'МФЦ «Мои документы», Тверская 8' }), 202);
    const opened = await okRead(olga, `/identity/in-person/${number}`);
    expect(await opened.json()).toMatchObject({ number, citizenName: 'Вера Тестова' });
    expect(await recorded(opened)).toEqual([row(olga, 'read', 'identity_request', number, vera.id)]);
  });

  it("records an official reading a vehicle's passport once for each owner it names, not its owner's own read", async () => {
    // The demo LADA's passport names alice and the owner before her.
    expect(await recorded(await okRead(igor, `/vehicles/${LADA}`))).toEqual([
      row(igor, 'read', 'vehicle_passport', `${LADA}@1`, 'alice'),
      row(igor, 'read', 'vehicle_passport', `${LADA}@1`, 'carol'),
    ]);
    expect(await recorded(await okRead(alice, `/vehicles/${LADA}/versions/1`))).toEqual([]);
  });

  it("records an admin's search page under each applicant on it, and an export under its filter", async () => {
    const [a, b] = [await fileFor(alice), await fileFor(bob)];
    for (const number of [a, b]) {
      const page = await okRead(admin, `/admin/cases?number=${number}`);
      const applicant = number === a ? 'alice' : 'bob';
      expect(await recorded(page)).toEqual([row(admin, 'read', 'case_search', `number=${number}&sort=-filed`, applicant)]);
    }
    const filter = `service=${service.code}&sort=-filed`;
    for (const format of ['csv', 'xlsx']) {
      const exported = await okRead(admin, `/admin/cases?${filter}&format=${format}`);
      await exported.arrayBuffer();
      expect(await recorded(exported)).toEqual([row(admin, 'export', 'case_search', filter, null)]);
    }
    // A page of nobody records the query, about no one.
    expect(await recorded(await okRead(admin, '/admin/cases?applicant=nobody-at-all'))).toEqual([row(admin, 'read', 'case_search', 'applicant=nobody-at-all&sort=-filed', null)]);
  });

  it('believes X-Forwarded-For only from a configured proxy', async () => {
    const number = await fileFor(alice);
    // The same database and Temporal, served by an instance that trusts loopback as its proxy.
    const port = await freePort();
    const trusting: FastifyInstance = await stack.instance({ ...stack.config, http: { ...stack.config.http, trustedProxies: ['loopback'], port } });
    await trusting.listen({ host: '127.0.0.1', port });
    const viaProxy = await okRead(rita, `/cases/${number}`, `http://127.0.0.1:${port}`);
    expect(await recorded(viaProxy)).toEqual([row(rita, 'read', 'case', number, 'alice', FORGED)]);
    expect(await recorded(await okRead(rita, `/cases/${number}`))).toEqual([row(rita, 'read', 'case', number, 'alice', '127.0.0.1')]);
  });

  it("does not answer an official's read whose record cannot be written; a citizen's poll does not need it", async () => {
    const number = await fileFor(alice);
    // The journal's table refuses writes as a Postgres going away would.
    await stack.database.sql.unsafe(`
      create function refuse_access_rows() returns trigger language plpgsql as
        $$ begin raise exception 'the access journal is away' using errcode = '57P03'; end $$;
      create trigger refuse_access_rows before insert on access_journal execute function refuse_access_rows()`);
    try {
      const refused = await read(rita, `/cases/${number}`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = await refused.json();
      expect(problem).toMatchObject({ code: 'Unavailable', status: 503 });
      expect(JSON.stringify(problem)).not.toContain('alice');
      expect((await read(alice, `/cases/${number}`)).status).toBe(200);
    } finally {
      await stack.database.sql.unsafe('drop trigger refuse_access_rows on access_journal; drop function refuse_access_rows()');
    }
  });
});

async function journalSize(): Promise<number> {
  const [counted] = await stack.database.sql`select count(*)::int as n from access_journal`;
  return counted!.n as number;
}

/** Postgres's clock, which stamps the rows. */
async function dbNow(): Promise<string> {
  const [now] = await stack.database.sql`select to_char(clock_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t`;
  return now!.t as string;
}

describe('GET /admin/access-journal', () => {
  const zoe: Principal = { id: `zoe-${randomBytes(3).toString('hex')}`, role: 'citizen', level: 'confirmed' };
  let number: string;
  let marks: string[];

  beforeAll(async () => {
    number = await fileFor(zoe);
    marks = [await dbNow()];
    // Apart by milliseconds, so that the marks (to the millisecond) fall between the reads.
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    for (const who of [rita, rob, rita]) {
      await pause();
      await okRead(who, `/cases/${number}`);
      await pause();
      marks.push(await dbNow());
    }
  });

  const query = async (params: Record<string, string>) => {
    const res = await okRead(admin, `/admin/access-journal?${new URLSearchParams(params)}`);
    return res.json() as Promise<{ items: Array<Record<string, unknown>>; nextCursor: string | null; limit: number }>;
  };
  const caseReads = (items: Array<Record<string, unknown>>) => items.filter((i) => i.resourceKind === 'case').map((i) => i.actorId);

  it("filters by subject, newest first, each row with who, what, when and from where", async () => {
    const page = await query({ subject: zoe.id });
    expect(page.nextCursor).toBeNull();
    expect(page.items).toHaveLength(3);
    expect(caseReads(page.items)).toEqual(['rita', 'rob', 'rita']);
    expect(page.items[1]).toEqual({
      id: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      actorId: 'rob',
      actorRole: 'reviewer',
      actorAgency: 'mvd',
      action: 'read',
      resourceKind: 'case',
      resourceId: number,
      subjectId: zoe.id,
      clientAddress: '127.0.0.1',
      requestId: expect.any(String),
    });
    expect(page.items[1]!.at as string >= marks[1]! && page.items[1]!.at as string <= marks[2]!).toBe(true);
  });

  it('filters by actor and by period, from inclusive, to exclusive', async () => {
    expect(caseReads((await query({ subject: zoe.id, actor: 'rob' })).items)).toEqual(['rob']);
    expect(caseReads((await query({ subject: zoe.id, actor: 'rita' })).items)).toEqual(['rita', 'rita']);
    expect(caseReads((await query({ subject: zoe.id, from: marks[1]!, to: marks[3]! })).items)).toEqual(['rita', 'rob']);
    expect(caseReads((await query({ subject: zoe.id, from: marks[2]! })).items)).toEqual(['rita']);
    expect(caseReads((await query({ subject: zoe.id, to: marks[1]! })).items)).toEqual(['rita']);
    expect((await query({ actor: 'nobody-at-all' })).items).toEqual([]);
  });

  it('pages with a cursor that rows written meanwhile do not shift', async () => {
    const first = await query({ subject: zoe.id, actor: 'rita', limit: '1' });
    expect(first).toMatchObject({ limit: 1, nextCursor: expect.stringMatching(/^\d+$/) });
    // A new read of zoe's case comes in between the pages.
    await okRead(rita, `/cases/${number}`);
    const second = await query({ subject: zoe.id, actor: 'rita', limit: '1', cursor: first.nextCursor! });
    // rita's first read, the older of the two the first page saw: the last page.
    expect(second.nextCursor).toBeNull();
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.id).toBeLessThan(first.items[0]!.id as number);
    const now = await query({ subject: zoe.id, actor: 'rita', limit: '1' });
    expect(now.items[0]!.id).toBeGreaterThan(first.items[0]!.id as number);
  });

  it('records the query itself, under the subject it asked about', async () => {
    const asked = await okRead(admin, `/admin/access-journal?subject=${zoe.id}&actor=rob`);
    expect(await recorded(asked)).toEqual([row(admin, 'read', 'access_journal', `subject=${zoe.id}&actor=rob`, zoe.id)]);
    const everything = await okRead(admin, '/admin/access-journal?limit=1');
    expect(await recorded(everything)).toEqual([row(admin, 'read', 'access_journal', '*', null)]);
    const latest = await query({ subject: zoe.id, limit: '1' });
    expect(latest.items[0]).toMatchObject({ actorId: 'root', resourceKind: 'access_journal', resourceId: `subject=${zoe.id}&actor=rob` });
  });

  it('refuses every other role (403), no token (401) and bad filters (400 with the path)', async () => {
    for (const who of [alice, rita, erik, olga]) {
      const res = await read(who, `/admin/access-journal?subject=${zoe.id}`);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await recorded(res)).toEqual([]);
    }
    expect((await read(undefined, '/admin/access-journal')).status).toBe(401);
    const badCursor = await read(admin, '/admin/access-journal?cursor=abc');
    expect(badCursor.status).toBe(400);
    expect(((await badCursor.json()) as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ path: '/querystring/cursor' })]);
    const emptyPeriod = await read(admin, `/admin/access-journal?from=${marks[2]}&to=${marks[1]}`);
    expect(emptyPeriod.status).toBe(400);
    expect(((await emptyPeriod.json()) as { errors: unknown[] }).errors).toEqual([{ path: '/querystring/to', message: 'must be after from' }]);
    const badInstant = await read(admin, '/admin/access-journal?from=yesterday');
    expect(badInstant.status).toBe(400);
  });

  it('is declared in the OpenAPI document with its filters and statuses', async () => {
    type Operation = { parameters: Array<{ name: string }>; responses: Record<string, { content: Record<string, unknown> }> };
    const spec = (await (await fetch(`${stack.config.http.apiUrl}/docs/json`)).json()) as { paths: Record<string, { get: Operation }> };
    const op = spec.paths['/admin/access-journal']!.get;
    expect(op.parameters.map((p) => p.name).sort()).toEqual(['actor', 'cursor', 'from', 'limit', 'subject', 'to']);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '429', '500', '503']);
    expect(Object.keys(op.responses['403']!.content)).toEqual(['application/problem+json']);
  });
});
