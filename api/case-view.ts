import type { Config } from '../config';
import { caseWorkflowId } from '../core/case-model';
import { filedVersion } from '../core/case-projection';
import type { FeeView } from '../core/fee-account';
import type { Principal } from '../core/principal';
import { statusLabel } from '../core/status-labels';
import type { CaseSearchRow } from '../db/queries/admin-cases';
import type { CaseRow, CaseSummaryRow, JournalRow } from '../db/queries/cases';

/** Shapes read-model rows into API answers; no reads, no rules. */
/** A list's row: the case's columns and the detail fields a summary names. */
export function caseSummary(row: CaseSummaryRow) {
  return summary(row, row.serviceName, row.underAppeal);
}

function summary(row: Omit<CaseSearchRow, 'serviceName' | 'underAppeal' | 'applicantId'>, serviceName: string | null, underAppeal: string | null) {
  return {
    number: row.number,
    kind: row.kind,
    status: row.status,
    statusLabel: statusLabel(row.kind, row.status),
    version: row.version,
    service: { code: row.serviceCode, name: row.kind === 'identity' ? null : serviceName },
    agency: row.agency,
    assigneeId: row.assigneeId,
    submittedAt: row.submittedAt,
    updatedAt: row.updatedAt,
    legalDueDate: row.legalDueDate,
    expectedDueDate: row.expectedDueDate,
    overdue: row.overdue,
    closedAt: row.closedAt,
    underAppeal: row.kind === 'application' ? underAppeal : null,
  };
}

/** Where an administrator opens the case's workflow in the Temporal Web UI. */
export function temporalUiLink(config: Config, number: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(caseWorkflowId(number))}`;
}

/** An admin search's row: the summary, whose case it is, and where to open it here and in the Temporal UI. */
export function searchItem(row: CaseSearchRow, config: Config) {
  return Object.assign(summary(row, row.serviceName, row.underAppeal), {
    applicantId: row.applicantId,
    links: { case: `/cases/${row.number}`, temporalUi: temporalUiLink(config, row.number) },
  });
}

/** A queue's row: the summary, and whether (since when) the case is escalated to the desk's supervisor. */
export function queueEntry(row: CaseSummaryRow) {
  return Object.assign(caseSummary(row), { escalated: row.escalatedAt !== null, escalatedAt: row.escalatedAt });
}

/** The open invoice with the link where it is paid; rows projected before receipts and refunds were kept have none. */
function feeWithPaymentLink(fee: FeeView, config: Config) {
  const paymentId = fee.invoice?.paymentId ?? null;
  const paymentUrl = paymentId && config.payments.pageUrl ? config.payments.pageUrl.replace('{paymentId}', paymentId) : null;
  return { ...fee, invoice: fee.invoice && { ...fee.invoice, paymentId, paymentUrl }, receipts: fee.receipts ?? [], refunds: fee.refunds ?? [] };
}

export function caseDetail(row: CaseRow, extra: { resentAs?: string; who: Principal; config: Config }) {
  // The service's name is in the summary already.
  const { serviceName: _name, ...detail } = { serviceName: null, ...row.detail };
  // Object.assign, not spreads: spreading the detail into the summary's literal costs
  // ~10x as much (13 µs of a poll's CPU, measured).
  const named = summary(row, row.kind === 'identity' ? null : row.detail.serviceName, row.kind === 'application' ? row.detail.appeals.underAppeal : null);
  const application = row.kind === 'application' ? { fee: feeWithPaymentLink(row.detail.fee, extra.config), serviceVersion: filedVersion(row.detail) } : {};
  return Object.assign(named, detail, application, {
    applicantId: row.applicantId,
    // For an appeal the related case is the one it contests (`contested` in the detail).
    resentFrom: row.kind === 'application' ? row.relatedNumber : null,
    resentAs: extra.resentAs ?? null,
    links: {
      timeline: `/cases/${row.number}/timeline`,
      ...resultLinks(row),
      ...(extra.who.role === 'admin' ? { temporalUi: temporalUiLink(extra.config, row.number) } : {}),
    },
  });
}

/** Where the holder downloads the result PDF and its signature, once there is one. */
function resultLinks(row: CaseRow) {
  const document = (row.kind === 'application' || row.kind === 'epts_change') && row.detail.result?.sha256;
  return document ? { result: `/cases/${row.number}/result`, resultSignature: `/cases/${row.number}/result/signature` } : {};
}

export function timelineEntry(row: JournalRow, who: Principal) {
  return {
    seq: row.seq,
    at: row.at,
    type: row.type,
    actor: { id: row.actorId, role: row.actorRole },
    // Where an action came from is access-journal data for administrators.
    clientAddress: who.role === 'admin' ? row.clientAddress : null,
    summary: row.summary,
    data: row.data,
  };
}
