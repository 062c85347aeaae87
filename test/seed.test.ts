import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_LEVELS } from '../core/case-model';
import { DOCUMENT_TYPES, SERVICE_CATEGORIES, type ServiceDefinition } from '../core/catalogue';
import type { WorkCalendar } from '../core/deadline-clock';
import type { Principal } from '../core/principal';
import { applyChange, checkPlate, checkVin, type Passport } from '../core/vehicle';
import { retireService, updateService } from '../admin/catalogue';
import { getCalendar, getCurrentEntry, getServiceVersion } from '../db/queries/catalogue';
import { applyPassportVersion, getPassport, listVehiclesOf } from '../db/queries/vehicles';
import { calendarDays, catalogueChanges, services, serviceVersions } from '../db/schema';
import { seedDemoVehicles, seedReferenceData } from '../db/seed';
import catalogueJson from '../db/seed/catalogue.json';
import calendarJson from '../db/seed/calendar.json';
import vehiclesJson from '../db/seed/vehicles.json';
import { createTestDatabase, type TestDatabase } from './support/db';

const catalogue = catalogueJson as unknown as ServiceDefinition[];
const calendar = calendarJson as WorkCalendar;
const demoVehicles = vehiclesJson as Passport[];
/** The service that end-to-end walks file: free, no documents, any account level. */
const WALK_SERVICE = 'certificate-of-no-record';
const walkService = () => catalogue.find((s) => s.code === WALK_SERVICE)!;

const root: Principal = { id: 'root', role: 'admin' };
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const count = async (table: typeof services | typeof serviceVersions | typeof catalogueChanges | typeof calendarDays) =>
  (await database.db.select({ n: sql<number>`count(*)::int` }).from(table))[0]!.n;

describe('seeding the reference data', () => {
  it('inserts the catalogue (each service as its version 1, journaled) and calendar once; a second run adds nothing and keeps admin edits', async () => {
    const days = calendar.holidays.length + calendar.workingWeekends.length;
    expect(await seedReferenceData(database.db)).toEqual({ services: catalogue.length, days });
    expect(await count(services)).toBe(catalogue.length);
    expect(await count(serviceVersions)).toBe(catalogue.length);
    expect(await count(catalogueChanges)).toBe(catalogue.length);
    expect(await count(calendarDays)).toBe(days);

    await updateService(database.db, root, WALK_SERVICE, 1, { name: 'Справка об отсутствии судимости (ред.)' });
    await retireService(database.db, root, WALK_SERVICE, 2);
    await database.db.update(calendarDays).set({ kind: 'working_weekend' }).where(eq(calendarDays.day, '2026-12-31'));

    expect(await seedReferenceData(database.db)).toEqual({ services: 0, days: 0 });
    expect(await count(services)).toBe(catalogue.length);
    expect(await count(calendarDays)).toBe(days);
    expect(await getCurrentEntry(database.db, WALK_SERVICE)).toMatchObject({ name: 'Справка об отсутствии судимости (ред.)', retired: true, version: 3 });
    const [day] = await database.db.select().from(calendarDays).where(eq(calendarDays.day, '2026-12-31'));
    expect(day?.kind).toBe('working_weekend');

    await database.db.update(calendarDays).set({ kind: 'holiday' }).where(eq(calendarDays.day, '2026-12-31'));
  });

  it("reads back every service's version 1 exactly as written in the seed file, and the calendar", async () => {
    for (const service of catalogue) expect(await getServiceVersion(database.db, service.code, 1)).toEqual({ ...service, version: 1, retired: false });
    const stored = await getCalendar(database.db);
    expect([...stored.holidays].sort()).toEqual([...calendar.holidays].sort());
    expect(stored.workingWeekends).toEqual(calendar.workingWeekends);
  });
});

describe('the seed catalogue', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);

  it.each(catalogue.map((s) => [s.code, s] as const))('%s is a well-formed service', (code, s) => {
    expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(SERVICE_CATEGORIES).toContain(s.category);
    expect(ACCOUNT_LEVELS).toContain(s.minLevel);
    for (const type of s.requiredDocuments) expect(DOCUMENT_TYPES).toContain(type);
    expect(['calendar', 'working']).toContain(s.term.unit);
    expect(s.term.days).toBeGreaterThan(0);
    expect(['electronic_document', 'in_person_pickup']).toContain(s.resultType);
    expect(s.paymentTermDays).toBeGreaterThan(0);
    expect(s.infoTermDays).toBeGreaterThan(0);
    expect(s.name).toMatch(/[а-яё]/i);
  });

  it.each(catalogue.map((s) => [s.code, s] as const))('%s has a strict draft-07 form schema its examples pass', (_code, s) => {
    expect(s.formSchema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false });
    expect((s.formSchema.required as string[]).length).toBeGreaterThan(0);
    const validate = ajv.compile(s.formSchema);
    const examples = s.formSchema.examples as Record<string, unknown>[];
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...examples[0], unexpected: 1 })).toBe(false);
  });

  it('prices a fee by a field only through values that field can take', () => {
    for (const s of catalogue.filter((x) => x.fee.byField)) {
      const { field, amounts } = s.fee.byField!;
      const property = (s.formSchema.properties as Record<string, { enum?: unknown[] }>)[field];
      expect(property?.enum, `${s.code}.${field}`).toBeDefined();
      for (const value of Object.keys(amounts)) expect(property!.enum!.map(String)).toContain(value);
    }
  });

  it(`offers ${WALK_SERVICE} for walks: free, no documents, any account, editable, calendar days`, () => {
    const s = walkService();
    expect(s).toMatchObject({ requiredDocuments: [], minLevel: 'simplified', partialEditAllowed: true, term: { unit: 'calendar' }, fee: { base: 0 } });
    expect(s.fee.byField).toBeUndefined();
    const validate = ajv.compile(s.formSchema);
    expect(validate({ purpose: 'employment', birthPlace: 'г. Казань', copies: 1 })).toBe(true);
    expect(validate({ purpose: 'employment', copies: 1 })).toBe(false);
    expect(validate({ purpose: 'astrology', birthPlace: 'г. Казань', copies: 1 })).toBe(false);
  });

  it('is the only free service without required documents, so that walks always pick it', () => {
    const walkable = catalogue.filter((s) => s.fee.base === 0 && !s.fee.byField && s.requiredDocuments.length === 0);
    expect(walkable.map((s) => s.code)).toEqual([WALK_SERVICE]);
  });
});

describe('the seed calendar', () => {
  const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();
  const all = [...calendar.holidays, ...calendar.workingWeekends];

  it('lists non-working weekdays and working weekend days, each once', () => {
    expect(new Set(all).size).toBe(all.length);
    for (const day of calendar.holidays) expect([1, 2, 3, 4, 5], day).toContain(weekday(day));
    for (const day of calendar.workingWeekends) expect([0, 6], day).toContain(weekday(day));
  });

  it.each([2026, 2027])('has every public holiday of %i off', (year) => {
    const fixed = ['01-01', '01-02', '01-03', '01-04', '01-05', '01-06', '01-07', '01-08', '02-23', '03-08', '05-01', '05-09', '06-12', '11-04'];
    for (const md of fixed) {
      const day = `${year}-${md}`;
      if (![0, 6].includes(weekday(day))) expect(calendar.holidays, day).toContain(day);
    }
  });
});

describe('the demo vehicles', () => {
  it.each(demoVehicles.map((v) => [v.vin, v] as const))('%s is a consistent passport', (vin, v) => {
    expect(checkVin(vin)).toMatchObject({ ok: true, vin });
    for (const r of v.registrations) expect(checkPlate(r.plate)).toEqual({ ok: true, plate: r.plate });
    const open = v.owners.filter((o) => !o.to);
    expect(open.map((o) => o.ownerId)).toEqual([v.ownerId]);
    if (v.status === 'active') expect(v.registrations.filter((r) => !r.to).map((r) => r.plate)).toEqual([v.plate]);
    else expect(v).toMatchObject({ plate: null, annulment: { reason: expect.any(String) } });
  });

  it('belong to the development citizens alice and bob', () => {
    expect(new Set(demoVehicles.map((v) => v.ownerId))).toEqual(new Set(['alice', 'bob']));
  });

  it('are inserted once as version 1; a second run neither adds nor rewinds anything', async () => {
    expect(await seedDemoVehicles(database.db)).toEqual({ vehicles: demoVehicles.length });
    const alices = demoVehicles.filter((v) => v.ownerId === 'alice');
    expect((await listVehiclesOf(database.db, 'alice')).map((v) => v.vin)).toEqual(alices.map((v) => v.vin).sort());
    for (const v of demoVehicles) expect(await getPassport(database.db, v.vin)).toMatchObject({ version: 1, currentVersion: 1, data: v, caseNumber: null });

    const [first] = alices;
    const next = applyChange(first!, { kind: 'technical', payload: { technical: { color: 'зелёный' } } }, new Date().toISOString(), 'E-2026-0000001');
    await applyPassportVersion(database.db, { vin: first!.vin, expectedVersion: 1, data: next, caseNumber: 'E-2026-0000001' });

    expect(await seedDemoVehicles(database.db)).toEqual({ vehicles: 0 });
    expect(await getPassport(database.db, first!.vin)).toMatchObject({ version: 2, data: { technical: { color: 'зелёный' } } });
  });
});
