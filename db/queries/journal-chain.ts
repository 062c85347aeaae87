import { sql } from 'drizzle-orm';
import type { JournalEntry } from '../../core/case-model';
import { runPrepared, type Db, type Tx } from '../client';


/**
 * Appends a case's new journal entries, each hashed onto the case's entry before it by
 * the SQL function `journal_entry_hash` (migration `journal_chain`), the chain's one definition. The
 * recursion carries the hash from one entry of the batch to the next within the one
 * statement. A case's batches come in order from its one projector loop, so an entry's
 * predecessor is always written first. Entries are keyed by (case, seq): what is there
 * stays, and the chain goes on from the hash stored for it, not from the batch's own
 * version of it. A retry need not bring the same content: a worker that died after its
 * projection committed but before its workflow task completed leaves the action to be
 * replayed on another worker, later (its entries carry the later time) and perhaps batched
 * with more entries. Answers the sequence numbers it inserted.
 */
export async function appendJournalEntries(tx: Tx, number: string, entries: JournalEntry[]): Promise<number[]> {
  const batch = entries.map((e) => ({
    seq: e.seq,
    at: e.at,
    type: e.type,
    actor_id: e.actor.id,
    actor_role: e.actor.role,
    client_address: e.clientAddress ?? null,
    summary: e.summary,
    data: e.data ?? null,
  }));
  const inserted = await runPrepared<{ seq: number }>(tx, sql`
    insert into journal (case_number, seq, at, type, actor_id, actor_role, client_address, summary, data, hash)
    with recursive batch as (
      select ${number}::text as case_number, e.*, row_number() over (order by e.seq) as pos
      from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb)
        as e(seq integer, at timestamptz, type text, actor_id text, actor_role text, client_address text, summary text, data jsonb)
    ), chained as (
      select b.*, coalesce(
        (select j.hash from journal j where j.case_number = b.case_number and j.seq = b.seq),
        journal_entry_hash(
          (select j.hash from journal j where j.case_number = b.case_number and j.seq < b.seq order by j.seq desc limit 1),
          b.case_number, b.seq, b.at, b.type, b.actor_id, b.actor_role, b.client_address, b.summary, b.data)) as hash
      from batch b where b.pos = 1
      union all
      select b.*, coalesce(
        (select j.hash from journal j where j.case_number = b.case_number and j.seq = b.seq),
        journal_entry_hash(c.hash, b.case_number, b.seq, b.at, b.type, b.actor_id, b.actor_role, b.client_address, b.summary, b.data))
      from batch b join chained c on b.pos = c.pos + 1
    )
    select case_number, seq, at, type, actor_id, actor_role, client_address, summary, data, hash from chained
    on conflict do nothing
    returning seq`);
  return inserted.map((row) => row.seq);
}

/** What a case's journal chain says of itself. */
export interface ChainCheck {
  entries: number;
  /** The first entry whose stored hash is not the one its content and predecessor give; null when all match. */
  firstMismatch: number | null;
  /** The hash of the last entry: kept elsewhere, it also shows entries removed from the end. */
  lastHash: string | null;
}

/**
 * Recomputes every entry's hash from its content and the stored hash of the entry before
 * it, so an altered entry is named itself (its successors still match its stored hash), a
 * rewritten hash names its successor, and a removed entry names the one after the gap.
 * Undefined for a case that does not exist.
 */
export async function checkJournalChain(db: Db, number: string): Promise<ChainCheck | undefined> {
  const [row] = (await db.execute(sql`
    select count(v.seq)::int as entries,
           min(v.seq) filter (where v.hash is distinct from v.expected) as first_mismatch,
           (array_agg(v.hash order by v.seq desc))[1] as last_hash
    from cases c
    left join lateral (
      select j.seq, j.hash,
             journal_entry_hash(lag(j.hash) over (order by j.seq), j.case_number, j.seq, j.at, j.type,
                                j.actor_id, j.actor_role, j.client_address, j.summary, j.data) as expected
      from journal j where j.case_number = c.number
    ) v on true
    where c.number = ${number}
    group by c.number`)) as unknown as { entries: number; first_mismatch: number | null; last_hash: string | null }[];
  return row && { entries: row.entries, firstMismatch: row.first_mismatch, lastHash: row.last_hash };
}

/**
 * Appends one entry to the journal of a case whose workflow has ended: nothing else writes
 * that journal any more (a workflow projects its last entries before it completes), so the
 * entry takes the next sequence number, the case's row locked against a second such append.
 */
export async function appendToEndedCase(db: Db, number: string, entry: Omit<JournalEntry, 'seq'>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from cases where number = ${number} for update`);
    const [last] = (await tx.execute(sql`select coalesce(max(seq), 0)::int as seq from journal where case_number = ${number}`)) as unknown as { seq: number }[];
    await appendJournalEntries(tx, number, [{ ...entry, seq: last!.seq + 1 }]);
  });
}
