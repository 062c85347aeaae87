/** The application case kind's statuses, labels and decision reasons (SPEC §4.1). */
import type { Appointment } from './result-document';

export const APPLICATION_STATUSES = [
  'submitted',
  'awaiting_payment',
  'in_review',
  'awaiting_info',
  'resubmitted',
  'reopened',
  'approved',
  'rejected',
  'completed',
  'cancelled',
  'expired',
  'closed',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const APPLICATION_STATUS_LABELS: Record<ApplicationStatus, string> = {
  submitted: 'Получено',
  awaiting_payment: 'Ожидает оплаты',
  in_review: 'В работе',
  awaiting_info: 'Требуется уточнение',
  resubmitted: 'Переподан',
  reopened: 'Пересматривается по жалобе',
  approved: 'Одобрено',
  rejected: 'Отказано',
  completed: 'Завершено',
  cancelled: 'Отменено',
  expired: 'Просрочено',
  closed: 'Закрыто администратором',
};

export const REJECTION_REASONS = [
  'incomplete_documents',
  'invalid_documents',
  'not_eligible',
  'false_information',
  'duplicate_application',
  'outside_competence',
  'other',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Before a reviewer takes the case: the citizen may still edit it. */
export const EDITABLE_STATUSES: readonly ApplicationStatus[] = ['submitted', 'awaiting_payment', 'resubmitted'];
export const RESENDABLE_STATUSES: readonly ApplicationStatus[] = ['rejected', 'expired'];
export const FINAL_STATUSES: readonly ApplicationStatus[] = ['completed', 'rejected', 'expired', 'cancelled', 'closed'];
/** No processing deadline runs: decided (approved awaits only its result) or ended. */
export const DECIDED_STATUSES: readonly ApplicationStatus[] = ['approved', ...FINAL_STATUSES];
/** Cancel is possible until a decision is being issued. */
export const CANCELLABLE_STATUSES: readonly ApplicationStatus[] = APPLICATION_STATUSES.filter((s) => !DECIDED_STATUSES.includes(s));

export const RESTORE_WINDOW_DAYS = 30;

/** A reviewer's decision on an application. */
export interface Decision {
  outcome: 'approved' | 'rejected';
  reasonCode: RejectionReason | null;
  comment: string;
  decidedBy: string;
  decidedAt: string;
}

/** The result document an approval issues, verifiable by its code. */
export interface IssuedResult {
  verificationCode: string;
  resultType: string;
  title: string;
  issuedAt: string;
  /** The PDF's hash in document storage; absent in results issued before documents existed, null for in-person results. */
  sha256?: string | null;
  /** In-person results: where and when to collect it. */
  appointment?: Appointment | null;
}
