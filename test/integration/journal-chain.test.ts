import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { connectDatabase, migrateDatabase } from '../../db/client';
import { getTimeline } from '../../db/queries/cases';
import { appendJournalEntries, checkJournalChain } from '../../db/queries/journal-chain';
import { journalEntriesOf } from '../support/db';
import { file, get, ok, post } from '../support/http';
import { alice, rita } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const admin: Principal = { id: 'root', role: 'admin' };
const verification = (number: string) => `/admin/cases/${number}/journal/verification`;

describe('the verification endpoint', () => {
  const service = testService();
  let stack: Stack;
  let tampered: string;
  let untouched: string;

  beforeAll(async () => {
    stack = await startStack();
    await stack.addService(service);
    ({ number: tampered } = await file(stack, alice, service.code));
    ok(await post(stack, alice, `/cases/${tampered}/cancel`), 200);
    ok(await post(stack, alice, `/cases/${tampered}/restore`), 200);
    ({ number: untouched } = await file(stack, alice, service.code));
  });
  afterAll(async () => stack?.close());

  it('finds an untouched case intact and names its last hash', async () => {
    const rows = await stack.database.sql`select seq, hash from journal where case_number = ${tampered} order by seq`;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(ok(await get(stack, admin, verification(tampered)), 200)).toEqual({
      number: tampered,
      intact: true,
      entries: rows.length,
      firstMismatch: null,
      lastHash: rows.at(-1)!.hash,
    });
  });

  it('is for administrators only, and knows no unknown case', async () => {
    expect((await get(stack, alice, verification(tampered))).statusCode).toBe(403);
    expect((await get(stack, rita, verification(tampered))).statusCode).toBe(403);
    expect((await get(stack, admin, verification('A-1999-0000001'))).statusCode).toBe(404);
  });

  it('names the entry altered in the database; a rewritten hash moves the mismatch to the next entry', async () => {
    await stack.database.sql`update journal set summary = summary || ' (исправлено)' where case_number = ${tampered} and seq = 2`;
    expect(ok(await get(stack, admin, verification(tampered)), 200)).toMatchObject({ intact: false, firstMismatch: 2 });
    expect(ok(await get(stack, admin, verification(untouched)), 200)).toMatchObject({ intact: true, firstMismatch: null });

    // Covering the change by recomputing its hash breaks the link of the entry after it.
    await stack.database.sql`
      update journal j set hash = journal_entry_hash(p.hash, j.case_number, j.seq, j.at, j.type, j.actor_id, j.actor_role, j.client_address, j.summary, j.data)
      from journal p where p.case_number = j.case_number and p.seq = 1 and j.case_number = ${tampered} and j.seq = 2`;
    expect(ok(await get(stack, admin, verification(tampered)), 200)).toMatchObject({ intact: false, firstMismatch: 3 });
  });
});

describe('the migration of an old database', () => {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `cases_chain_${Date.now().toString(36)}`;
  const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  let folder: string;

  beforeAll(async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    // The migrations as they were before the chain.
    folder = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await cp(path.resolve('db/migrations'), folder, { recursive: true });
    const journalFile = path.join(folder, 'meta/_journal.json');
    const meta = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { tag: string }[] };
    meta.entries = meta.entries.slice(0, meta.entries.findIndex((e) => e.tag.endsWith('_journal_chain')));
    await writeFile(journalFile, JSON.stringify(meta));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('backfills the chain of existing entries exactly as the projection computes it', async () => {
    const old = postgres(url, { max: 1, onnotice: () => {} });
    await migrate(drizzle(old), { migrationsFolder: folder });
    await old`
      insert into cases (number, kind, version, status, applicant_id, submitted_at, updated_at, detail)
      values ('A-2020-0000001', 'application', 3, 'submitted', 'alice', now(), now(), '{}'),
             ('A-2020-0000002', 'application', 1, 'submitted', 'bob', now(), now(), '{}')`;
    await old`
      insert into journal (case_number, seq, at, type, actor_id, actor_role, client_address, summary, data) values
        ('A-2020-0000001', 1, '2020-03-01T09:15:00.123Z', 'filed', 'alice', 'citizen', '10.0.0.7', 'Заявление подано', '{"form": {"copies": 1, "purpose": "для работы"}, "amount": 1.5}'),
        ('A-2020-0000001', 2, '2020-03-02T00:00:00Z', 'cancelled', 'alice', 'citizen', null, 'Отозвано «заявителем»', null),
        ('A-2020-0000001', 3, '2020-03-03T12:00:00.5Z', 'restored', 'system', 'system', null, 'Восстановлено', '{"reason": "window"}'),
        ('A-2020-0000002', 1, '2020-03-01T09:15:00Z', 'filed', 'bob', 'citizen', null, 'Заявление подано', '{}')`;
    await old.end();

    await migrateDatabase(url);
    const database = connectDatabase(url, 1);
    try {
      for (const [number, entries] of [['A-2020-0000001', 3], ['A-2020-0000002', 1]] as const) {
        expect(await checkJournalChain(database.db, number)).toMatchObject({ entries, firstMismatch: null });
      }
      const backfilled = await getTimeline(database.db, 'A-2020-0000001');
      await database.sql`delete from journal where case_number = 'A-2020-0000001'`;
      // Written again by the projection's insert, in two batches as a workflow would.
      const entries = journalEntriesOf(backfilled);
      await database.db.transaction((tx) => appendJournalEntries(tx, 'A-2020-0000001', entries.slice(0, 1)));
      await database.db.transaction((tx) => appendJournalEntries(tx, 'A-2020-0000001', entries.slice(1)));
      expect((await getTimeline(database.db, 'A-2020-0000001')).map((r) => r.hash)).toEqual(backfilled.map((r) => r.hash));
    } finally {
      await database.close();
    }
  });
});
