/**
 * The caller's inbox: their own rows, and the shared rows of their team's address
 * (core/inbox-addresses.ts). A shared row has one read state for the whole team: whoever
 * marks it read marks it for everyone who shares it (`readBy` says who).
 */
import { notFound } from '../core/failures';
import { readableRecipients } from '../core/inbox-addresses';
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';
import { countUnread, listInbox, markInboxRead, markInboxRowRead, type InboxPage, type InboxRow } from '../db/queries/inbox';

export function inboxOf(db: Db, who: Principal, page: { limit: number; offset: number }): Promise<InboxPage> {
  return listInbox(db, readableRecipients(who), page);
}

export function unreadOf(db: Db, who: Principal): Promise<{ unread: number; capped: boolean }> {
  return countUnread(db, readableRecipients(who));
}

/** Marks one of the caller's rows read; anyone else's row is unknown to them. */
export async function markRead(db: Db, who: Principal, id: number): Promise<InboxRow> {
  const row = await markInboxRowRead(db, id, readableRecipients(who), who.id);
  if (!row) throw notFound(`notification ${id}`);
  return row;
}

/** Marks everything unread in the caller's inbox read; the count the next read shows. */
export async function markAllRead(db: Db, who: Principal): Promise<{ marked: number; unread: number; capped: boolean }> {
  const recipients = readableRecipients(who);
  const marked = await markInboxRead(db, recipients, who.id);
  return { marked, ...(await countUnread(db, recipients)) };
}
