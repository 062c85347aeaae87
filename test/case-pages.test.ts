import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COUNT_CAP, listApplicantCases, listQueue } from '../db/queries/cases';
import { createTestDatabase, type TestDatabase } from './support/db';

let database: TestDatabase;
const OPEN = ['submitted', 'in_review'];

/**
 * `n` open applications of agency mvd, due one minute apart from 2027-01-01 on, the last
 * `undated` without a due time; numbers start with the applicant id's length, so two seeds never collide.
 */
async function seed(n: number, applicantId: string, undated = 0): Promise<void> {
  await database.db.execute(sql`
    insert into cases (number, kind, version, status, agency, applicant_id, submitted_at, updated_at, due_at, detail)
    select 'A-2026-' || lpad(${applicantId.length}::text || g::text, 7, '0'), 'application', 1,
           case when g % 2 = 0 then 'submitted' else 'in_review' end, 'mvd', ${applicantId},
           timestamptz '2026-12-01' + g * interval '1 second', now(),
           case when g > ${n - undated} then null else timestamptz '2027-01-01' + g * interval '1 minute' end,
           jsonb_build_object('serviceName', 'Справка ' || g, 'appeals', jsonb_build_object('underAppeal', case when g = 1 then 'J-2026-0000001' end))
    from generate_series(1, ${n}) g`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await seed(COUNT_CAP + 5, 'many', 3);
  await seed(3, 'few-one');
});
afterAll(async () => database?.drop());

it('counts a queue up to the cap and says when it stopped there', async () => {
  const page = await listQueue(database.db, { kinds: ['application'], agency: 'mvd', openStatuses: OPEN, limit: 20, offset: 0 });
  expect(page.total).toBe(COUNT_CAP);
  expect(page.totalCapped).toBe(true);
  expect(page.items).toHaveLength(20);
  const due = page.items.map((r) => r.dueAt);
  expect(due).toEqual([...due].sort());
});

it('keeps undated cases last, in submission order', async () => {
  const lastPage = await listQueue(database.db, { kinds: ['application'], agency: 'mvd', openStatuses: OPEN, limit: 3, offset: COUNT_CAP + 5 });
  expect(lastPage.items.map((r) => r.dueAt)).toEqual([null, null, null]);
  expect(lastPage.items.map((r) => r.applicantId)).toEqual(['many', 'many', 'many']);
});

it('counts a short list exactly', async () => {
  const page = await listApplicantCases(database.db, { applicantId: 'few-one', limit: 2, offset: 0 });
  expect(page).toMatchObject({ total: 3, totalCapped: false });
  expect(page.items).toHaveLength(2);
});

it("reads a list's summary fields out of the detail, not the detail itself", async () => {
  const page = await listApplicantCases(database.db, { applicantId: 'few-one', limit: 3, offset: 0 });
  const first = page.items.find((r) => r.number.endsWith('71'))!;
  expect(first).toMatchObject({ serviceName: 'Справка 1', underAppeal: 'J-2026-0000001' });
  expect(page.items.filter((r) => r.underAppeal === null)).toHaveLength(2);
  expect(page.items[0]).not.toHaveProperty('detail');
});

it('fills one prepared query of a shape with each request’s own values', async () => {
  const base = { kinds: ['application'] as const, agency: 'mvd', openStatuses: OPEN, limit: 5, offset: 0 };
  const submitted = await listQueue(database.db, { ...base, status: 'submitted' });
  const inReview = await listQueue(database.db, { ...base, status: 'in_review' });
  expect(submitted.items.map((r) => r.status)).toEqual(Array(5).fill('submitted'));
  expect(inReview.items.map((r) => r.status)).toEqual(Array(5).fill('in_review'));
  expect(await listQueue(database.db, { ...base, agency: 'fns' })).toMatchObject({ items: [], total: 0 });
  expect((await listQueue(database.db, { ...base, openStatuses: ['approved'] })).total).toBe(0);
  expect((await listQueue(database.db, { ...base, kinds: ['appeal'] })).total).toBe(0);
  const second = await listQueue(database.db, { ...base, offset: 5 });
  expect(second.items[0]!.dueAt! > submitted.items[0]!.dueAt!).toBe(true);
});

it('filters a citizen’s list by status and by submission day, both ends inclusive', async () => {
  const few = { applicantId: 'few-one', limit: 10, offset: 0 };
  // few-one's cases: g = 1, 2, 3 submitted 2026-12-01 00:00:01…03, statuses in_review, submitted, in_review.
  expect((await listApplicantCases(database.db, { ...few, status: 'in_review' })).total).toBe(2);
  expect((await listApplicantCases(database.db, { ...few, status: 'submitted' })).total).toBe(1);
  expect((await listApplicantCases(database.db, { ...few, submittedFrom: '2026-12-01', submittedTo: '2026-12-01' })).total).toBe(3);
  expect((await listApplicantCases(database.db, { ...few, submittedFrom: '2026-12-02' })).total).toBe(0);
  expect((await listApplicantCases(database.db, { ...few, submittedTo: '2026-11-30' })).total).toBe(0);
});
