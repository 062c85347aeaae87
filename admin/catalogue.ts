/**
 * Administrators' changes to the service catalogue (SPEC §3, §9). Every change is a new
 * immutable version, made only from the version the administrator saw, and journaled
 * field by field; cases keep the version they were filed under, new cases take the current one.
 */
import { serviceChanges, type CatalogueAction, type CatalogueEntry, type ServiceDefinition, type ServiceFields } from '../core/catalogue';
import { conflict, FailureType, invalidState, notFound, Refusal } from '../core/failures';
import type { Principal } from '../core/principal';
import { formSchemaErrors } from '../cases/form-validation';
import type { Db } from '../db/client';
import { appendServiceVersion, getCurrentEntry, insertService } from '../db/queries/catalogue';

/** A form schema filing could not compile is refused when saved, not at the first filing. */
function checkFormSchema(schema: Record<string, unknown>): void {
  const errors = formSchemaErrors(schema, '/body/formSchema');
  if (errors.length) throw new Refusal(FailureType.Unprocessable, 'the form schema cannot validate applications', { errors });
}

const stale = (code: string, saw: number, current: number) =>
  new Refusal(FailureType.StaleVersion, `service ${code} changed: you saw version ${saw}, it is now ${current}`, { currentVersion: current });

export async function createService(db: Db, who: Principal, service: Omit<ServiceDefinition, 'version'>): Promise<CatalogueEntry> {
  checkFormSchema(service.formSchema);
  const entry: CatalogueEntry = { ...service, version: 1, retired: false };
  if (!(await insertService(db, entry, who, serviceChanges(undefined, entry)))) throw conflict(`service ${service.code} exists already`);
  return entry;
}

/** The current version of `code` if it is still `version`, and one an administrator may change. */
async function editable(db: Db, code: string, version: number): Promise<CatalogueEntry> {
  const current = await getCurrentEntry(db, code);
  if (!current) throw notFound(`service ${code}`);
  if (current.version !== version) throw stale(code, version, current.version);
  if (current.retired) throw invalidState(`service ${code} is retired and can no longer change`);
  return current;
}

async function append(db: Db, who: Principal, before: CatalogueEntry, after: CatalogueEntry, action: CatalogueAction): Promise<CatalogueEntry> {
  if (!(await appendServiceVersion(db, after, action, who, serviceChanges(before, after)))) {
    const now = await getCurrentEntry(db, before.code);
    throw stale(before.code, before.version, now?.version ?? before.version);
  }
  return after;
}

/** The changed fields as the next version; asking for no change makes none. */
export async function updateService(db: Db, who: Principal, code: string, version: number, fields: Partial<ServiceFields>): Promise<CatalogueEntry> {
  const current = await editable(db, code, version);
  if (fields.formSchema) checkFormSchema(fields.formSchema);
  const next: CatalogueEntry = { ...current, ...fields, version: current.version + 1 };
  if (!Object.keys(serviceChanges(current, next)).length) return current;
  return append(db, who, current, next, 'updated');
}

/** A retired service takes no new applications; its cases carry on under their versions. */
export async function retireService(db: Db, who: Principal, code: string, version: number): Promise<CatalogueEntry> {
  const current = await editable(db, code, version);
  return append(db, who, current, { ...current, retired: true, version: current.version + 1 }, 'retired');
}
