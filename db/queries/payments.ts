import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { cases, journal } from '../schema';

/** An invoice as its `invoice_issued` journal entry recorded it, and whether its case still waits for it. */
export interface IssuedInvoice {
  caseNumber: string;
  invoiceId: string;
  paymentId: string | null;
  amount: number;
  issuedAt: string;
  dueAt: string;
  /** It is the case's open invoice and the case waits for its payment. */
  open: boolean;
}

/**
 * The invoice a gateway names, by its payment identifier or (cases filed before those) its
 * invoice id: every invoice ever issued is in the journal, paid, replaced or open.
 */
export async function findInvoice(db: Db, ref: { paymentId: string } | { invoiceId: string }): Promise<IssuedInvoice | undefined> {
  // Literal type, so that the planner proves the partial indexes' predicate.
  const key = 'paymentId' in ref ? sql`${journal.data} ->> 'paymentId' = ${ref.paymentId}` : sql`${journal.data} ->> 'invoiceId' = ${ref.invoiceId}`;
  const [row] = await db
    .select({
      caseNumber: journal.caseNumber,
      at: journal.at,
      data: journal.data,
      openInvoiceId: sql<string | null>`${cases.detail} -> 'fee' -> 'invoice' ->> 'id'`,
      status: cases.status,
    })
    .from(journal)
    .innerJoin(cases, eq(cases.number, journal.caseNumber))
    .where(and(sql`${journal.type} = 'invoice_issued'`, key))
    .limit(1);
  if (!row?.data) return undefined;
  const data = row.data as { invoiceId: string; paymentId?: string; amount: number; dueAt: string };
  return {
    caseNumber: row.caseNumber,
    invoiceId: data.invoiceId,
    paymentId: data.paymentId ?? null,
    amount: data.amount,
    issuedAt: row.at,
    dueAt: data.dueAt,
    open: row.status === 'awaiting_payment' && row.openInvoiceId === data.invoiceId,
  };
}
