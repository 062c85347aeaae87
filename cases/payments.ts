import type { Client } from '@temporalio/client';
import { caseWorkflowId } from '../core/case-model';
import { notFound } from '../core/failures';
import type { Payment } from '../core/fee-account';
import type { Db } from '../db/client';
import { findInvoice, type IssuedInvoice } from '../db/queries/payments';
import { paymentSignal } from '../workflows/application';

/** A payment as the gateway reports it: the invoice by its payment identifier, or by its id in cases filed before those. */
export type GatewayPayment = Omit<Payment, 'invoiceId' | 'paymentId'> & ({ paymentId: string } | { invoiceId: string });

/** Any invoice ever issued, by its payment identifier. */
export async function invoiceByPaymentId(db: Db, paymentId: string): Promise<IssuedInvoice> {
  const invoice = await findInvoice(db, { paymentId });
  if (!invoice) throw notFound(`an invoice with payment identifier ${paymentId}`);
  return invoice;
}

/**
 * The gateway's confirmation of a fee, delivered to the case that issued the invoice. The
 * case decides what the payment does (applied, or recorded to be refunded) and counts each
 * transaction once.
 */
export async function receivePayment(ctx: { db: Db; temporal: Client }, report: GatewayPayment): Promise<void> {
  const named = 'paymentId' in report ? { paymentId: report.paymentId } : { invoiceId: report.invoiceId };
  const invoice = await findInvoice(ctx.db, named);
  if (!invoice) throw notFound(`invoice ${'paymentId' in named ? named.paymentId : named.invoiceId}`);
  const payment: Payment = {
    invoiceId: invoice.invoiceId,
    ...(invoice.paymentId ? { paymentId: invoice.paymentId } : {}),
    amount: report.amount,
    transactionId: report.transactionId,
    paidAt: report.paidAt,
  };
  await ctx.temporal.workflow.getHandle(caseWorkflowId(invoice.caseNumber)).signal(paymentSignal, payment);
}
