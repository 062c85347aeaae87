/** The portal's label of every kind's statuses: what citizens read instead of `in_review`. */
import { APPEAL_STATUS_LABELS } from './appeal';
import { APPLICATION_STATUS_LABELS } from './application';
import type { CaseKind } from './case-model';
import { EPTS_CHANGE_STATUS_LABELS } from './epts';
import { IDENTITY_STATUS_LABELS } from './identity';

export const STATUS_LABELS: Record<CaseKind, Record<string, string>> = {
  application: APPLICATION_STATUS_LABELS,
  appeal: APPEAL_STATUS_LABELS,
  epts_change: EPTS_CHANGE_STATUS_LABELS,
  identity: IDENTITY_STATUS_LABELS,
};

export function statusLabel(kind: CaseKind, status: string): string {
  return STATUS_LABELS[kind][status] ?? status;
}

/** Every status of every kind, each once. */
export const CASE_STATUSES: readonly string[] = [...new Set(Object.values(STATUS_LABELS).flatMap((labels) => Object.keys(labels)))];
