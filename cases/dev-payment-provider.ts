/**
 * Development only: plays the payment provider a citizen's payment link leads to. It takes
 * the money (there is none) and calls the API back over HTTP exactly as the gateway does,
 * signed with the same secret.
 */
import { randomUUID } from 'node:crypto';
import { invalidState } from '../core/failures';
import type { Db } from '../db/client';
import { uuidFromSeed } from '../lib/derived-uuid';
import { signPayload } from '../lib/hmac-signature';
import { invoiceByPaymentId } from './payments';

export interface ProviderContext {
  db: Db;
  /** The API's `POST /payments/callback`. */
  callbackUrl: string;
  secret: string;
  /** The pay request's action key (api/idempotency.ts): a retried payment is the same transaction. */
  idempotencyKey?: string;
}

export interface ProviderPayment {
  paymentId: string;
  amount: number;
  transactionId: string;
  paidAt: string;
  /** What the API answered the callback. */
  callbackStatus: number;
}

/** Pays the invoice in full, as a provider does once the bank confirms the card payment. */
export async function payAsProvider(ctx: ProviderContext, paymentId: string): Promise<ProviderPayment> {
  const invoice = await invoiceByPaymentId(ctx.db, paymentId);
  // A provider asks the state payment system first: a paid or replaced accrual takes no money.
  if (!invoice.open) throw invalidState(`invoice ${paymentId} takes no payment: it was paid, replaced or the case no longer waits for it`);
  const transactionId = `dev-${ctx.idempotencyKey ? uuidFromSeed(ctx.idempotencyKey) : randomUUID()}`;
  const payment = { paymentId, amount: invoice.amount, transactionId, paidAt: new Date().toISOString() };
  const body = JSON.stringify(payment);
  const res = await fetch(ctx.callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signPayload(ctx.secret, body) },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 202) throw new Error(`the payment callback ${ctx.callbackUrl} answered ${res.status}: ${await res.text()}`);
  return { ...payment, callbackStatus: res.status };
}
