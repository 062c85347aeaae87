import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { idempotentRequests as requests } from '../schema';

/** Whose key, on which route: a key means nothing outside its caller and route. */
export interface RequestKey {
  scope: string;
  route: string;
  key: string;
}

/** The first answer to a keyed request, as a retry gets it again. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type KeyClaim =
  /** This request acts, as attempt `attempt` (a later attempt took over a dead one). */
  | { outcome: 'claimed'; attempt: number }
  | { outcome: 'answered'; answer: StoredAnswer }
  /** The key was used for a different request. */
  | { outcome: 'other_request' }
  /** The same request is being acted on now, under a lease that has not run out. */
  | { outcome: 'in_flight' };

export interface KeyTerms {
  /** How long an attempt holds the key without renewing its lease. */
  leaseSeconds: number;
  /** How long a key and its answer are kept: a key older than this is a new request. */
  retentionHours: number;
}

const sameKey = (k: RequestKey) => and(eq(requests.scope, k.scope), eq(requests.route, k.route), eq(requests.key, k.key));
const leaseFrom = (terms: KeyTerms) => sql`now() + make_interval(secs => ${terms.leaseSeconds})`;
const expiredBefore = (hours: number) => sql`now() - make_interval(hours => ${hours})`;

/** Rounds after which a key that keeps changing under us is reported in flight: another request is busy with it. */
const CLAIM_ROUNDS = 3;

/**
 * Claims `k` for a request with this fingerprint, or says why not. One insert decides a
 * new key; otherwise the row says whether the request was answered, is another request,
 * is still in flight, or was left by an attempt whose lease ran out (its process died),
 * which this one then takes over. Each change is conditional on what was read, so two
 * retries racing for one key never both act.
 */
export async function claimRequestKey(db: Db, k: RequestKey, fingerprint: string, terms: KeyTerms): Promise<KeyClaim> {
  for (let round = 0; round < CLAIM_ROUNDS; round++) {
    const [inserted] = await db
      .insert(requests)
      .values({ ...k, fingerprint, leaseUntil: leaseFrom(terms) })
      .onConflictDoNothing()
      .returning({ attempt: requests.attempt });
    if (inserted) return { outcome: 'claimed', attempt: inserted.attempt };
    const [row] = await db
      .select({
        fingerprint: requests.fingerprint,
        attempt: requests.attempt,
        status: requests.status,
        headers: requests.headers,
        body: requests.body,
        leased: sql<boolean>`coalesce(${requests.leaseUntil} > now(), false)`,
        expired: sql<boolean>`${requests.createdAt} < ${expiredBefore(terms.retentionHours)}`,
      })
      .from(requests)
      .where(sameKey(k));
    if (!row) continue;
    if (row.expired) {
      await db.delete(requests).where(and(sameKey(k), lt(requests.createdAt, expiredBefore(terms.retentionHours))));
      continue;
    }
    if (row.fingerprint !== fingerprint) return { outcome: 'other_request' };
    if (row.status !== null) return { outcome: 'answered', answer: { status: row.status, headers: row.headers ?? {}, body: row.body ?? '' } };
    if (row.leased) return { outcome: 'in_flight' };
    const [taken] = await db
      .update(requests)
      .set({ attempt: sql`${requests.attempt} + 1`, leaseUntil: leaseFrom(terms) })
      .where(and(sameKey(k), eq(requests.attempt, row.attempt), isNull(requests.status)))
      .returning({ attempt: requests.attempt });
    if (taken) return { outcome: 'claimed', attempt: taken.attempt };
  }
  return { outcome: 'in_flight' };
}

/** Keeps the attempt's lease while it is still acting. */
export async function renewRequestLease(db: Db, k: RequestKey, attempt: number, terms: KeyTerms): Promise<void> {
  await db
    .update(requests)
    .set({ leaseUntil: leaseFrom(terms) })
    .where(and(sameKey(k), eq(requests.attempt, attempt), isNull(requests.status)));
}

/** Stores the attempt's answer; an attempt that was taken over stores nothing (the one that took over answers). */
export async function storeRequestAnswer(db: Db, k: RequestKey, attempt: number, answer: StoredAnswer): Promise<void> {
  await db
    .update(requests)
    .set({ ...answer, leaseUntil: null, completedAt: sql`now()` })
    .where(and(sameKey(k), eq(requests.attempt, attempt), isNull(requests.status)));
}

/** Gives the key back: the attempt failed in a way the same request may not fail again (a 5xx, an outage). */
export async function releaseRequestKey(db: Db, k: RequestKey, attempt: number): Promise<void> {
  await db.delete(requests).where(and(sameKey(k), eq(requests.attempt, attempt), isNull(requests.status)));
}

/** Deletes the keys older than the retention; answers how many. */
export async function deleteExpiredRequestKeys(db: Db, retentionHours: number): Promise<number> {
  const deleted = await db.delete(requests).where(lt(requests.createdAt, expiredBefore(retentionHours)));
  return deleted.count;
}
