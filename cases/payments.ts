import type { Client } from '@temporalio/client';
import { caseWorkflowId } from '../core/case-model';
import { notFound } from '../core/failures';
import type { Payment } from '../core/fee-account';
import type { Db } from '../db/client';
import { getCase } from '../db/queries/cases';
import { paymentSignal } from '../workflows/application';

/** The gateway's confirmation of a fee, delivered to the case that issued the invoice (`<case>-F<n>`). */
export async function receivePayment(ctx: { db: Db; temporal: Client }, payment: Payment): Promise<void> {
  const number = payment.invoiceId.replace(/-F\d+$/, '');
  if (!(await getCase(ctx.db, number))) throw notFound(`invoice ${payment.invoiceId}`);
  await ctx.temporal.workflow.getHandle(caseWorkflowId(number)).signal(paymentSignal, payment);
}
