import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSTEM_ACTOR } from '../core/case-model';
import { serviceChanges, type ServiceDefinition } from '../core/catalogue';
import type { WorkCalendar } from '../core/deadline-clock';
import type { Passport } from '../core/vehicle';
import type { Db } from './client';
import { insertService } from './queries/catalogue';
import { insertVehicle } from './queries/vehicles';
import { calendarDays } from './schema';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seed');

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(path.join(dir, file), 'utf8')) as T;
}

/**
 * First-start reference data: the service catalogue and the working-day calendar.
 * Inserts only what is missing (a seeded service as its version 1), so an administrator's
 * later edits are never undone.
 */
export async function seedReferenceData(db: Db): Promise<{ services: number; days: number }> {
  const catalogue = await readJson<ServiceDefinition[]>('catalogue.json');
  const calendar = await readJson<WorkCalendar>('calendar.json');
  let addedServices = 0;
  for (const service of catalogue) {
    const entry = { ...service, version: 1, retired: false };
    if (await insertService(db, entry, SYSTEM_ACTOR, serviceChanges(undefined, entry))) addedServices++;
  }
  const days = [
    ...calendar.holidays.map((day) => ({ day, kind: 'holiday' as const })),
    ...calendar.workingWeekends.map((day) => ({ day, kind: 'working_weekend' as const })),
  ];
  const addedDays = days.length
    ? await db.insert(calendarDays).values(days).onConflictDoNothing().returning({ day: calendarDays.day })
    : [];
  return { services: addedServices, days: addedDays.length };
}

/**
 * Demonstration vehicles of the development citizens (`alice`, `bob`: the subjects of
 * minted tokens) as first passport versions. Not reference data: development only.
 * A VIN already present is left alone, whatever versions it has gained since.
 */
export async function seedDemoVehicles(db: Db): Promise<{ vehicles: number }> {
  const passports = await readJson<Passport[]>('vehicles.json');
  let added = 0;
  for (const passport of passports) if (await insertVehicle(db, passport)) added++;
  return { vehicles: added };
}
