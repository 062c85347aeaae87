/** The state duty's rules alone: reassessment, invoices, payments counted once, corrections. */
import { describe, expect, it } from 'vitest';
import { FeeAccount } from '../core/fee-account';

const RULE = { base: 700, byField: { field: 'urgency', amounts: { urgent: 1000 } } };
const AT = '2026-11-02T09:00:00.000Z';
const LATER = '2026-11-03T09:00:00.000Z';
const account = (form: Record<string, unknown> = {}, payee?: string) => new FeeAccount(FeeAccount.open(RULE, form, payee), 'A-2026-0000001', 20);

describe('fee account', () => {
  it('bills the duty of the form, numbers its invoices and follows an edited form', () => {
    const fee = account({ urgency: 'urgent' });
    expect(fee.owed).toBe(1000);
    expect(fee.needsInvoice).toBe(true);
    const entry = fee.issueInvoice(fee.owed, AT);
    expect(entry).toMatchObject({ type: 'invoice_issued', data: { invoiceId: 'A-2026-0000001-F1', amount: 1000, dueAt: '2026-11-22T09:00:00.000Z' } });
    expect(fee.needsInvoice).toBe(false);
    expect(fee.reassess(RULE, { urgency: 'urgent' })).toEqual([]);
    expect(fee.reassess(RULE, {})).toEqual([{ type: 'fee_changed', summary: 'State duty recalculated: 700 RUB', data: { amount: 700 } }]);
    expect(fee.needsInvoice).toBe(true);
    fee.issueInvoice(fee.owed, AT);
    expect(fee.f.invoice?.id).toBe('A-2026-0000001-F2');
    // A case filed before payment identifiers has none.
    expect(fee.f.invoice?.paymentId).toBeUndefined();
  });

  it("gives each invoice a payment identifier of the payee's, the case's and the invoice's digits", () => {
    const fee = account({}, '12345678');
    expect(fee.issueInvoice(fee.owed, AT)).toMatchObject({ data: { invoiceId: 'A-2026-0000001-F1', paymentId: fee.f.invoice?.paymentId } });
    const first = fee.f.invoice!.paymentId!;
    expect(first).toMatch(/^1234567800000010001\d$/);
    fee.issueInvoice(fee.owed, AT);
    expect(fee.f.invoice!.paymentId).toMatch(/^1234567800000010002\d$/);
    expect(fee.invoicesLeft).toBe(9997);
  });

  it('applies a matching payment once; anything else is recorded to be refunded', () => {
    const fee = account();
    fee.issueInvoice(fee.owed, AT);
    const pay = { invoiceId: 'A-2026-0000001-F1', amount: 700, transactionId: 'tx-1', paidAt: AT };
    expect(fee.receive({ ...pay, amount: 500, transactionId: 'tx-0' }, true, LATER)).toMatchObject({ applied: false, entry: { type: 'payment_not_applied' } });
    expect(fee.receive(pay, false, LATER)).toMatchObject({ applied: false });
    expect(fee.receive(pay, true, LATER)).toBeNull();
    expect(fee.view()).toMatchObject({
      paid: 0,
      receipts: [],
      refunds: [
        { amount: 500, reason: 'payment_not_applied', transactionId: 'tx-0', appeal: null, orderedAt: LATER, status: 'ordered' },
        { amount: 700, reason: 'payment_not_applied', transactionId: 'tx-1', appeal: null, orderedAt: LATER, status: 'ordered' },
      ],
    });
    const fresh = account();
    fresh.issueInvoice(fresh.owed, AT);
    expect(fresh.receive(pay, true, LATER)).toMatchObject({ applied: true, entry: { type: 'paid', data: { amount: 700 } } });
    expect(fresh.receive(pay, true, LATER)).toBeNull();
    expect(fresh.view()).toEqual({
      amount: 700,
      paid: 700,
      invoice: null,
      receipts: [{ invoiceId: 'A-2026-0000001-F1', paymentId: null, amount: 700, transactionId: 'tx-1', paidAt: AT, receivedAt: LATER }],
      refunds: [],
    });
  });

  it('corrects the duty on appeal and orders the overpayment refunded', () => {
    const fee = account();
    fee.issueInvoice(fee.owed, AT);
    fee.receive({ invoiceId: 'A-2026-0000001-F1', amount: 700, transactionId: 'tx-1', paidAt: AT }, true, AT);
    expect(fee.correct(200, 'J-2026-0000002', LATER).map((e) => e.type)).toEqual(['fee_changed', 'refund_ordered']);
    expect(fee.correct(200, 'J-2026-0000002', LATER).map((e) => e.type)).toEqual(['fee_changed']);
    expect(fee.view()).toMatchObject({
      amount: 200,
      paid: 200,
      receipts: [{ amount: 700, transactionId: 'tx-1' }],
      refunds: [{ amount: 500, reason: 'fee_corrected', appeal: 'J-2026-0000002', transactionId: null, orderedAt: LATER, status: 'ordered' }],
    });
  });

  it('postpones the open invoice by the time the case was withdrawn', () => {
    const fee = account();
    fee.issueInvoice(fee.owed, AT);
    fee.postponeInvoice(86_400_000);
    expect(fee.f.invoice?.dueAt).toBe('2026-11-23T09:00:00.000Z');
  });
});
