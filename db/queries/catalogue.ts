import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { CatalogueAction, CatalogueEntry, FieldChanges, ServiceDefinition } from '../../core/catalogue';
import type { WorkCalendar } from '../../core/deadline-clock';
import type { Db } from '../client';
import { calendarDays, catalogueChanges, services, serviceVersions } from '../schema';

export interface ServiceSearch {
  q?: string;
  category?: string;
  agency?: string;
  limit: number;
  offset: number;
}

type VersionRow = typeof serviceVersions.$inferSelect;

export function toServiceDefinition(row: VersionRow): ServiceDefinition & { version: number } {
  return {
    code: row.code,
    name: row.name,
    category: row.category as ServiceDefinition['category'],
    agency: row.agency,
    description: row.description,
    requiredDocuments: row.requiredDocuments as ServiceDefinition['requiredDocuments'],
    formSchema: row.formSchema,
    term: { days: row.termDays, unit: row.termUnit },
    fee: row.fee,
    minLevel: row.minLevel,
    partialEditAllowed: row.partialEditAllowed,
    resultType: row.resultType,
    paymentTermDays: row.paymentTermDays,
    infoTermDays: row.infoTermDays,
    version: row.version,
  };
}

const toEntry = (row: VersionRow): CatalogueEntry => ({ ...toServiceDefinition(row), retired: row.retired });

export function toVersionRow(s: ServiceDefinition & { version: number; retired?: boolean }): typeof serviceVersions.$inferInsert {
  return {
    code: s.code,
    version: s.version,
    name: s.name,
    category: s.category,
    agency: s.agency,
    description: s.description,
    requiredDocuments: s.requiredDocuments,
    formSchema: s.formSchema,
    termDays: s.term.days,
    termUnit: s.term.unit,
    fee: s.fee,
    minLevel: s.minLevel,
    partialEditAllowed: s.partialEditAllowed,
    resultType: s.resultType,
    paymentTermDays: s.paymentTermDays,
    infoTermDays: s.infoTermDays,
    retired: s.retired ?? false,
  };
}

/** Who made a catalogue change. */
export interface CatalogueActor {
  id: string;
  role: string;
}

export type CatalogueChangeRow = typeof catalogueChanges.$inferSelect;

/** The current version of each service, joined to the row that names it. */
const current = and(eq(serviceVersions.code, services.code), eq(serviceVersions.version, services.version));

/**
 * Autocomplete: every word of the query must prefix-match a word of the service's
 * name, description or code. Words are reduced to letters and digits, so user input
 * can never carry tsquery syntax.
 */
export function prefixQuery(q: string): string | undefined {
  const words = q
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 8);
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : undefined;
}

/** Citizens' search: current versions of services that are not retired. */
export async function searchServices(db: Db, s: ServiceSearch): Promise<{ items: ServiceDefinition[]; total: number }> {
  const where: SQL[] = [eq(serviceVersions.retired, false)];
  const tsq = s.q ? prefixQuery(s.q) : undefined;
  if (tsq) where.push(sql`${serviceVersions.searchVector} @@ to_tsquery('simple', ${tsq})`);
  if (s.category) where.push(eq(serviceVersions.category, s.category));
  if (s.agency) where.push(eq(serviceVersions.agency, s.agency));
  const rank = tsq ? sql`ts_rank(${serviceVersions.searchVector}, to_tsquery('simple', ${tsq})) desc` : sql`1`;
  const rows = await db
    .select({ row: serviceVersions, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(services)
    .innerJoin(serviceVersions, current)
    .where(and(...where))
    .orderBy(rank, asc(serviceVersions.name))
    .limit(s.limit)
    .offset(s.offset);
  return { items: rows.map((r) => toServiceDefinition(r.row)), total: rows[0]?.total ?? 0 };
}

/** The current version of a service that takes applications: none when unknown or retired. */
export async function getService(db: Db, code: string): Promise<(ServiceDefinition & { version: number }) | undefined> {
  const entry = await getCurrentEntry(db, code);
  if (!entry || entry.retired) return undefined;
  const { retired: _retired, ...service } = entry;
  return service;
}

/** The current version of a service, retired or not. */
export async function getCurrentEntry(db: Db, code: string): Promise<CatalogueEntry | undefined> {
  const [row] = await db
    .select({ row: serviceVersions })
    .from(services)
    .innerJoin(serviceVersions, current)
    .where(eq(services.code, code))
    .prepare('current_service')
    .execute();
  return row && toEntry(row.row);
}

/** One version of a service, current or not: the terms cases filed under it keep. */
export async function getServiceVersion(db: Db, code: string, version: number): Promise<CatalogueEntry | undefined> {
  const [row] = await db
    .select()
    .from(serviceVersions)
    .where(and(eq(serviceVersions.code, code), eq(serviceVersions.version, version)));
  return row && toEntry(row);
}

/**
 * A new service as its version 1 with its journal entry, in one transaction; false (and
 * nothing written) when the code is taken.
 */
export async function insertService(db: Db, entry: CatalogueEntry, actor: CatalogueActor, changes: FieldChanges): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [head] = await tx.insert(services).values({ code: entry.code, version: entry.version }).onConflictDoNothing().returning();
    if (!head) return false;
    await tx.insert(serviceVersions).values(toVersionRow(entry));
    await tx.insert(catalogueChanges).values({ code: entry.code, version: entry.version, action: 'created', actorId: actor.id, actorRole: actor.role, changes });
    return true;
  });
}

/**
 * The next version of a service with its journal entry, only if the current version is
 * still `after.version - 1`: false (and nothing written) when another change came first.
 */
export async function appendServiceVersion(
  db: Db,
  after: CatalogueEntry,
  action: CatalogueAction,
  actor: CatalogueActor,
  changes: FieldChanges,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [head] = await tx
      .update(services)
      .set({ version: after.version, updatedAt: sql`now()` })
      .where(and(eq(services.code, after.code), eq(services.version, after.version - 1)))
      .returning();
    if (!head) return false;
    await tx.insert(serviceVersions).values(toVersionRow(after));
    await tx.insert(catalogueChanges).values({ code: after.code, version: after.version, action, actorId: actor.id, actorRole: actor.role, changes });
    return true;
  });
}

export interface CatalogueChangeFilter {
  code?: string;
  limit: number;
  offset: number;
}

/** The catalogue's journal, newest first. */
export async function listCatalogueChanges(db: Db, f: CatalogueChangeFilter): Promise<{ items: CatalogueChangeRow[]; total: number }> {
  const rows = await db
    .select({ row: catalogueChanges, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(catalogueChanges)
    .where(f.code === undefined ? undefined : eq(catalogueChanges.code, f.code))
    .orderBy(desc(catalogueChanges.id))
    .limit(f.limit)
    .offset(f.offset);
  return { items: rows.map((r) => r.row), total: rows[0]?.total ?? 0 };
}

export async function getCalendar(db: Db): Promise<WorkCalendar> {
  const rows = await db.select().from(calendarDays);
  return {
    holidays: rows.filter((r) => r.kind === 'holiday').map((r) => r.day),
    workingWeekends: rows.filter((r) => r.kind === 'working_weekend').map((r) => r.day),
  };
}
