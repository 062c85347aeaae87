import { randomBytes, randomInt } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { Actor, CaseProjectionHead, JournalEntry } from '../../core/case-model';
import type { ApplicationDetail, CaseProjectionOf } from '../../core/case-projection';
import { connectDatabase, migrateDatabase, type Database } from '../../db/client';
import type { JournalRow } from '../../db/queries/cases';

export interface TestDatabase extends Database {
  url: string;
  /** Closes connections and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of the test file's own (on the run's shared server unless told); dropped in afterAll. */
export async function createTestDatabase(adminUrl = inject('adminDatabaseUrl')): Promise<TestDatabase> {
  const name = `cases_test_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const database = connectDatabase(url.toString(), 5);
  // Test files share one Temporal server, where a case number is a workflow id: give
  // each database its own range of numbers.
  await database.sql.unsafe(`alter sequence case_number_seq restart with ${1 + randomInt(9_000_000)}`);
  return {
    ...database,
    url: url.toString(),
    async drop() {
      await database.close();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Journal rows as the workflow handed them to the projection: to write them again. */
export const journalEntriesOf = (rows: JournalRow[]): JournalEntry[] =>
  rows.map((r) => ({
    seq: r.seq,
    at: r.at,
    type: r.type,
    actor: { id: r.actorId, role: r.actorRole as Actor['role'] },
    ...(r.clientAddress === null ? {} : { clientAddress: r.clientAddress }),
    summary: r.summary,
    ...(r.data === null ? {} : { data: r.data }),
  }));

/** An application's projection with no assignee, deadlines, relations or detail: the fields a test names, and nothing else. */
export const bareApplication = (
  head: Pick<CaseProjectionHead, 'number' | 'version' | 'status' | 'serviceCode' | 'agency' | 'applicantId' | 'submittedAt' | 'updatedAt'> &
    Partial<CaseProjectionHead>,
): CaseProjectionOf<'application'> => ({
  kind: 'application',
  assigneeId: null,
  legalDueDate: null,
  expectedDueDate: null,
  dueAt: null,
  overdue: false,
  closedAt: null,
  relatedNumber: null,
  detail: {} as ApplicationDetail,
  ...head,
});
