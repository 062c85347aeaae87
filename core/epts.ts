/** The passport change case kind's statuses and terms (SPEC §4.4). */
import type { Decision, RejectionReason } from './application';
import type { TermUnit } from './deadline-clock';
import type { ChangeKind } from './vehicle';

export const CHANGE_STATUSES = [
  'awaiting_buyer',
  'submitted',
  'in_review',
  'awaiting_info',
  'approved',
  'completed',
  'rejected',
  'lapsed',
  'withdrawn',
  'expired',
] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];

export const CHANGE_STATUS_LABELS: Record<ChangeStatus, string> = {
  awaiting_buyer: 'Ожидает подтверждения покупателя',
  submitted: 'Получено',
  in_review: 'В работе',
  awaiting_info: 'Требуется уточнение',
  approved: 'Одобрено',
  completed: 'Паспорт изменён',
  rejected: 'Отказано',
  lapsed: 'Покупатель не подтвердил',
  withdrawn: 'Отозвано',
  expired: 'Просрочено',
};

export const CHANGE_KIND_LABELS: Record<ChangeKind, string> = {
  plate: 'Изменение ЭПТС: регистрационный знак',
  technical: 'Изменение ЭПТС: технические характеристики',
  sale: 'Изменение ЭПТС: смена собственника',
  annulment: 'Аннулирование ЭПТС',
};

/** Before a decision the owner may take the request back. */
export const WITHDRAWABLE_CHANGE_STATUSES: readonly ChangeStatus[] = ['awaiting_buyer', 'submitted', 'in_review', 'awaiting_info'];

export interface ChangeTerms {
  /** The traffic police's term for deciding a change. */
  review: { days: number; unit: TermUnit };
  /** Days the buyer has to confirm a sale. */
  buyerConfirmDays: number;
}

/** A signature the API has verified against a registered certificate. */
export interface VerifiedSignature {
  signerId: string;
  certificateId: string;
  serialNumber: string;
  /** base64 of the detached signature, kept as evidence. */
  signature: string;
}

/** A reviewer's decision on a passport change; `passport_changed` when another change came first. */
export type ChangeDecision = Omit<Decision, 'reasonCode'> & { reasonCode: RejectionReason | 'passport_changed' | null };

/** The passport version an approved change wrote, with the extract that proves it. */
export interface ChangeResult {
  version: number;
  extractCode: string;
  issuedAt: string;
}
