import { eq, inArray, sql } from 'drizzle-orm';
import type { ProjectionBatch } from '../../core/case-projection';
import { noticeContext, noticeText } from '../../core/notice-texts';
import { effectiveChannels, plannedNotices, type NoticeChoices } from '../../core/notices';
import type { Db } from '../client';
import { accounts, notificationPreferences, outbox } from '../schema';
import type { Tx } from './deliveries';

/** The key of a notice's message: one per (entry, recipient, channel), whatever retries. */
export const noticeKey = (seq: number, recipient: string, channel: string) => `notice-${seq}-${recipient}-${channel}`;

/**
 * Queues the messages of a projected batch's citizen notices, one per (entry, recipient,
 * channel) the recipient chose and has an address for, in the projection's transaction:
 * a retried projection queues nothing twice. Recipients without an active account here
 * (officials, outside identities) get the inbox row only.
 */
export async function queueNotices(tx: Tx, { projection, entries }: ProjectionBatch): Promise<void> {
  const planned = plannedNotices(entries);
  if (!planned.length) return;
  const people = await tx
    .select({ id: accounts.id, email: accounts.email, phone: accounts.phone, status: accounts.status, choices: notificationPreferences.channels })
    .from(accounts)
    .leftJoin(notificationPreferences, eq(notificationPreferences.subjectId, accounts.id))
    .where(inArray(accounts.id, [...new Set(planned.map((n) => n.recipient))]));
  const rows = planned.flatMap((n) => {
    const person = people.find((p) => p.id === n.recipient && p.status === 'active');
    if (!person) return [];
    const entry = entries.find((e) => e.seq === n.seq)!;
    const context = noticeContext(projection, entry, n.type);
    const reachable = { email: person.email !== null, sms: person.phone !== null, push: true };
    return effectiveChannels(person.choices)[n.type]
      .filter((channel) => reachable[channel])
      .map((channel) => {
        const { subject, text } = noticeText(context, channel);
        return {
          caseNumber: projection.number,
          messageKey: noticeKey(n.seq, n.recipient, channel),
          channel,
          type: n.type,
          accountId: n.recipient,
          seq: n.seq,
          subject: subject || null,
          body: text,
        };
      });
  });
  if (rows.length) await tx.insert(outbox).values(rows).onConflictDoNothing();
}

export async function getNoticeChoices(db: Db, subjectId: string): Promise<NoticeChoices> {
  const [row] = await db.select({ channels: notificationPreferences.channels }).from(notificationPreferences).where(eq(notificationPreferences.subjectId, subjectId));
  return row?.channels ?? {};
}

/** Merges `change` into the subject's choices in one statement and returns them. */
export async function mergeNoticeChoices(db: Db, subjectId: string, change: NoticeChoices): Promise<NoticeChoices> {
  const [row] = await db
    .insert(notificationPreferences)
    .values({ subjectId, channels: change })
    .onConflictDoUpdate({
      target: notificationPreferences.subjectId,
      set: { channels: sql`${notificationPreferences.channels} || excluded.channels`, updatedAt: sql`now()` },
    })
    .returning({ channels: notificationPreferences.channels });
  return row!.channels;
}
