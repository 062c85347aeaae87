/**
 * Cases with exactly known times, written by the projection's own write (`writeProjection`,
 * what the projectCase activity runs) in the shape the workflows project: for figures a
 * test must know to the second, which cases run through real workflows cannot give.
 */
import { formatCaseNumber, type Actor, type CaseKind, type JournalEntry } from '../../core/case-model';
import type { AppealDetail, ApplicationDetail, CaseProjection, EptsChangeDetail, IdentityDetail } from '../../core/case-projection';
import type { ClockInterval } from '../../core/deadline-clock';
import { writeProjection } from '../../db/queries/projection';
import type { Stack } from './stack';

export interface CaseSketch {
  number: string;
  kind: CaseKind;
  status: string;
  /** Applications and passport changes: theirs; appeals: the contested case's. */
  service?: string | null;
  agency?: string | null;
  applicant: string;
  assignee?: string | null;
  filedAt: string;
  /** When the processing term started running: the filing unless said otherwise (a fee paid later). */
  termStartedAt?: string;
  /** Intervals the clock stood still, [from, to]. */
  pauses?: Array<[string, string]>;
  decision?: { outcome: 'approved' | 'rejected' | 'upheld' | 'dismissed'; at: string; by: string };
  breachedAt?: string;
  closedAt?: string | null;
  expectedDue?: string | null;
  /** Appeals: what they contest. */
  contested?: { number: string; service: string; agency: string };
}

function clock(s: CaseSketch) {
  const started = s.termStartedAt ?? s.filedAt;
  const intervals: ClockInterval[] = (s.pauses ?? []).map(([from, to]) => ({ kind: 'pause', from, to, reason: 'information_request', actor: 'reviewer:rita' }));
  return {
    legalDue: s.expectedDue ?? '2025-12-31',
    expectedDue: s.expectedDue ?? '2025-12-31',
    paused: false,
    intervals,
    history: [{ at: started, expectedDue: s.expectedDue ?? '2025-12-31', reason: 'term_started' }],
    breachedAt: s.breachedAt ?? null,
  };
}

function detailOf(s: CaseSketch): CaseProjection['detail'] {
  const d = s.decision ?? null;
  switch (s.kind) {
    case 'application':
      return {
        serviceName: 'Справка',
        form: { purpose: 'для работы', copies: 1 },
        documents: [],
        infoRequest: null,
        fee: { amount: 0, paid: 0, invoice: null, receipts: [], refunds: [] },
        deadline: { ...clock(s), unit: 'calendar', termDays: 15, appealUntil: null },
        decision: d && { outcome: d.outcome as 'approved' | 'rejected', reasonCode: null, comment: 'решено', decidedBy: d.by, decidedAt: d.at, appealUntil: '2025-12-31' },
        result: null,
        cancellation: null,
        partialEditAllowed: true,
        appeals: { underAppeal: null, open: null, history: [], lastDays: {} },
        previousDecisions: [],
      } satisfies ApplicationDetail;
    case 'appeal':
      return {
        serviceName: 'Справка',
        contested: {
          number: s.contested!.number,
          serviceCode: s.contested!.service,
          serviceName: 'Справка',
          agency: s.contested!.agency,
          ground: 'rejection',
          summary: 'Отказ',
          at: s.filedAt,
          appealUntil: '2025-12-31',
          officials: [],
          repeatOf: null,
        },
        ground: 'rejection',
        reasons: 'не согласен',
        references: [],
        documents: [],
        infoRequest: null,
        repeatOf: null,
        deadline: clock(s),
        decision: d && { outcome: d.outcome as 'upheld' | 'dismissed', remedy: d.outcome === 'upheld' ? 'reopen' : null, correctedFee: null, reasons: 'рассмотрено', decidedBy: d.by, decidedAt: d.at },
      } satisfies AppealDetail;
    case 'epts_change':
      return {
        serviceName: 'Изменение характеристик',
        vin: 'XTA210990Y2766389',
        changeKind: 'technical',
        payload: { technical: { bodyType: 'универсал' } },
        basedOnVersion: 1,
        documents: [],
        infoRequest: null,
        signedWith: '01AB',
        buyer: null,
        deadline: clock(s),
        decision: d && { outcome: d.outcome as 'approved' | 'rejected', reasonCode: null, comment: 'решено', decidedBy: d.by, decidedAt: d.at },
        result: null,
      } satisfies EptsChangeDetail;
    case 'identity':
      return { purpose: 'registration', levelRequested: 'simplified', channel: 'sms', codeExpiresAt: null, attemptsLeft: 3, openUntil: s.filedAt } satisfies IdentityDetail;
  }
}

/** The projection of a sketched case and its journal: filed, decided, breached, each at its time. */
export function projectionOf(s: CaseSketch): { projection: CaseProjection; entries: JournalEntry[] } {
  const applicant: Actor = { id: s.applicant, role: 'citizen' };
  const entries: Array<Omit<JournalEntry, 'seq'>> = [{ at: s.filedAt, type: 'submitted', actor: applicant, summary: `${s.number} registered` }];
  if (s.breachedAt) entries.push({ at: s.breachedAt, type: 'deadline_breached', actor: { id: 'system', role: 'system' }, summary: 'Processing deadline breached' });
  if (s.decision) entries.push({ at: s.decision.at, type: s.decision.outcome, actor: { id: s.decision.by, role: s.kind === 'appeal' ? 'expert' : 'reviewer' }, summary: s.decision.outcome });
  const kind = s.kind;
  return {
    projection: {
      number: s.number,
      kind,
      version: entries.length,
      status: s.status,
      serviceCode: s.service ?? null,
      agency: s.agency ?? null,
      applicantId: s.applicant,
      assigneeId: s.assignee ?? null,
      submittedAt: s.filedAt,
      updatedAt: s.decision?.at ?? s.filedAt,
      legalDueDate: s.expectedDue ?? null,
      expectedDueDate: s.expectedDue ?? null,
      dueAt: null,
      overdue: s.breachedAt !== undefined,
      closedAt: s.closedAt ?? null,
      relatedNumber: s.contested?.number ?? null,
      detail: detailOf(s),
    } as CaseProjection,
    entries: entries.map((e, i) => ({ ...e, seq: i + 1 })),
  };
}

/** Writes every sketch as the projection activity does; `times` over, as retried projections would. */
export async function project(stack: Stack, sketches: CaseSketch[], times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    for (const s of sketches) await writeProjection(stack.database.db, projectionOf(s), stack.config.inbox.supervisors);
  }
}

/**
 * The admin tests' cases around March 2025 (Moscow time, UTC+3): two services, of mvd and
 * of fns; decisions with and without paused clocks; a case filed 00:30 on 1 March Moscow
 * time (still 28 February in UTC) and one filed 00:30 on 1 April; breaches inside and just
 * outside the month; two appeals against an mvd decision; a passport change; a registration.
 * Case numbers of the year 2025 from 9,000,001 on.
 */
export function marchCases(s1: { code: string; agency: string }, s2: { code: string; agency: string }) {
  const n = (kind: CaseKind, i: number) => formatCaseNumber(kind, 2025, 9_000_000 + i);
  const mvd = { service: s1.code, agency: s1.agency };
  const fns = { service: s2.code, agency: s2.agency };
  const a2 = n('application', 2);
  const contested = { number: a2, service: s1.code, agency: s1.agency };
  const cases = {
    // 10 days, 2 of them paused: 8 days of processing.
    a1: { number: n('application', 1), kind: 'application', status: 'completed', ...mvd, applicant: 'alice', assignee: 'rita', filedAt: '2025-03-02T10:00:00.000Z', pauses: [['2025-03-04T10:00:00.000Z', '2025-03-06T10:00:00.000Z']], decision: { outcome: 'approved', at: '2025-03-12T10:00:00.000Z', by: 'rita' }, closedAt: '2025-03-12T10:05:00.000Z', expectedDue: '2025-03-19' },
    // 4 days.
    a2: { number: a2, kind: 'application', status: 'rejected', ...mvd, applicant: 'bob', assignee: 'rita', filedAt: '2025-03-03T10:00:00.000Z', decision: { outcome: 'rejected', at: '2025-03-07T10:00:00.000Z', by: 'rita' }, closedAt: '2025-03-07T10:00:00.000Z', expectedDue: '2025-03-18' },
    // 1.25 days.
    a3: { number: n('application', 3), kind: 'application', status: 'completed', ...mvd, applicant: 'alice', assignee: 'rob', filedAt: '2025-03-05T10:00:00.000Z', decision: { outcome: 'approved', at: '2025-03-06T16:00:00.000Z', by: 'rob' }, closedAt: '2025-03-06T16:05:00.000Z', expectedDue: '2025-03-20' },
    // Open, breached on 21 March Moscow time.
    a4: { number: n('application', 4), kind: 'application', status: 'in_review', ...fns, applicant: 'bob', assignee: 'fedor', filedAt: '2025-03-10T10:00:00.000Z', breachedAt: '2025-03-20T21:00:00.000Z', expectedDue: '2025-03-20' },
    // Filed 00:30 on 1 March Moscow time; its term ran from the payment two days later: 3 days.
    a5: { number: n('application', 5), kind: 'application', status: 'completed', ...fns, applicant: 'alice', assignee: 'fedor', filedAt: '2025-02-28T21:30:00.000Z', termStartedAt: '2025-03-02T21:30:00.000Z', decision: { outcome: 'approved', at: '2025-03-05T21:30:00.000Z', by: 'fedor' }, closedAt: '2025-03-05T21:35:00.000Z', expectedDue: '2025-03-17' },
    // Filed in February, decided in March: 9 days.
    a6: { number: n('application', 6), kind: 'application', status: 'completed', ...mvd, applicant: 'dora', assignee: 'rita', filedAt: '2025-02-20T10:00:00.000Z', decision: { outcome: 'approved', at: '2025-03-01T10:00:00.000Z', by: 'rita' }, closedAt: '2025-03-01T10:05:00.000Z', expectedDue: '2025-03-07' },
    // Filed 00:30 on 1 April Moscow time.
    a7: { number: n('application', 7), kind: 'application', status: 'submitted', ...mvd, applicant: 'alice', filedAt: '2025-03-31T21:30:00.000Z', expectedDue: '2025-04-16' },
    // Open, breached 23:30 on 28 February Moscow time.
    a8: { number: n('application', 8), kind: 'application', status: 'submitted', ...fns, applicant: 'dora', filedAt: '2025-02-10T10:00:00.000Z', breachedAt: '2025-02-28T20:30:00.000Z', expectedDue: '2025-02-28' },
    // Appeals against a2's rejection: upheld in 2 days; dismissed in 10 days with 2 of them paused (8).
    j1: { number: n('appeal', 9), kind: 'appeal', status: 'upheld', service: s1.code, contested, applicant: 'bob', assignee: 'erik', filedAt: '2025-03-08T10:00:00.000Z', decision: { outcome: 'upheld', at: '2025-03-10T10:00:00.000Z', by: 'erik' }, closedAt: '2025-03-10T10:00:00.000Z' },
    j2: { number: n('appeal', 10), kind: 'appeal', status: 'dismissed', service: s1.code, contested, applicant: 'bob', assignee: 'erik', filedAt: '2025-03-15T10:00:00.000Z', pauses: [['2025-03-16T10:00:00.000Z', '2025-03-18T10:00:00.000Z']], decision: { outcome: 'dismissed', at: '2025-03-25T10:00:00.000Z', by: 'erik' }, closedAt: '2025-03-25T10:00:00.000Z' },
    // A passport change decided in 2 days.
    e1: { number: n('epts_change', 11), kind: 'epts_change', status: 'completed', agency: 'gibdd', applicant: 'alice', assignee: 'igor', filedAt: '2025-03-01T09:00:00.000Z', decision: { outcome: 'approved', at: '2025-03-03T09:00:00.000Z', by: 'igor' }, closedAt: '2025-03-03T09:05:00.000Z', expectedDue: '2025-03-10' },
    // Filed at the very instant a3 was: the number breaks the tie.
    i1: { number: n('identity', 12), kind: 'identity', status: 'confirmed', applicant: 'alice', filedAt: '2025-03-05T10:00:00.000Z', closedAt: '2025-03-05T10:05:00.000Z' },
  } satisfies Record<string, CaseSketch>;
  return cases as Record<keyof typeof cases, CaseSketch>;
}
