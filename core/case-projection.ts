/**
 * The read model of a case: the head every kind fills (`CaseProjectionHead`) and each
 * kind's detail, which is what the citizen and the official see. Activities write it, the API serves it, and each
 * workflow's `projection()` must produce exactly this shape.
 */
import type { AppealDecision, AppealGround, ContestedDecision } from './appeal';
import type { AppealRecord } from './appeal-ledger';
import type { Decision, IssuedResult } from './application';
import type { CaseKind, CaseProjectionHead, DocumentRef, JournalEntry } from './case-model';
import type { ClockInterval, DeadlineChange, TermUnit } from './deadline-clock';
import type { EptsChangeDecision, EptsChangeResult } from './epts';
import type { FeeView } from './fee-account';
import type { CodeChannel, ConfirmationMethod } from './identity';
import type { PassportChange } from './vehicle';

/** The read model's detail of an application: what the citizen and the reviewer see. */
export interface ApplicationDetail {
  serviceName: string;
  /** The catalogue version the case was filed under; absent in rows projected before versions. */
  serviceVersion?: number;
  form: Record<string, unknown>;
  documents: DocumentRef[];
  fee: FeeView;
  deadline: {
    legalDue: string;
    expectedDue: string;
    paused: boolean;
    unit?: TermUnit;
    termDays?: number;
    intervals: ClockInterval[];
    history: DeadlineChange[];
    breachedAt: string | null;
    appealUntil: string | null;
  } | null;
  infoRequest: { message: string; dueAt: string } | null;
  decision: (Decision & { appealUntil: string }) | null;
  result: IssuedResult | null;
  cancellation: { at: string; restoreUntil: string } | null;
  partialEditAllowed: boolean;
  appeals: {
    /** The open appeal's number. */
    underAppeal: string | null;
    open: AppealRecord | null;
    history: AppealRecord[];
    /** The last day to appeal, per ground (YYYY-MM-DD). */
    lastDays: Partial<Record<AppealGround, string>>;
  };
  previousDecisions: Array<Decision & { result: IssuedResult | null; overturnedBy: string }>;
}

/** The catalogue version whose terms the case keeps: cases from before versions were filed under version 1. */
export function filedVersion(detail: Pick<ApplicationDetail, 'serviceVersion'>): number {
  return detail.serviceVersion ?? 1;
}

/** The read model's detail of an appeal: what the citizen and the expert see. */
export interface AppealDetail {
  serviceName: string | null;
  contested: ContestedDecision;
  ground: AppealGround;
  reasons: string;
  references: string[];
  documents: DocumentRef[];
  repeatOf: string | null;
  infoRequest: { message: string; dueAt: string } | null;
  deadline: {
    legalDue: string;
    expectedDue: string;
    paused: boolean;
    intervals: ClockInterval[];
    history: DeadlineChange[];
    breachedAt: string | null;
  } | null;
  /** A dismissal says until when a repeated appeal may be filed and what remains after it. */
  decision: (AppealDecision & { repeatAppealUntil?: string; repeatAppealDays?: number; furtherRemedy?: string }) | null;
}

/** The read model's detail of a passport change: what the owner, the buyer and the reviewer see. */
export interface EptsChangeDetail {
  serviceName: string;
  vin: string;
  changeKind: PassportChange['kind'];
  payload: PassportChange['payload'];
  basedOnVersion: number;
  documents: DocumentRef[];
  /** Serial number of the owner's signing certificate. */
  signedWith: string;
  buyer: { id: string; dueAt: string; confirmedAt: string | null } | null;
  infoRequest: { message: string; dueAt: string } | null;
  deadline: {
    legalDue: string;
    expectedDue: string;
    paused: boolean;
    /** Absent from changes projected before they were recorded. */
    intervals?: ClockInterval[];
    history?: DeadlineChange[];
    breachedAt: string | null;
  } | null;
  decision: EptsChangeDecision | null;
  result: (EptsChangeResult & { verify: string }) | null;
}

/** The read model's detail of a registration. */
export interface RegistrationDetail {
  purpose: 'registration';
  levelRequested: 'simplified';
  channel: CodeChannel;
  codeExpiresAt: string | null;
  attemptsLeft: number;
  /** The registration may be completed until then. */
  openUntil: string;
}

/** The read model's detail of an upgrade to the standard level (registry checks). */
export interface StandardUpgradeDetail {
  purpose: 'level_upgrade';
  levelRequested: 'standard';
  method: 'registry_check';
  citizenship: 'RU' | 'foreign';
  checkLimitAt: string;
  complaintRightSince: string | null;
  reason: string | null;
}

/** The read model's detail of an upgrade to the confirmed level. */
export interface ConfirmedUpgradeDetail {
  purpose: 'level_upgrade';
  levelRequested: 'confirmed';
  method: ConfirmationMethod;
  /** The office (in person) or the bank. */
  place: string;
  expiresAt: string;
  reason: string | null;
  /** Letter: code attempts left, once the letter is sent. */
  attemptsLeft?: number;
  /** Signature: what to sign. */
  challenge?: string;
}

/** The read model's detail of a change of e-mail or phone; the addresses stay in Postgres. */
export interface ContactChangeDetail {
  purpose: 'contact_change';
  /** The address changed, and where its code went: `sms` for the phone. */
  channel: CodeChannel;
  codeExpiresAt: string | null;
  attemptsLeft: number;
}

/** An identity case's detail depends on what it is for: a registration, an upgrade to a level, a changed contact. */
export type IdentityDetail = RegistrationDetail | StandardUpgradeDetail | ConfirmedUpgradeDetail | ContactChangeDetail;

/** Each kind's detail, by kind. */
export interface CaseDetailByKind {
  application: ApplicationDetail;
  appeal: AppealDetail;
  epts_change: EptsChangeDetail;
  identity: IdentityDetail;
}

/** A kind together with its detail: `kind` tells which detail a case carries. */
export type KindedDetail = { [K in CaseKind]: { kind: K; detail: CaseDetailByKind[K] } }[CaseKind];

/** The read model of one kind of case, written by activities. */
export type CaseProjectionOf<K extends CaseKind> = CaseProjectionHead & { kind: K; detail: CaseDetailByKind[K] };

/** The read model of a case, discriminated on `kind`. */
export type CaseProjection = CaseProjectionHead & KindedDetail;

export interface ProjectionBatch {
  projection: CaseProjection;
  entries: JournalEntry[];
}

/**
 * What a written projection tells its workflow: the entries of the batch whose notices
 * have messages in the outbox. Only those need a delivery; a notice to an official, or to
 * a citizen with no account or no channel, is an inbox row and nothing more.
 */
export interface ProjectionReceipt {
  queuedNotices: number[];
}
