import { and, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { CaseProjection } from '../../core/case-projection';
import type { JournalEntry } from '../../core/case-model';
import { inboxDeliveries, type SupervisorDirectory } from '../../core/inbox-addresses';
import type { Db, Tx } from '../client';
import { cases, notifications } from '../schema';
import { COUNT_CAP } from './cases';


/**
 * The inbox rows of a projection batch's notification intents, role addresses expanded
 * (core/inbox-addresses.ts). Keyed by (case, seq, recipient): a retried batch adds nothing,
 * and a person named twice for one entry (the assignee who also supervises) gets one row.
 */
export async function writeInbox(tx: Tx, p: CaseProjection, entries: JournalEntry[], supervisors: SupervisorDirectory): Promise<void> {
  const rows = entries.flatMap((e) =>
    (e.notify ?? []).flatMap((n) =>
      inboxDeliveries(n.recipient, supervisors).map(({ recipient, via }) => ({
        recipient,
        via,
        caseNumber: p.number,
        seq: e.seq,
        type: n.type,
        title: n.title,
        createdAt: e.at,
      })),
    ),
  );
  if (rows.length) await tx.insert(notifications).values(rows).onConflictDoNothing().prepare('inbox_rows').execute();
}

const itemColumns = {
  id: notifications.id,
  recipient: notifications.recipient,
  via: notifications.via,
  type: notifications.type,
  title: notifications.title,
  caseNumber: notifications.caseNumber,
  caseKind: cases.kind,
  createdAt: notifications.createdAt,
  readAt: notifications.readAt,
  readBy: notifications.readBy,
};

export interface InboxRow {
  id: number;
  recipient: string;
  via: string | null;
  type: string;
  title: string;
  caseNumber: string;
  caseKind: string;
  createdAt: string;
  readAt: string | null;
  readBy: string | null;
}

export interface InboxPage {
  items: InboxRow[];
  total: number;
  totalCapped: boolean;
}

const addressedTo = (recipients: readonly string[]): SQL => inArray(notifications.recipient, [...recipients]);

/** The rows addressed to `recipients`, unread first, then newest; counted like the case lists (up to COUNT_CAP). */
export async function listInbox(db: Db, recipients: readonly string[], p: { limit: number; offset: number }): Promise<InboxPage> {
  const where = addressedTo(recipients);
  const matching = db.select({ one: sql`1` }).from(notifications).where(where).limit(COUNT_CAP + 1).as('matching');
  const [items, [counted]] = await Promise.all([
    db
      .select(itemColumns)
      .from(notifications)
      .innerJoin(cases, eq(cases.number, notifications.caseNumber))
      .where(where)
      .orderBy(sql`${notifications.readAt} is not null`, desc(notifications.createdAt), desc(notifications.id))
      .limit(p.limit)
      .offset(p.offset),
    db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(matching),
  ]);
  const n = counted?.n ?? 0;
  return { items, total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
}

/** How many of the rows addressed to `recipients` are unread, up to COUNT_CAP. */
export async function countUnread(db: Db, recipients: readonly string[]): Promise<{ unread: number; capped: boolean }> {
  const unread = db
    .select({ one: sql`1` })
    .from(notifications)
    .where(and(addressedTo(recipients), isNull(notifications.readAt)))
    .limit(COUNT_CAP + 1)
    .as('unread');
  const [counted] = await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(unread);
  const n = counted?.n ?? 0;
  return { unread: Math.min(n, COUNT_CAP), capped: n > COUNT_CAP };
}

/**
 * Marks one row read by `reader` if it is addressed to `recipients` and still unread
 * (a second mark keeps the first time and reader); the row as it then stands, or
 * undefined when `recipients` do not include its recipient.
 */
export async function markInboxRowRead(db: Db, id: number, recipients: readonly string[], reader: string): Promise<InboxRow | undefined> {
  const mine = and(eq(notifications.id, id), addressedTo(recipients));
  await db
    .update(notifications)
    .set({ readAt: sql`now()`, readBy: reader })
    .where(and(mine, isNull(notifications.readAt)));
  const [row] = await db.select(itemColumns).from(notifications).innerJoin(cases, eq(cases.number, notifications.caseNumber)).where(mine);
  return row;
}

/** Marks every unread row addressed to `recipients` read by `reader`; how many it marked. */
export async function markInboxRead(db: Db, recipients: readonly string[], reader: string): Promise<number> {
  const marked = await db
    .update(notifications)
    .set({ readAt: sql`now()`, readBy: reader })
    .where(and(addressedTo(recipients), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return marked.length;
}
