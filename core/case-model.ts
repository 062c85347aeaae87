/**
 * The vocabulary shared by every case kind: who acts, what the journal records, what a
 * projection carries. Pure types and constants, safe to import from workflow code.
 */

export const CASE_KINDS = ['application', 'identity', 'appeal', 'epts_change'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export const ROLES = ['citizen', 'reviewer', 'expert', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ACCOUNT_LEVELS = ['simplified', 'standard', 'confirmed'] as const;
export type AccountLevel = (typeof ACCOUNT_LEVELS)[number];

export function levelAtLeast(level: AccountLevel, required: AccountLevel): boolean {
  return ACCOUNT_LEVELS.indexOf(level) >= ACCOUNT_LEVELS.indexOf(required);
}

export interface Actor {
  id: string;
  role: Role | 'system' | 'payment_gateway';
  agency?: string;
  supervisor?: boolean;
}

/** Citizens are reminded this many days before a deadline of theirs. */
export const CITIZEN_REMINDER_DAYS_BEFORE = [3, 1] as const;

export const SYSTEM_ACTOR: Actor = { id: 'system', role: 'system' };
/** What the case does on its own (timers, consequences) is journaled as the system's. */
export const BY_SYSTEM = { actor: SYSTEM_ACTOR } as const;

/** Days a citizen has to answer an official's request when the official names no term. */
export const CITIZEN_ANSWER_TERM_DAYS = 10;

/** The current instant as ISO text (in workflow code: the workflow's deterministic clock). */
export const now = (): string => new Date().toISOString();

/** Who did it, from where, and which case version they were looking at. */
export interface ActionMeta {
  actor: Actor;
  clientAddress?: string;
  requestId?: string;
  /** Reviewer actions: the case version the decision is based on. */
  expectedVersion?: number;
}

/** What every accepted action on a case answers: the case's state after it is in the read model. */
export interface CaseActionResult {
  number: string;
  status: string;
  version: number;
}

export interface DocumentRef {
  id: string;
  type: string;
  fileName: string;
  sha256: string;
}

export const NOTIFICATION_TYPES = [
  'submission_confirmed',
  'status_changed',
  'documents_requested',
  'deadline_approaching',
  'personal_data_updated',
  'identity_level_changed',
  'appeal_result',
  'sale_awaiting_buyer',
  'result_issued',
  // Officials' inboxes only.
  'deadline_warning',
  'deadline_breached',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface NotificationIntent {
  /** A subject id, or `agency:<code>` / `agency:<code>:supervisor` for official inboxes. */
  recipient: string;
  type: NotificationType;
  title: string;
}

/** One journal (timeline) entry. `seq` orders entries within a case and makes writes idempotent. */
export interface JournalEntry {
  seq: number;
  at: string;
  type: string;
  actor: Actor;
  clientAddress?: string;
  /** Human-readable, free of personal data. */
  summary: string;
  data?: Record<string, unknown>;
  notify?: NotificationIntent[];
}

/** A journal entry before its commit gives it a sequence number, time and actor. */
export interface EntryDraft {
  type: string;
  summary: string;
  data?: Record<string, unknown>;
  notify?: NotificationIntent[];
}

/** The read-model fields every kind fills; `version` only grows. */
export interface CaseProjectionHead {
  number: string;
  version: number;
  status: string;
  serviceCode: string | null;
  agency: string | null;
  applicantId: string;
  assigneeId: string | null;
  submittedAt: string;
  updatedAt: string;
  legalDueDate: string | null;
  expectedDueDate: string | null;
  dueAt: string | null;
  overdue: boolean;
  closedAt: string | null;
  relatedNumber: string | null;
}

export function caseWorkflowId(number: string): string {
  return `case-${number}`;
}

export const CASE_NUMBER_PREFIX: Record<CaseKind, string> = {
  application: 'A',
  identity: 'I',
  appeal: 'J',
  epts_change: 'E',
};

/** Human-readable, dictation-friendly: kind letter, year, zero-padded sequence. */
export function formatCaseNumber(kind: CaseKind, year: number, sequence: number): string {
  return `${CASE_NUMBER_PREFIX[kind]}-${year}-${String(sequence).padStart(7, '0')}`;
}

export const CASE_NUMBER_PATTERN = '^[AIJE]-\\d{4}-\\d{7}$';
