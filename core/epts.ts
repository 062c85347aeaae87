/** The passport change case kind's statuses and terms (SPEC §4.4). */
import type { Decision, RejectionReason } from './application';
import type { TermUnit } from './deadline-clock';
import type { ChangeKind } from './vehicle';

export const EPTS_CHANGE_STATUSES = [
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
  'closed',
] as const;
export type EptsChangeStatus = (typeof EPTS_CHANGE_STATUSES)[number];

export const EPTS_CHANGE_STATUS_LABELS: Record<EptsChangeStatus, string> = {
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
  closed: 'Закрыто администратором',
};

export const CHANGE_KIND_LABELS: Record<ChangeKind, string> = {
  plate: 'Изменение ЭПТС: регистрационный знак',
  technical: 'Изменение ЭПТС: технические характеристики',
  sale: 'Изменение ЭПТС: смена собственника',
  annulment: 'Аннулирование ЭПТС',
};

/** Before a decision the owner may take the request back. */
export const WITHDRAWABLE_EPTS_CHANGE_STATUSES: readonly EptsChangeStatus[] = ['awaiting_buyer', 'submitted', 'in_review', 'awaiting_info'];

export interface EptsChangeTerms {
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
  /**
   * base64 of the detached signature, kept as evidence; a CMS envelope without the
   * certificates it carried (they name the holder; `certificateId` names the certificate).
   */
  signature: string;
  /** The CMS signing time; absent for a raw signature and in cases filed before CMS. */
  signedAt?: string | null;
}

/** A reviewer's decision on a passport change; `passport_changed` when another change came first. */
export type EptsChangeDecision = Omit<Decision, 'reasonCode'> & { reasonCode: RejectionReason | 'passport_changed' | null };

/** The passport version an approved change wrote, with the extract that proves it. */
export interface EptsChangeResult {
  version: number;
  extractCode: string;
  issuedAt: string;
  /** The extract's PDF in document storage; absent in changes applied before extracts were documents. */
  sha256?: string | null;
}
