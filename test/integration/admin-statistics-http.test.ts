/**
 * The admins' statistics over real HTTP (the API listens on a port): exact figures of a
 * known set of cases written by the projection as the workflows project them, the same
 * rows as CSV and XLSX, and the processing time of cases that ran through the real
 * workflows with their clocks paused.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { dayOf, dayToDate } from '../../core/deadline-clock';
import { seedDemoVehicles } from '../../db/seed';
import { createTestCa, issueTestCertificate, type TestCa, type TestCertificate } from '../support/certificates';
import { LADA } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { act, eventually, file, ok, officially, post, requestChange } from '../support/http';
import { alice, igor, rita } from '../support/personas';
import { marchCases, project } from '../support/projected-cases';
import { startStack, testService, type Stack } from '../support/stack';

const admin: Principal = { id: 'root', role: 'admin' };
const s1 = testService({ agency: 'mvd', name: 'Справка о тестовом факте (МВД)' });
const s2 = testService({ agency: 'fns', name: 'Справка о тестовом факте (ФНС)' });
const MARCH = 'from=2025-03-01&to=2025-03-31';

let stack: Stack;
let ca: TestCa;
let aliceCert: TestCertificate;

/** GET over the socket, as an admin's client would. */
async function fetchAs(who: Principal | undefined, url: string) {
  return fetch(`${stack.config.http.apiUrl}${url}`, { headers: who ? { authorization: `Bearer ${await stack.token(who)}` } : {} });
}

async function statistics(query: string) {
  const res = await fetchAs(admin, `/admin/statistics?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { from: string; to: string; groupBy: string[]; rows: Array<Record<string, unknown>> };
}

beforeAll(async () => {
  ca = await createTestCa();
  aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
  stack = await startStack({ listen: true, trust: { caPem: ca.pem } });
  await stack.addService(s1);
  await stack.addService(s2);
  // Every case projected twice, as retried projections would write it: nothing counts twice.
  await project(stack, Object.values(marchCases(s1, s2)), 2);
});
afterAll(async () => stack?.close());

const none = { appealsFiled: 0, appealsDecided: 0, appealsUpheld: 0, upheldRate: null };

describe('the figures of March 2025', () => {
  it('for everything: counts, rates, processing days without paused time, breaches when they happened, overdue now', async () => {
    const result = await statistics(MARCH);
    expect(result).toMatchObject({ from: '2025-03-01', to: '2025-03-31', groupBy: [] });
    expect(result.rows).toEqual([
      {
        // a1-a5 (a5 filed 00:30 on 1 March Moscow time), j1, j2, e1, i1; not a6 (February), a7 (1 April Moscow time), a8.
        filed: 9,
        // a1, a2, a3, a5, a6 (filed in February), e1.
        decided: 6,
        approved: 5,
        rejected: 1,
        approvalRate: 0.8333,
        // Of a1 8, a2 4, a3 1.25, a5 3, a6 9, e1 2, j1 2, j2 8: 37.25 / 8 = 4.65625; p90 between 8 and 9 at 0.3.
        avgProcessingDays: 4.6563,
        p90ProcessingDays: 8.3,
        // a4's on 21 March; not a8's, 23:30 on 28 February Moscow time.
        deadlineBreaches: 1,
        // a4 and a8, open past their deadline now, whatever the period.
        openOverdue: 2,
        appealsFiled: 2,
        appealsDecided: 2,
        appealsUpheld: 1,
        upheldRate: 0.5,
      },
    ]);
  });

  it('by agency, an appeal under the agency whose decision it contests, a registration under none', async () => {
    const { rows } = await statistics(`${MARCH}&groupBy=agency`);
    expect(rows).toEqual([
      { agency: 'fns', filed: 2, decided: 1, approved: 1, rejected: 0, approvalRate: 1, avgProcessingDays: 3, p90ProcessingDays: 3, deadlineBreaches: 1, openOverdue: 2, ...none },
      { agency: 'gibdd', filed: 1, decided: 1, approved: 1, rejected: 0, approvalRate: 1, avgProcessingDays: 2, p90ProcessingDays: 2, deadlineBreaches: 0, openOverdue: 0, ...none },
      {
        agency: 'mvd',
        filed: 5,
        decided: 4,
        approved: 3,
        rejected: 1,
        approvalRate: 0.75,
        // a1 8, a2 4, a3 1.25, a6 9, j1 2, j2 8.
        avgProcessingDays: 5.375,
        p90ProcessingDays: 8.5,
        deadlineBreaches: 0,
        openOverdue: 0,
        appealsFiled: 2,
        appealsDecided: 2,
        appealsUpheld: 1,
        upheldRate: 0.5,
      },
      { agency: null, filed: 1, decided: 0, approved: 0, rejected: 0, approvalRate: null, avgProcessingDays: null, p90ProcessingDays: null, deadlineBreaches: 0, openOverdue: 0, ...none },
    ]);
  });

  it('by case kind', async () => {
    const { rows } = await statistics(`${MARCH}&groupBy=kind`);
    expect(rows).toEqual([
      {
        kind: 'appeal',
        filed: 2,
        decided: 0,
        approved: 0,
        rejected: 0,
        approvalRate: null,
        avgProcessingDays: 5,
        p90ProcessingDays: 7.4,
        deadlineBreaches: 0,
        openOverdue: 0,
        appealsFiled: 2,
        appealsDecided: 2,
        appealsUpheld: 1,
        upheldRate: 0.5,
      },
      { kind: 'application', filed: 5, decided: 5, approved: 4, rejected: 1, approvalRate: 0.8, avgProcessingDays: 5.05, p90ProcessingDays: 8.6, deadlineBreaches: 1, openOverdue: 2, ...none },
      { kind: 'epts_change', filed: 1, decided: 1, approved: 1, rejected: 0, approvalRate: 1, avgProcessingDays: 2, p90ProcessingDays: 2, deadlineBreaches: 0, openOverdue: 0, ...none },
      { kind: 'identity', filed: 1, decided: 0, approved: 0, rejected: 0, approvalRate: null, avgProcessingDays: null, p90ProcessingDays: null, deadlineBreaches: 0, openOverdue: 0, ...none },
    ]);
  });

  it('by service and status, with the service names', async () => {
    const { rows } = await statistics(`${MARCH}&groupBy=service&groupBy=status`);
    const of = (service: string | null, status: string) => rows.find((r) => r.service === service && r.status === status);
    expect(of(s1.code, 'completed')).toMatchObject({ serviceName: s1.name, filed: 2, decided: 3, approved: 3, avgProcessingDays: 6.0833 });
    expect(of(s1.code, 'rejected')).toMatchObject({ serviceName: s1.name, filed: 1, decided: 1, approved: 0, approvalRate: 0 });
    expect(of(s1.code, 'upheld')).toMatchObject({ serviceName: s1.name, appealsFiled: 1, appealsUpheld: 1, upheldRate: 1 });
    expect(of(s1.code, 'dismissed')).toMatchObject({ serviceName: s1.name, appealsFiled: 1, appealsUpheld: 0, upheldRate: 0 });
    expect(of(s2.code, 'in_review')).toMatchObject({ serviceName: s2.name, filed: 1, deadlineBreaches: 1, openOverdue: 1 });
    expect(of(s2.code, 'submitted')).toMatchObject({ serviceName: s2.name, filed: 0, openOverdue: 1 });
    // The passport change and the registration have no catalogue service.
    expect(of(null, 'completed')).toMatchObject({ serviceName: null, filed: 1, decided: 1 });
    expect(of(null, 'confirmed')).toMatchObject({ serviceName: null, filed: 1 });
    expect(rows).toHaveLength(9);
  });

  it('counts a day by Moscow time at both ends of the period', async () => {
    // 1 March alone holds a5 (00:30 Moscow time) and e1, and a6's decision.
    expect((await statistics('from=2025-03-01&to=2025-03-01')).rows[0]).toMatchObject({ filed: 2, decided: 1, approved: 1 });
    // 1 April alone holds a7, filed 21:30 UTC on 31 March.
    expect((await statistics('from=2025-04-01&to=2025-04-01')).rows[0]).toMatchObject({ filed: 1, decided: 0 });
    // 28 February holds a8's breach at 23:30 Moscow time.
    expect((await statistics('from=2025-02-28&to=2025-02-28')).rows[0]).toMatchObject({ filed: 0, deadlineBreaches: 1 });
  });

  it('refuses a period that ends before it starts, and unknown groupings and formats, with the field', async () => {
    const backwards = await fetchAs(admin, '/admin/statistics?from=2025-03-31&to=2025-03-01');
    expect(backwards.status).toBe(400);
    expect(backwards.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await backwards.json()) as { errors: unknown }).errors).toEqual([{ path: '/querystring/to', message: 'must not be before from' }]);
    for (const query of [`${MARCH}&groupBy=applicant`, `${MARCH}&format=pdf`, 'to=2025-03-31', 'from=2025-02-30&to=2025-03-31', 'from=0001-01-01&to=2025-03-31']) {
      const res = await fetchAs(admin, `/admin/statistics?${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});

/** CSV as a spreadsheet program reads it: the header row names the fields; empty is no value. */
function csvRows(text: string): Array<Record<string, string>> {
  return parse(text, { bom: true, columns: true, skip_empty_lines: true });
}

async function xlsxRows(bytes: ArrayBuffer): Promise<Array<Record<string, ExcelJS.CellValue>>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes);
  const sheet = workbook.worksheets[0]!;
  const header = (sheet.getRow(1).values as ExcelJS.CellValue[]).slice(1) as string[];
  const rows: Array<Record<string, ExcelJS.CellValue>> = [];
  sheet.eachRow((row, i) => {
    if (i > 1) rows.push(Object.fromEntries(header.map((h, c) => [h, row.getCell(c + 1).value ?? null])));
  });
  return rows;
}

describe('the statistics as downloads', () => {
  const query = `${MARCH}&groupBy=service&groupBy=kind`;

  it('CSV: a header row and the very numbers of the JSON', async () => {
    const { rows } = await statistics(query);
    const res = await fetchAs(admin, `/admin/statistics?${query}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="statistics-2025-03-01-2025-03-31.csv"');
    const bytes = Buffer.from(await res.arrayBuffer());
    // UTF-8 with a byte-order mark, for spreadsheet programs.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text.split('\r\n')[0]).toBe(
      '\uFEFFservice,serviceName,kind,filed,decided,approved,rejected,approvalRate,avgProcessingDays,p90ProcessingDays,deadlineBreaches,openOverdue,appealsFiled,appealsDecided,appealsUpheld,upheldRate',
    );
    const fromCsv = csvRows(text);
    expect(fromCsv).toHaveLength(rows.length);
    // Numbers read back as the JSON's numbers; an empty field is the JSON's null.
    const back = fromCsv.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' ? null : ['service', 'serviceName', 'kind'].includes(k) ? v : Number(v)])));
    expect(back).toEqual(rows);
  });

  it('XLSX: typed cells, numbers as numbers, the same rows', async () => {
    const { rows } = await statistics(query);
    const res = await fetchAs(admin, `/admin/statistics?${query}&format=xlsx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const back = await xlsxRows(await res.arrayBuffer());
    for (const row of back) for (const key of ['filed', 'decided', 'openOverdue']) expect(typeof row[key]).toBe('number');
    expect(back).toEqual(rows);
  });
});

describe('cases that ran through the workflows', () => {
  const s3 = testService({ agency: 'mvd' });
  const today = dayOf(Date.now());
  const around = `from=${dayToDate(today - 1)}&to=${dayToDate(today + 1)}`;

  /** What the definition says a decided case's processing took: its clock's run from the term's start to the decision, pauses left out. */
  function processingSeconds(d: { decision: { decidedAt: string }; deadline: { history: Array<{ at: string }>; intervals: Array<{ kind: string; from: string; to: string }> } }) {
    const paused = d.deadline.intervals.filter((i) => i.kind === 'pause').reduce((sum, i) => sum + Date.parse(i.to) - Date.parse(i.from), 0);
    return (Date.parse(d.decision.decidedAt) - Date.parse(d.deadline.history[0]!.at) - paused) / 1000;
  }

  beforeAll(async () => {
    await stack.addService(s3);
    await seedDemoVehicles(stack.database.db);
    ok(await post(stack, alice, '/certificates', { certificatePem: aliceCert.pem }));
  });

  it('an application asked for more: its processing time leaves out the time the citizen took to answer', async () => {
    const { number } = await file(stack, alice, s3.code);
    await officially(stack, rita, number, 'claim');
    await officially(stack, rita, number, 'request-info', { message: 'Приложите скан', dueDays: 10 });
    ok(await act(stack, alice, number, 'answer', { comment: 'Прикладываю', documents: [] }), 200);
    await officially(stack, rita, number, 'decide', { outcome: 'approve', comment: 'Проверено' });
    const d = await eventually(stack, admin, number, 'completed');
    expect(d.deadline.intervals).toHaveLength(1);
    const seconds = processingSeconds(d);

    const [row] = await stack.database.sql`select decision, decided_at, processing_seconds from cases where number = ${number}`;
    expect(row).toMatchObject({ decision: 'approved' });
    expect(row!.processing_seconds).toBeCloseTo(seconds, 3);
    const { rows } = await statistics(`${around}&groupBy=service`);
    const days = Math.round((seconds / 86_400) * 10_000) / 10_000;
    expect(rows.find((r) => r.service === s3.code)).toMatchObject({ filed: 1, decided: 1, approved: 1, approvalRate: 1, avgProcessingDays: days, p90ProcessingDays: days });
  });

  it('a passport change asked for more: its projection now records the clock, so its processing time is known too', async () => {
    const res = await requestChange(stack, alice, LADA, { kind: 'technical', payload: { technical: { bodyType: 'универсал' } } }, aliceCert);
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    await officially(stack, igor, number, 'claim');
    await officially(stack, igor, number, 'request-info', { message: 'Приложите заключение' });
    ok(await post(stack, alice, `/cases/${number}/answer`, { comment: 'Прилагаю', documents: [] }));
    await officially(stack, igor, number, 'decide', { outcome: 'approve', comment: 'Проверено' });
    const d = await eventually(stack, admin, number, 'completed');
    expect(d.deadline.intervals).toEqual([expect.objectContaining({ kind: 'pause', reason: 'information_request' })]);
    const [row] = await stack.database.sql`select decision, processing_seconds from cases where number = ${number}`;
    expect(row).toMatchObject({ decision: 'approved' });
    expect(row!.processing_seconds).toBeCloseTo(processingSeconds(d), 3);
    const { rows } = await statistics(`${around}&groupBy=kind`);
    expect(rows.find((r) => r.kind === 'epts_change')).toMatchObject({ filed: 1, decided: 1, approved: 1 });
    await recordHistory(stack.client, number, 'epts-technical-info-answered-approved');
  });
});
