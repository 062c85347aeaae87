import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { ServiceDefinition } from '../../core/catalogue';
import type { WorkCalendar } from '../../core/deadline-clock';
import type { Db } from '../client';
import { calendarDays, services } from '../schema';

export interface ServiceSearch {
  q?: string;
  category?: string;
  agency?: string;
  limit: number;
  offset: number;
}

type ServiceRow = typeof services.$inferSelect;

export function toServiceDefinition(row: ServiceRow): ServiceDefinition {
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
  };
}

export function toServiceRow(s: ServiceDefinition): typeof services.$inferInsert {
  return {
    code: s.code,
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
  };
}

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

export async function searchServices(db: Db, s: ServiceSearch): Promise<{ items: ServiceDefinition[]; total: number }> {
  const where: SQL[] = [eq(services.active, true)];
  const tsq = s.q ? prefixQuery(s.q) : undefined;
  if (tsq) where.push(sql`${services.searchVector} @@ to_tsquery('simple', ${tsq})`);
  if (s.category) where.push(eq(services.category, s.category));
  if (s.agency) where.push(eq(services.agency, s.agency));
  const rank = tsq ? sql`ts_rank(${services.searchVector}, to_tsquery('simple', ${tsq})) desc` : sql`1`;
  const rows = await db
    .select({ row: services, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(services)
    .where(and(...where))
    .orderBy(rank, asc(services.name))
    .limit(s.limit)
    .offset(s.offset);
  return { items: rows.map((r) => toServiceDefinition(r.row)), total: rows[0]?.total ?? 0 };
}

export async function getService(db: Db, code: string): Promise<ServiceDefinition | undefined> {
  const [row] = await db.select().from(services).where(and(eq(services.code, code), eq(services.active, true)));
  return row && toServiceDefinition(row);
}

export async function getCalendar(db: Db): Promise<WorkCalendar> {
  const rows = await db.select().from(calendarDays);
  return {
    holidays: rows.filter((r) => r.kind === 'holiday').map((r) => r.day),
    workingWeekends: rows.filter((r) => r.kind === 'working_weekend').map((r) => r.day),
  };
}
