import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { ProjectionBatch } from '../../core/case-projection';
import { noticeContext, noticeText } from '../../core/notice-texts';
import { effectiveChannels, plannedNotices, type NoticeChoices } from '../../core/notices';
import type { Db } from '../client';
import { accounts, contactChanges, notificationPreferences, outbox } from '../schema';
import type { Tx } from '../client';

/** The key of a notice's message: one per (entry, recipient, channel), whatever retries. */
export const noticeKey = (seq: number, recipient: string, channel: string) => `notice-${seq}-${recipient}-${channel}`;

/**
 * Queues the messages of a projected batch's citizen notices, one per (entry, recipient,
 * channel) the recipient chose and has an address for, in the projection's transaction:
 * a retried projection queues nothing twice. Recipients without an active account here
 * (officials, outside identities) get the inbox row only. A changed e-mail or phone is
 * announced on its channel to the address it replaced, whatever the choices: a hijacker
 * who switched the notice off first must not keep the owner of that address from knowing.
 */
export async function queueNotices(tx: Tx, { projection, entries }: ProjectionBatch): Promise<number[]> {
  const planned = plannedNotices(entries);
  if (!planned.length) return [];
  const people = await tx
    .select({
      id: accounts.id,
      email: accounts.email,
      phone: accounts.phone,
      status: accounts.status,
      choices: notificationPreferences.channels,
      replaced: { channel: contactChanges.channel, address: contactChanges.replacedAddress },
    })
    .from(accounts)
    .leftJoin(notificationPreferences, eq(notificationPreferences.subjectId, accounts.id))
    .leftJoin(
      contactChanges,
      and(eq(contactChanges.caseNumber, projection.number), eq(contactChanges.accountId, accounts.id), isNotNull(contactChanges.replacedAddress)),
    )
    .where(inArray(accounts.id, [...new Set(planned.map((n) => n.recipient))]))
    .prepare('notice_recipients')
    .execute();
  const rows = planned.flatMap((n) => {
    const person = people.find((p) => p.id === n.recipient && p.status === 'active');
    if (!person) return [];
    const entry = entries.find((e) => e.seq === n.seq)!;
    const context = noticeContext(projection, entry, n.type);
    const reachable = { email: person.email !== null, sms: person.phone !== null, push: true };
    const replaced = n.type === 'personal_data_updated' && person.replaced?.address ? person.replaced : null;
    const channels = effectiveChannels(person.choices)[n.type];
    return (replaced && !channels.includes(replaced.channel) ? [...channels, replaced.channel] : channels)
      .filter((channel) => reachable[channel])
      .map((channel) => {
        const { subject, text } = noticeText(context, channel);
        return {
          ...(channel === replaced?.channel ? { recipient: replaced.address } : {}),
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
  if (rows.length) await tx.insert(outbox).values(rows).onConflictDoNothing().prepare('outbox_rows').execute();
  // The outbox itself says which entries have messages, not the rows planned now: a retried
  // projection finds the messages an earlier attempt queued, whatever changed since.
  return queuedNotices(tx, projection.number, [...new Set(planned.map((n) => n.seq))]);
}

/** Of these journal entries of a case, the ones with notice messages in the outbox (sent or not), as `tx` sees it. */
async function queuedNotices(tx: Tx, caseNumber: string, seqs: number[]): Promise<number[]> {
  const rows = await tx
    .selectDistinct({ seq: outbox.seq })
    .from(outbox)
    .where(and(eq(outbox.caseNumber, caseNumber), sql`${outbox.seq} = any(${sql.param(seqs)}::int[])`))
    .orderBy(outbox.seq)
    .prepare('queued_notices')
    .execute();
  return rows.map((r) => r.seq!);
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
