import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JournalEntry } from '../../core/case-model';
import type { ProjectionBatch } from '../../core/case-projection';
import { connectDatabase, type Database } from '../../db/client';
import { writeProjection } from '../../db/queries/projection';
import { bareApplication, createTestDatabase, type TestDatabase } from '../support/db';

let scratch: TestDatabase;
/** One connection: the statements it has prepared are the ones `pg_prepared_statements` shows it. */
let one: Database;

beforeAll(async () => {
  scratch = await createTestDatabase();
  one = connectDatabase(scratch.url, 1);
});
afterAll(async () => {
  await one?.close();
  await scratch?.drop();
});

const batch = (version: number): ProjectionBatch => {
  const at = new Date(Date.UTC(2026, 11, 1, 9, version)).toISOString();
  const entry: JournalEntry = {
    seq: version,
    at,
    type: version === 1 ? 'submitted' : 'claimed',
    actor: { id: 'alice', role: 'citizen' },
    summary: `version ${version}`,
    notify: [{ recipient: 'alice', type: 'status_changed', title: `version ${version}` }],
  };
  return {
    projection: bareApplication({
      number: 'A-2026-0999001',
      version,
      status: version === 1 ? 'submitted' : 'in_review',
      serviceCode: 'certificate-of-no-record',
      agency: 'mvd',
      applicantId: 'alice',
      assigneeId: version === 1 ? null : 'rita',
      submittedAt: new Date(Date.UTC(2026, 11, 1, 9)).toISOString(),
      updatedAt: at,
    }),
    entries: [entry],
  };
};

const preparedOnTheConnection = async () =>
  (await one.sql<{ statement: string }[]>`select statement from pg_prepared_statements`).map((r) => r.statement.trim());

it("a case's projection goes out as prepared statements, which its next write of the same shape reuses", async () => {
  await writeProjection(one.db, batch(1), {});
  const afterFirst = await preparedOnTheConnection();
  // Unprepared, a statement would be parsed unnamed and not listed at all.
  for (const start of ['insert into "cases"', 'insert into journal', 'insert into "notifications"']) {
    expect(afterFirst.filter((s) => s.startsWith(start)), start).toHaveLength(1);
  }

  await writeProjection(one.db, batch(2), {});
  expect(await preparedOnTheConnection()).toHaveLength(afterFirst.length);
  const [row] = await one.sql`select version, status, assignee_id from cases where number = 'A-2026-0999001'`;
  expect(row).toEqual({ version: 2, status: 'in_review', assignee_id: 'rita' });
  const journal = await one.sql`select seq from journal where case_number = 'A-2026-0999001' order by seq`;
  expect(journal.map((r) => r.seq)).toEqual([1, 2]);
});
