/**
 * The admins' case search over real HTTP: each filter finds exactly its cases, the orders
 * with their tie-breaker, keyset pages that add up to the whole, the Temporal UI link of
 * every row, the same rows as CSV and XLSX (one of them longer than a cursor's batch), and
 * every admin route refused to every other role.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCaseNumber } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { alice, erik, olga, rita } from '../support/personas';
import { cases } from '../../db/schema';
import { marchCases, project, projectionOf, type CaseSketch } from '../support/projected-cases';
import { startStack, testService, type Stack } from '../support/stack';

const admin: Principal = { id: 'root', role: 'admin' };
const s1 = testService({ agency: 'mvd' });
const s2 = testService({ agency: 'fns' });
const known = marchCases(s1, s2);
/** Registrations of one applicant: more than one batch (500) of the export's cursor. */
const BULK = 777;
const bulk: CaseSketch[] = Array.from({ length: BULK }, (_, i) => ({
  number: formatCaseNumber('identity', 2024, 8_000_000 + i),
  kind: 'identity',
  status: 'confirmed',
  applicant: 'bulk',
  // Ten cases to a second, so that many share their filing instant and the number decides.
  filedAt: new Date(Date.parse('2024-06-01T00:00:00Z') + Math.floor(i / 10) * 1000).toISOString(),
}));

let stack: Stack;

async function fetchAs(who: Principal | undefined, url: string) {
  return fetch(`${stack.config.http.apiUrl}${url}`, { headers: who ? { authorization: `Bearer ${await stack.token(who)}` } : {} });
}

type Item = { number: string; links: { case: string; temporalUi: string } } & Record<string, unknown>;
type Page = { items: Item[]; total: number; totalCapped: boolean; limit: number; next: string | null };

async function search(query: string): Promise<Page> {
  const res = await fetchAs(admin, `/admin/cases?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

const numbers = async (query: string) => (await search(`${query}&limit=100`)).items.map((i) => i.number);
const of = (...keys: Array<keyof typeof known>) => keys.map((k) => known[k].number);

beforeAll(async () => {
  stack = await startStack({ listen: true });
  await stack.addService(s1);
  await stack.addService(s2);
  await project(stack, Object.values(known));
  // The export's batching is what these are for, not their projection: their read-model
  // rows go in as one statement (one transaction per projection took a minute on a busy machine).
  await stack.database.db.insert(cases).values(bulk.map((c) => projectionOf(c).projection));
});
afterAll(async () => stack?.close());

describe('filters', () => {
  it.each([
    ['kind=appeal', of('j2', 'j1')],
    ['agency=fns', of('a4', 'a5', 'a8')],
    [`service=${s1.code}&status=completed`, of('a3', 'a1', 'a6')],
    ['applicant=bob', of('j2', 'a4', 'j1', 'a2')],
    ['assignee=rita', of('a2', 'a1', 'a6')],
    ['assignee=unassigned&filedFrom=2025-01-01', of('a7', 'i1', 'a8')],
    ['overdue=true', of('a4', 'a8')],
    // Moscow days: a5 (00:30 on 1 March) in, a7 (00:30 on 1 April) out.
    ['filedFrom=2025-03-01&filedTo=2025-03-31', of('j2', 'a4', 'j1', 'i1', 'a3', 'a2', 'a1', 'e1', 'a5')],
    ['dueFrom=2025-03-17&dueTo=2025-03-19&sort=due', of('a5', 'a2', 'a1')],
    [`number=${known.a4.number}`, of('a4')],
    ['kind=application&agency=mvd&overdue=false&filedFrom=2025-03-01', of('a7', 'a3', 'a2', 'a1')],
  ])('%s finds exactly its cases', async (query, expected) => {
    const page = await search(`${query}&limit=100`);
    expect(page.items.map((i) => i.number)).toEqual(expected);
    expect(page).toMatchObject({ total: expected.length, totalCapped: false, next: null });
  });

  it('shows each case as its summary, with its applicant and its workflow in the Temporal UI', async () => {
    const [item] = (await search(`number=${known.a1.number}`)).items;
    expect(item).toEqual({
      number: known.a1.number,
      kind: 'application',
      status: 'completed',
      statusLabel: 'Завершено',
      version: 2,
      service: { code: s1.code, name: 'Справка' },
      agency: 'mvd',
      applicantId: 'alice',
      assigneeId: 'rita',
      submittedAt: '2025-03-02T10:00:00.000Z',
      updatedAt: '2025-03-12T10:00:00.000Z',
      legalDueDate: '2025-03-19',
      expectedDueDate: '2025-03-19',
      overdue: false,
      closedAt: '2025-03-12T10:05:00.000Z',
      underAppeal: null,
      links: {
        case: `/cases/${known.a1.number}`,
        temporalUi: `${stack.config.temporal.uiUrl}/namespaces/${stack.config.temporal.namespace}/workflows/case-${known.a1.number}`,
      },
    });
  });

  it('refuses a range that ends before it starts, with the field', async () => {
    for (const [query, path] of [
      ['dueFrom=2025-03-19&dueTo=2025-03-17', '/querystring/dueTo'],
      ['filedFrom=2025-03-19&filedTo=2025-03-17', '/querystring/filedTo'],
    ]) {
      const res = await fetchAs(admin, `/admin/cases?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual([path]);
    }
  });
});

describe('order and pages', () => {
  const march = Object.values(known);
  const byFiled = (a: CaseSketch, b: CaseSketch) => a.filedAt.localeCompare(b.filedAt) || a.number.localeCompare(b.number);
  const byDue = (a: CaseSketch, b: CaseSketch) => (a.expectedDue ?? '9999').localeCompare(b.expectedDue ?? '9999') || a.number.localeCompare(b.number);
  const NOT_BULK = 'filedFrom=2025-01-01';

  it.each([
    ['-filed', [...march].sort(byFiled).reverse()],
    ['filed', [...march].sort(byFiled)],
    ['due', [...march].sort(byDue)],
    ['-due', [...march].sort(byDue).reverse()],
  ])('sort=%s, the number breaking ties (i1 and a3 were filed at one instant), cases without a due date last', async (sort, expected) => {
    expect(await numbers(`${NOT_BULK}&sort=${sort}`)).toEqual(expected.map((c) => c.number));
  });

  it('walks every page after the one before: together exactly the whole, none twice, whatever is filed meanwhile', async () => {
    for (const sort of ['-filed', 'due']) {
      const whole = await numbers(`${NOT_BULK}&sort=${sort}`);
      const walked: string[] = [];
      let page = await search(`${NOT_BULK}&sort=${sort}&limit=5`);
      walked.push(...page.items.map((i) => i.number));
      // A case filed after the first page (newest of all) shifts nothing that follows.
      if (sort === '-filed') await project(stack, [{ number: formatCaseNumber('identity', 2025, 9_000_100), kind: 'identity', status: 'confirmed', applicant: 'late', filedAt: '2025-12-01T00:00:00.000Z' }]);
      while (page.next) {
        page = await search(`${NOT_BULK}&sort=${sort}&limit=5&after=${page.next}`);
        walked.push(...page.items.map((i) => i.number));
      }
      expect(walked).toEqual(whole);
    }
  });

  it('walks the registrations that share their filing second in order of their numbers', async () => {
    const walked: string[] = [];
    let next: string | null = null;
    do {
      const page: Page = await search(`applicant=bulk&sort=filed&limit=100${next ? `&after=${next}` : ''}`);
      walked.push(...page.items.map((i) => i.number));
      next = page.next;
    } while (next);
    expect(walked).toEqual(bulk.map((c) => c.number));
  });

  it('refuses a cursor it did not give, or gave for another order, naming `after`', async () => {
    const { next } = await search(`${NOT_BULK}&sort=-filed&limit=2`);
    const forged = (...cursor: string[]) => `after=${Buffer.from(JSON.stringify(cursor)).toString('base64url')}`;
    for (const query of [
      `sort=due&after=${next}`,
      'after=bm90LWEtY3Vyc29y',
      forged('-filed', "1' or 1=1", 'A-2025-9000001'),
      // Shaped right, but days Postgres would refuse to read.
      forged('-filed', '2025-02-30T10:00:00.000000Z', 'A-2025-9000001'),
      `sort=due&${forged('due', '0000-01-01', 'A-2025-9000001')}`,
    ]) {
      const res = await fetchAs(admin, `/admin/cases?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['/querystring/after']);
    }
  });
});

const FLAT: Array<[string, (i: Item) => unknown]> = [
  ['number', (i) => i.number],
  ['kind', (i) => i.kind],
  ['status', (i) => i.status],
  ['statusLabel', (i) => i.statusLabel],
  ['version', (i) => i.version],
  ['serviceCode', (i) => (i.service as { code: string | null }).code],
  ['serviceName', (i) => (i.service as { name: string | null }).name],
  ['agency', (i) => i.agency],
  ['applicantId', (i) => i.applicantId],
  ['assigneeId', (i) => i.assigneeId],
  ['submittedAt', (i) => i.submittedAt],
  ['updatedAt', (i) => i.updatedAt],
  ['legalDueDate', (i) => i.legalDueDate],
  ['expectedDueDate', (i) => i.expectedDueDate],
  ['overdue', (i) => i.overdue],
  ['closedAt', (i) => i.closedAt],
  ['underAppeal', (i) => i.underAppeal],
  ['temporalUi', (i) => i.links.temporalUi],
];

describe('the search as downloads', () => {
  const query = 'filedFrom=2025-01-01&filedTo=2025-12-31&sort=due';

  it('CSV: a header row, then every match as its JSON item, in the same order', async () => {
    const { items } = await search(`${query}&limit=100`);
    const res = await fetchAs(admin, `/admin/cases?${query}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="cases.csv"');
    const rows = parse(Buffer.from(await res.arrayBuffer()).toString('utf8'), { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual(FLAT.map(([h]) => h));
    // Written as JSON writes them: numbers and booleans as printed, instants ISO 8601, empty for null.
    expect(rows).toEqual(items.map((i) => Object.fromEntries(FLAT.map(([h, get]) => [h, get(i) === null ? '' : String(get(i))]))));
  });

  it('XLSX: typed cells (numbers, booleans, dates, instants), the same rows', async () => {
    const { items } = await search(`${query}&limit=100`);
    const res = await fetchAs(admin, `/admin/cases?${query}&format=xlsx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="cases.xlsx"');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(FLAT.map(([h]) => h));
    const typed = (h: string, v: unknown) => {
      if (v === null) return null;
      if (['submittedAt', 'updatedAt', 'closedAt'].includes(h)) return new Date(v as string);
      if (['legalDueDate', 'expectedDueDate'].includes(h)) return new Date(`${v as string}T00:00:00Z`);
      return v;
    };
    const back: unknown[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) back.push(FLAT.map((_, c) => row.getCell(c + 1).value ?? null));
    });
    expect(back).toEqual(items.map((i) => FLAT.map(([h, get]) => typed(h, get(i)))));
  });

  it('streams an export longer than a batch of its cursor, chunk by chunk, every row once and in order', async () => {
    for (const format of ['csv', 'xlsx'] as const) {
      const res = await fetchAs(admin, `/admin/cases?applicant=bulk&sort=filed&format=${format}`);
      expect(res.status).toBe(200);
      // Sent as it is written: no length known up front.
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      const bytes = await res.arrayBuffer();
      let got: string[];
      if (format === 'csv') {
        got = (parse(Buffer.from(bytes).toString('utf8'), { bom: true, columns: true }) as Array<{ number: string }>).map((r) => r.number);
      } else {
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(bytes);
        got = [];
        workbook.worksheets[0]!.eachRow((row, n) => {
          if (n > 1) got.push(row.getCell(1).value as string);
        });
      }
      expect(got).toEqual(bulk.map((c) => c.number));
    }
  });
});

describe('access', () => {
  const others: Principal[] = [alice, rita, erik, olga];

  it('every admin route refuses every other role (403) and a caller without a token (401), exports too', async () => {
    const doc = (await (await fetch(`${stack.config.http.apiUrl}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/admin/'))
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: p.replace('{number}', known.a1.number) })));
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /admin/cases', 'GET /admin/statistics', `GET /admin/cases/${known.a1.number}/journal/verification`, 'GET /admin/deliveries']),
    );
    // The acting routes (POST) are refused in admin-operations-http.test.ts.
    const urls = routes.filter((r) => r.method === 'GET').flatMap((r) => (r.path === '/admin/statistics' ? ['/admin/statistics?from=2025-03-01&to=2025-03-31', '/admin/statistics?from=2025-03-01&to=2025-03-31&format=xlsx'] : r.path === '/admin/cases' ? ['/admin/cases', '/admin/cases?format=csv'] : [r.path]));
    for (const url of urls) {
      for (const who of others) {
        const res = await fetchAs(who, url);
        expect(res.status, `${who.role} ${url}`).toBe(403);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        await res.arrayBuffer();
      }
      const anonymous = await fetchAs(undefined, url);
      expect(anonymous.status, url).toBe(401);
      await anonymous.arrayBuffer();
      // Read to the end: a download nobody reads holds its cursor open.
      const allowed = await fetchAs(admin, url);
      expect(allowed.status, url).toBe(200);
      await allowed.arrayBuffer();
    }
  });
});
