import type { Config } from '../config';
import { caseWorkflowId } from '../core/case-model';
import type { Principal } from '../core/principal';
import { statusLabel } from '../core/status-labels';
import type { CaseRow, JournalRow } from '../db/queries/cases';

/** Postgres returns its own timestamp text; the API speaks ISO 8601. */
const iso = <T extends string | null>(t: T): T => (t === null ? t : (new Date(t).toISOString() as T));

/** Shapes read-model rows into API answers; no reads, no rules. */
export function caseSummary(row: CaseRow) {
  return {
    number: row.number,
    kind: row.kind,
    status: row.status,
    statusLabel: statusLabel(row.kind, row.status),
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
      ...(extra.who.role === 'admin'
        ? { temporalUi: `${extra.config.temporal.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}` }
        : {}),
    },
  };
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
