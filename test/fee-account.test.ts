/** The state duty's rules alone: reassessment, invoices, payments counted once, corrections. */
import { describe, expect, it } from 'vitest';
import { FeeAccount } from '../core/fee-account';

const RULE = { base: 700, byField: { field: 'urgency', amounts: { urgent: 1000 } } };
const AT = '2026-11-02T09:00:00.000Z';
const account = (form: Record<string, unknown> = {}) => new FeeAccount(FeeAccount.open(RULE, form), 'A-2026-0000001', 20);

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
  });

  it('applies a matching payment once; anything else is recorded to be refunded', () => {
    const fee = account();
    fee.issueInvoice(fee.owed, AT);
    const pay = { invoiceId: 'A-2026-0000001-F1', amount: 700, transactionId: 'tx-1', paidAt: AT };
    expect(fee.receive({ ...pay, amount: 500, transactionId: 'tx-0' }, true)).toMatchObject({ applied: false, entry: { type: 'payment_not_applied' } });
    expect(fee.receive(pay, false)).toMatchObject({ applied: false });
    expect(fee.receive(pay, true)).toBeNull();
    const fresh = account();
    fresh.issueInvoice(fresh.owed, AT);
    expect(fresh.receive(pay, true)).toMatchObject({ applied: true, entry: { type: 'paid', data: { amount: 700 } } });
    expect(fresh.receive(pay, true)).toBeNull();
    expect(fresh.view()).toEqual({ amount: 700, paid: 700, invoice: null });
  });

  it('corrects the duty on appeal and orders the overpayment refunded', () => {
    const fee = account();
    fee.issueInvoice(fee.owed, AT);
    fee.receive({ invoiceId: 'A-2026-0000001-F1', amount: 700, transactionId: 'tx-1', paidAt: AT }, true);
    expect(fee.correct(200).map((e) => e.type)).toEqual(['fee_changed', 'refund_ordered']);
    expect(fee.correct(200).map((e) => e.type)).toEqual(['fee_changed']);
    expect(fee.view()).toMatchObject({ amount: 200, paid: 200 });
  });

  it('postpones the open invoice by the time the case was withdrawn', () => {
    const fee = account();
    fee.issueInvoice(fee.owed, AT);
    fee.postponeInvoice(86_400_000);
    expect(fee.f.invoice?.dueAt).toBe('2026-11-23T09:00:00.000Z');
  });
});
