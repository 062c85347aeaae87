/**
 * Paying a fee over real HTTP: the API listens on a port of its own, the development
 * payment provider's page is fetched and its button pressed like a browser would, and the
 * provider calls the API back over HTTP with the gateway's signed callback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPaymentId } from '../../core/payment-id';
import { recordHistory } from '../support/histories';
import { detail, eventually, file, officially, ok, post, timelineOf } from '../support/http';
import { alice, erik } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
const paid = testService({ fee: { base: 500 } });
const FORM = { purpose: 'для суда', copies: 1 };

beforeAll(async () => {
  stack = await startStack({ listen: true });
  await stack.addService(paid);
});
afterAll(async () => stack?.close());

/** A new case of alice's awaiting its 500 RUB, and its open invoice as she sees it. */
async function unpaidCase() {
  const { number, status } = await file(stack, alice, paid.code, FORM);
  expect(status).toBe('awaiting_payment');
  return { number, invoice: (await detail(stack, alice, number)).fee.invoice };
}

const callback = (body: Record<string, unknown>, secret = stack.config.auth.paymentWebhookSecret) =>
  stack.signedPost('/payments/callback', secret, { amount: 500, paidAt: new Date().toISOString(), ...body });

describe('paying a fee', () => {
  it('shows a 20-digit payment identifier and a link; paying on the provider page over HTTP moves the case on and shows the receipt', async () => {
    const { number, invoice } = await unpaidCase();
    expect(invoice.paymentId).toMatch(/^\d{20}$/);
    expect(isPaymentId(invoice.paymentId)).toBe(true);
    expect(invoice.paymentId.startsWith(stack.config.payments.payeeCode)).toBe(true);
    expect(invoice.paymentUrl).toBe(`${stack.config.http.apiUrl}/dev/pay/${invoice.paymentId}`);
    const issued = (await timelineOf(stack, alice, number)).find((e) => e.type === 'invoice_issued');
    expect(issued?.data).toMatchObject({ invoiceId: invoice.id, paymentId: invoice.paymentId, amount: 500 });

    const page = await fetch(invoice.paymentUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain(invoice.paymentId);
    expect(html).toContain('500 ₽');
    expect(html).toContain('<form method="post">');

    // The button: a form post from a browser, answered with a page.
    const pressed = await fetch(invoice.paymentUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: '',
    });
    expect(pressed.status, await pressed.clone().text()).toBe(200);
    const receiptPage = await pressed.text();
    expect(receiptPage).toContain('Оплачено');
    const transactionId = /dev-[0-9a-f-]{36}/.exec(receiptPage)?.[0];
    expect(transactionId).toBeTruthy();

    const d = await eventually(stack, alice, number, 'submitted');
    expect(d.fee).toMatchObject({ amount: 500, paid: 500, invoice: null, refunds: [] });
    expect(d.fee.receipts).toEqual([
      { invoiceId: invoice.id, paymentId: invoice.paymentId, amount: 500, transactionId, paidAt: expect.any(String), receivedAt: expect.any(String) },
    ]);
    expect(d.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    // The provider asks before it takes money: a paid invoice takes no more.
    const after = await fetch(invoice.paymentUrl);
    expect(await after.text()).toContain('не принимает оплату');
    const again = await fetch(invoice.paymentUrl, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await detail(stack, alice, number)).fee.receipts).toHaveLength(1);
    await recordHistory(stack.client, number, 'application-paid-on-provider-page');
  });

  it('answers a client of the provider in JSON', async () => {
    const { number, invoice } = await unpaidCase();
    const res = await fetch(`${stack.config.http.apiUrl}/dev/pay/${invoice.paymentId}`, { method: 'POST' });
    expect(res.status).toBe(200);
    const paidNow = (await res.json()) as { transactionId: string };
    expect(paidNow).toMatchObject({ paymentId: invoice.paymentId, amount: 500, callbackStatus: 202 });
    const d = await eventually(stack, alice, number, 'submitted');
    expect(d.fee.receipts.map((r: { transactionId: string }) => r.transactionId)).toEqual([paidNow.transactionId]);
  });

  it('counts a replayed callback once, refunds a payment of the wrong amount, and refuses unknown invoices and bad signatures', async () => {
    const { number, invoice } = await unpaidCase();
    const body = { paymentId: invoice.paymentId, transactionId: `tx-${number}` };
    expect((await callback(body, 'not-the-gateway-secret')).statusCode).toBe(401);
    expect((await callback(body)).statusCode).toBe(202);
    expect((await callback(body)).statusCode).toBe(202);
    // Signals arrive in order: once the late wrong payment shows, the replay was seen too.
    expect((await callback({ paymentId: invoice.paymentId, transactionId: `tx-${number}-late`, amount: 300 })).statusCode).toBe(202);
    const d = await eventually(stack, alice, number, (x) => (x.fee as { refunds: unknown[] }).refunds.length > 0);
    expect(d.status).toBe('submitted');
    expect(d.fee).toMatchObject({ paid: 500, receipts: [{ transactionId: `tx-${number}`, amount: 500 }] });
    expect(d.fee.receipts).toHaveLength(1);
    expect(d.fee.refunds).toEqual([
      { amount: 300, reason: 'payment_not_applied', appeal: null, transactionId: `tx-${number}-late`, orderedAt: expect.any(String), status: 'ordered' },
    ]);

    // Well-formed (check digit and all) but never issued.
    const unknown = '12345678901234567899';
    for (const res of [await callback({ paymentId: unknown, transactionId: 'tx-nobody' }), await stack.app.inject({ method: 'GET', url: `/dev/pay/${unknown}` })]) {
      expect(res.statusCode, res.body).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const both = await callback({ paymentId: invoice.paymentId, invoiceId: invoice.id, transactionId: 'tx-both' });
    expect(both.statusCode).toBe(400);
    const malformed = await stack.app.inject({ method: 'GET', url: '/dev/pay/123' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].path).toBe('/params/paymentId');
  });

  it('shows the refund an upheld wrong-fee appeal orders, with its amount and status', async () => {
    const { number, invoice } = await unpaidCase();
    expect((await fetch(invoice.paymentUrl, { method: 'POST' })).status).toBe(200);
    await eventually(stack, alice, number, 'submitted');
    const filed = ok(await post(stack, alice, `/cases/${number}/appeals`, { ground: 'wrong_fee', reasons: 'Пошлина за эту справку — 200 рублей' }), 201);
    await officially(stack, erik, filed.number, 'claim');
    await officially(stack, erik, filed.number, 'appeal-decision', { outcome: 'upheld', reasons: 'Пошлина взыскана в завышенном размере', correctedFee: 200 });
    const d = await eventually(stack, alice, number, (x) => x.underAppeal === null);
    expect(d.fee).toMatchObject({ amount: 200, paid: 200 });
    expect(d.fee.refunds).toEqual([
      { amount: 300, reason: 'fee_corrected', appeal: filed.number, transactionId: null, orderedAt: expect.any(String), status: 'ordered' },
    ]);
    expect(d.fee.receipts).toHaveLength(1);
  });
});
