import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { accessJournal } from '../schema';

export type AccessRow = typeof accessJournal.$inferSelect;
export type NewAccessRow = Omit<typeof accessJournal.$inferInsert, 'id' | 'at'>;

export async function insertAccessRows(db: Db, rows: NewAccessRow[]): Promise<void> {
  await db.insert(accessJournal).values(rows);
}

export interface AccessFilter {
  subject?: string;
  actor?: string;
  /** Inclusive, ISO 8601. */
  from?: string;
  /** Exclusive, ISO 8601. */
  to?: string;
  /** Only rows older than this id: the page after the one that ended there. */
  beforeId?: number;
  limit: number;
}

/** Newest first (by id: rows are numbered as they are written), off the subject's or the actor's index when one is named. */
export async function listAccessRows(db: Db, f: AccessFilter): Promise<AccessRow[]> {
  const where: SQL[] = [];
  if (f.subject !== undefined) where.push(eq(accessJournal.subjectId, f.subject));
  if (f.actor !== undefined) where.push(eq(accessJournal.actorId, f.actor));
  if (f.from !== undefined) where.push(gte(accessJournal.at, f.from));
  if (f.to !== undefined) where.push(lt(accessJournal.at, f.to));
  if (f.beforeId !== undefined) where.push(lt(accessJournal.id, f.beforeId));
  return db
    .select()
    .from(accessJournal)
    .where(and(...where))
    .orderBy(desc(accessJournal.id))
    .limit(f.limit);
}
