import type { CaseProjectionOf } from '../../core/case-model';
import type { ConfirmedUpgradeDetail } from '../identity-confirmed';
import type { RegistrationDetail } from '../identity-registration';
import type { StandardUpgradeDetail } from '../identity-standard';
import type { JournalCounters } from './case-journal';

/** An identity case's detail depends on what it is for: a registration or an upgrade to a level. */
export type IdentityDetail = RegistrationDetail | StandardUpgradeDetail | ConfirmedUpgradeDetail;

/** What every identity case keeps about itself. */
export interface IdentityCaseCore {
  number: string;
  accountId: string;
  status: string;
  startedAt: string;
  closedAt: string | null;
  journal: JournalCounters;
}

/**
 * The read model of an identity case: no service, agency or reviewer; its own dates and
 * detail. The applicant is the account.
 */
export function identityProjection(
  s: IdentityCaseCore,
  own: Partial<Pick<CaseProjectionOf<'identity'>, 'legalDueDate' | 'expectedDueDate' | 'dueAt' | 'overdue'>> & { detail: IdentityDetail },
): CaseProjectionOf<'identity'> {
  return {
    number: s.number,
    kind: 'identity',
    version: s.journal.version,
    status: s.status,
    serviceCode: null,
    agency: null,
    applicantId: s.accountId,
    assigneeId: null,
    submittedAt: s.startedAt,
    updatedAt: new Date().toISOString(),
    legalDueDate: own.legalDueDate ?? null,
    expectedDueDate: own.expectedDueDate ?? null,
    dueAt: own.dueAt ?? null,
    overdue: own.overdue ?? false,
    closedAt: s.closedAt,
    relatedNumber: null,
    detail: own.detail,
  };
}
