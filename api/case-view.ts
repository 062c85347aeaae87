import type { Config } from '../config';
import { APPEAL_STATUS_LABELS } from '../core/appeal';
import { APPLICATION_STATUS_LABELS } from '../core/application';
import { caseWorkflowId, type CaseKind } from '../core/case-model';
import { EPTS_CHANGE_STATUS_LABELS } from '../core/epts';
import { IDENTITY_STATUS_LABELS } from '../core/identity';
import type { Principal } from '../core/principal';
import type { CaseRow, JournalRow } from '../db/queries/cases';

/** Postgres returns its own timestamp text; the API speaks ISO 8601. */
const iso = <T extends string | null>(t: T): T => (t === null ? t : (new Date(t).toISOString() as T));

/** Shapes read-model rows into API answers; no reads, no rules. */
const STATUS_LABELS: Record<CaseKind, Record<string, string>> = {
  application: APPLICATION_STATUS_LABELS,
  appeal: APPEAL_STATUS_LABELS,
  epts_change: EPTS_CHANGE_STATUS_LABELS,
  identity: IDENTITY_STATUS_LABELS,
};

function statusLabel(row: CaseRow): string {
  return STATUS_LABELS[row.kind][row.status] ?? row.status;
}

export function caseSummary(row: CaseRow) {
  return {
    number: row.number,
    kind: row.kind,
    status: row.status,
    statusLabel: statusLabel(row),
    version: row.version,
    service: { code: row.serviceCode, name: row.kind === 'identity' ? null : row.detail.serviceName },
    agency: row.agency,
    assigneeId: row.assigneeId,
    submittedAt: iso(row.submittedAt),
    updatedAt: iso(row.updatedAt),
    legalDueDate: row.legalDueDate,
    expectedDueDate: row.expectedDueDate,
    overdue: row.overdue,
    closedAt: iso(row.closedAt),
    underAppeal: row.kind === 'application' ? row.detail.appeals.underAppeal : null,
  };
}

export function caseDetail(row: CaseRow, extra: { resentAs?: string; who: Principal; config: Config }) {
  // The service's name is in the summary already.
  const { serviceName: _name, ...detail } = { serviceName: null, ...row.detail };
  const workflowId = caseWorkflowId(row.number);
  const ns = encodeURIComponent(extra.config.temporal.namespace);
  return {
    ...caseSummary(row),
    ...detail,
    applicantId: row.applicantId,
    // For an appeal the related case is the one it contests (`contested` in the detail).
    resentFrom: row.kind === 'application' ? row.relatedNumber : null,
    resentAs: extra.resentAs ?? null,
    links: {
      timeline: `/cases/${row.number}/timeline`,
      ...resultLinks(row),
      ...(extra.who.role === 'admin'
        ? { temporalUi: `${extra.config.temporal.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}` }
        : {}),
    },
  };
}

/** Where the holder downloads the result PDF and its signature, once there is one. */
function resultLinks(row: CaseRow) {
  const document = (row.kind === 'application' || row.kind === 'epts_change') && row.detail.result?.sha256;
  return document ? { result: `/cases/${row.number}/result`, resultSignature: `/cases/${row.number}/result/signature` } : {};
}

export function timelineEntry(row: JournalRow, who: Principal) {
  return {
    seq: row.seq,
    at: iso(row.at),
    type: row.type,
    actor: { id: row.actorId, role: row.actorRole },
    // Where an action came from is access-journal data for administrators.
    clientAddress: who.role === 'admin' ? row.clientAddress : null,
    summary: row.summary,
    data: row.data,
  };
}
