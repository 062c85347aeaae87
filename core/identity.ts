/** The identity case kind's statuses and their portal labels (SPEC §4.2). */
import type { AccountLevel } from './case-model';

/** `refused`: the code was right, but another account had confirmed the phone or e-mail first. */
export const REGISTRATION_STATUSES = ['awaiting_code', 'code_expired', 'locked', 'confirmed', 'abandoned', 'refused'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];
export const STANDARD_UPGRADE_STATUSES = ['checking', 'confirmed', 'rejected'] as const;
export type StandardUpgradeStatus = (typeof STANDARD_UPGRADE_STATUSES)[number];
export const CONFIRMED_UPGRADE_STATUSES = ['awaiting_confirmation', 'confirmed', 'refused', 'expired', 'locked'] as const;
export type ConfirmedUpgradeStatus = (typeof CONFIRMED_UPGRADE_STATUSES)[number];
/** A change of e-mail or phone ends with its code: expired, locked, confirmed, or refused when another account took the address meanwhile. */
export const CONTACT_CHANGE_STATUSES = ['awaiting_code', 'code_expired', 'locked', 'confirmed', 'refused'] as const;
export type ContactChangeStatus = (typeof CONTACT_CHANGE_STATUSES)[number];

/** `closed`: ended outside the case's own course (its workflow terminated in Temporal), set by the reconciler. */
export type IdentityStatus = RegistrationStatus | StandardUpgradeStatus | ConfirmedUpgradeStatus | ContactChangeStatus | 'closed';

export const IDENTITY_STATUS_LABELS: Record<IdentityStatus, string> = {
  awaiting_code: 'Ожидает кода подтверждения',
  code_expired: 'Срок действия кода истёк',
  locked: 'Заблокировано: превышено число попыток',
  confirmed: 'Подтверждено',
  abandoned: 'Регистрация не завершена',
  checking: 'Проверка данных',
  rejected: 'Данные не подтверждены',
  awaiting_confirmation: 'Ожидает подтверждения личности',
  refused: 'В подтверждении отказано',
  expired: 'Срок подтверждения истёк',
  closed: 'Закрыто администратором',
};

/** The account levels as the portal names them. */
export const ACCOUNT_LEVEL_LABELS: Record<AccountLevel, string> = {
  simplified: 'упрощённая',
  standard: 'стандартная',
  confirmed: 'подтверждённая',
};

/** Where a one-time code is sent. */
export type CodeChannel = 'sms' | 'email';

/** How an account is raised to the confirmed level. */
export const CONFIRMATION_METHODS = ['in_person', 'bank', 'letter', 'signature'] as const;
export type ConfirmationMethod = (typeof CONFIRMATION_METHODS)[number];
