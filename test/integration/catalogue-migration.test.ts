import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { updateService } from '../../admin/catalogue';
import { serviceChanges, type ServiceDefinition } from '../../core/catalogue';
import { connectDatabase, migrateDatabase } from '../../db/client';
import { getCurrentEntry, getService, getServiceVersion, listCatalogueChanges } from '../../db/queries/catalogue';
import catalogueJson from '../../db/seed/catalogue.json';

const catalogue = catalogueJson as unknown as ServiceDefinition[];
const adminUrl = inject('adminDatabaseUrl');
const name = `cases_catalogue_${Date.now().toString(36)}`;
const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
let folder: string;

beforeAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  // The migrations as they were before services had versions.
  folder = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  await cp(path.resolve('db/migrations'), folder, { recursive: true });
  const journalFile = path.join(folder, 'meta/_journal.json');
  const meta = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { tag: string }[] };
  meta.entries = meta.entries.slice(0, meta.entries.findIndex((e) => e.tag.endsWith('_catalogue_versions')));
  await writeFile(journalFile, JSON.stringify(meta));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
});

it('makes every service of an old database its version 1, journaled as created, retired where it was inactive', async () => {
  const old = postgres(url, { max: 1, onnotice: () => {} });
  await migrate(drizzle(old), { migrationsFolder: folder });
  const inactive = catalogue[1]!.code;
  for (const s of catalogue) {
    await old`
      insert into services (code, name, category, agency, description, required_documents, form_schema, term_days, term_unit,
                            fee, min_level, partial_edit_allowed, result_type, payment_term_days, info_term_days, active)
      values (${s.code}, ${s.name}, ${s.category}, ${s.agency}, ${s.description}, ${JSON.stringify(s.requiredDocuments)}::jsonb, ${JSON.stringify(s.formSchema)}::jsonb,
              ${s.term.days}, ${s.term.unit}, ${JSON.stringify(s.fee)}::jsonb, ${s.minLevel}, ${s.partialEditAllowed}, ${s.resultType},
              ${s.paymentTermDays}, ${s.infoTermDays}, ${s.code !== inactive})`;
  }
  await old.end();

  await migrateDatabase(url);
  const database = connectDatabase(url, 1);
  try {
    const journal = await listCatalogueChanges(database.db, { limit: 100, offset: 0 });
    expect(journal.total).toBe(catalogue.length);
    for (const s of catalogue) {
      const entry = { ...s, version: 1, retired: s.code === inactive };
      expect(await getServiceVersion(database.db, s.code, 1)).toEqual(entry);
      expect(await getCurrentEntry(database.db, s.code)).toEqual(entry);
      // The same field-by-field record an administrator's creation writes.
      const created = journal.items.find((c) => c.code === s.code);
      expect(created).toMatchObject({ version: 1, action: 'created', actorId: 'system', actorRole: 'system', changes: serviceChanges(undefined, entry) });
    }
    expect(await getService(database.db, inactive)).toBeUndefined();

    // Administrators change a migrated service like any other.
    const code = catalogue[0]!.code;
    await updateService(database.db, { id: 'root', role: 'admin' }, code, 1, { term: { days: 20, unit: 'working' } });
    expect(await getService(database.db, code)).toMatchObject({ version: 2, term: { days: 20, unit: 'working' } });
  } finally {
    await database.close();
  }
});
