/** The appeal case kind's statuses, grounds and remedies (SPEC §4.3). */
import type { Actor, DocumentRef } from './case-model';
import type { TermUnit } from './deadline-clock';

export const APPEAL_STATUSES = ['submitted', 'in_review', 'awaiting_info', 'upheld', 'dismissed', 'withdrawn', 'closed'] as const;
export type AppealStatus = (typeof APPEAL_STATUSES)[number];

export const APPEAL_STATUS_LABELS: Record<AppealStatus, string> = {
  submitted: 'Жалоба получена',
  in_review: 'Жалоба рассматривается',
  awaiting_info: 'Запрошены материалы',
  upheld: 'Жалоба удовлетворена',
  dismissed: 'В удовлетворении жалобы отказано',
  withdrawn: 'Жалоба отозвана',
  closed: 'Закрыто администратором',
};

export const OPEN_APPEAL_STATUSES: readonly AppealStatus[] = ['submitted', 'in_review', 'awaiting_info'];

/** What the citizen contests. */
export const APPEAL_GROUNDS = ['rejection', 'wrong_fee', 'wrong_service', 'deadline_breach'] as const;
export type AppealGround = (typeof APPEAL_GROUNDS)[number];

/**
 * What an upheld appeal does to the contested case: `reopen` sends it to a new review by a
 * different reviewer, `replace` changes the decision itself (a rejection becomes an
 * approval, a fee is corrected), `expedite` takes a late case from its reviewer.
 */
export const APPEAL_REMEDIES = ['reopen', 'replace', 'expedite'] as const;
export type AppealRemedy = (typeof APPEAL_REMEDIES)[number];

export const REMEDIES_BY_GROUND: Record<AppealGround, readonly AppealRemedy[]> = {
  rejection: ['reopen', 'replace'],
  wrong_fee: ['replace'],
  wrong_service: ['reopen'],
  deadline_breach: ['expedite'],
};

export const DEFAULT_EXAMINATION_TERM: { days: number; unit: TermUnit } = { days: 30, unit: 'calendar' };

/** Said with every final answer on an appeal: what the citizen can still do. */
export const COURT_REMEDY =
  'The decision on the appeal can be challenged in court (Code of Administrative Procedure, chapter 22) within three months.';

/** The outcome an appeal reports to the case it contests. */
export interface AppealOutcome {
  appealNumber: string;
  ground: AppealGround;
  /** `closed`: ended without a decision by an administrator, or its workflow cancelled in Temporal. */
  outcome: 'upheld' | 'dismissed' | 'withdrawn' | 'closed';
  remedy: AppealRemedy | null;
  /** wrong_fee + replace: the duty the case should have charged. */
  correctedFee: number | null;
  decidedBy: string;
  decidedAt: string;
  /** `closed`: who closed it. */
  closedBy?: Actor;
  /** The appeal waits for the contested case to answer with `appealOutcomeAppliedSignal`; absent from appeals begun before it did. */
  acknowledge?: boolean;
}

/** What an appeal contests, as the contested case describes it to the appeal. */
export interface ContestedDecision {
  number: string;
  serviceCode: string;
  serviceName: string;
  agency: string;
  ground: AppealGround;
  /** The decision or event contested, in words. */
  summary: string;
  /** When the citizen learnt of it: the appeal window runs from here. */
  at: string;
  appealUntil: string;
  /** Officials who made it: they may not examine the appeal. */
  officials: Array<{ id: string; reason: string }>;
  /** The dismissed appeal this one repeats, if any. */
  repeatOf: string | null;
}

/** The citizen's appeal as the API hands it to the contested case. */
export interface ContestInput {
  appealNumber: string;
  ground: AppealGround;
  reasons: string;
  /** Rules the citizen refers to (free text, e.g. "210-ФЗ ст. 11.1"). */
  references: string[];
  documents: DocumentRef[];
  examinationTerm: { days: number; unit: TermUnit };
}

/** An expert's decision on an appeal. */
export interface AppealDecision {
  outcome: 'upheld' | 'dismissed';
  remedy: AppealRemedy | null;
  correctedFee: number | null;
  reasons: string;
  decidedBy: string;
  decidedAt: string;
}
