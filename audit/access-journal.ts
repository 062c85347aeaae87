/**
 * The access journal: reads of personal data, recorded as they are served (SPEC §10). The
 * case journal records what was done to a case; this one records who looked, at what,
 * when and from which address.
 */
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';
import { insertAccessRows, listAccessRows, type AccessFilter, type AccessRow } from '../db/queries/access-journal';

/** `export`: a file of many people's data leaving the system (statistics, lists), recorded by the route that streams it. */
export const ACCESS_ACTIONS = ['read', 'download', 'export'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

export const ACCESSED_KINDS = [
  'case',
  'case_timeline',
  'identity_request',
  'document',
  'result_document',
  'vehicle_passport',
  'delivery_log',
  'access_journal',
  /** An admin's case search: a page (its applicants the subjects) or a whole export (the filter only). */
  'case_search',
] as const;
export type AccessedKind = (typeof ACCESSED_KINDS)[number];

export interface Access {
  action: AccessAction;
  kind: AccessedKind;
  /** What was read: a case number, a document id, a result's code, VIN@version; a query's filter (`queryResource`). */
  id: string;
  /** Whom the data is about (token subjects); none for data about nobody in particular. */
  subjects: readonly string[];
}

/** Who reads, from where: the client address as the API established it (only configured proxies are believed). */
export interface Reader {
  who: Principal;
  clientAddress: string;
  requestId: string;
}

/**
 * Records `access` by `reader`, one row per subject, before the data is answered. The
 * insert is awaited: a read whose record cannot be written is not served (its error
 * answers instead, 503 while Postgres is away), because a read that left no trace is what
 * the journal is there to rule out, and a fire-and-forget write dies with its process.
 *
 * A person reading data about themselves (a citizen their own case, a buyer the sale's
 * case) is not recorded, and that is decided here, before any round trip: the citizen's
 * status poll is the system's hottest path, a row per poll would be most of the table, and
 * it would say nothing, since the citizen is the one person always entitled to the data.
 * Downloads are recorded whoever makes them: one's own passport scan downloaded from an
 * unknown address is what a hijacked account looks like.
 */
export async function recordAccess(db: Db, reader: Reader, access: Access): Promise<void> {
  const subjects = [...new Set(access.subjects)];
  if (access.action === 'read' && subjects.includes(reader.who.id)) return;
  const { who, clientAddress, requestId } = reader;
  const row = {
    actorId: who.id,
    actorRole: who.role,
    actorAgency: who.agency ?? null,
    action: access.action,
    resourceKind: access.kind,
    resourceId: access.id,
    clientAddress,
    requestId,
  };
  await insertAccessRows(db, (subjects.length ? subjects : [null]).map((subjectId) => ({ ...row, subjectId })));
}

/** What a query read: its filter as a query string (paging left out), `*` for no filter. */
export function queryResource(filter: Record<string, string | number | boolean | undefined>): string {
  const given = Object.entries(filter).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]]));
  return new URLSearchParams(given).toString() || '*';
}

export type JournalQuery = Omit<AccessFilter, 'beforeId'> & {
  /** `nextCursor` of the page before. */
  cursor?: string;
};

/**
 * A page of the journal, newest first. The cursor is the last row's id, so a page goes on
 * where the one before ended however many rows were written since (an offset would shift).
 */
export async function readAccessJournal(db: Db, { cursor, limit, ...filter }: JournalQuery): Promise<{ items: AccessRow[]; nextCursor: string | null }> {
  const rows = await listAccessRows(db, { ...filter, beforeId: cursor === undefined ? undefined : Number(cursor), limit: limit + 1 });
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.id) : null };
}
