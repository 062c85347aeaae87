/** The payment identifier in the format of the state payment system's accrual identifier (УИН). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDigit, isPaymentId, MAX_INVOICES_PER_CASE, paymentIdOf } from '../core/payment-id';

describe('check digit', () => {
  it('is the weighted sum modulo 11, weights 1…10 from the first digit and round again', () => {
    // 1·1 + 2·2 + … + 9·9 + 0·10 + 1·1 + … + 9·9 = 570; 570 mod 11 = 9
    expect(checkDigit('1234567890123456789')).toBe(9);
    expect(isPaymentId('12345678901234567899')).toBe(true);
  });

  it('computes a remainder of 10 again with the weights starting at 3', () => {
    // 9·5 + 1·9 = 54 ≡ 10, then 9·7 + 1·1 = 64 ≡ 9
    expect(checkDigit('0000000000000090001')).toBe(9);
  });

  it('is 0 when the second remainder is 10 too', () => {
    // 1·5 + 3·9 = 32 ≡ 10, then 1·7 + 3·1 = 10
    expect(checkDigit('0000000000000010003')).toBe(0);
  });

  it('tells a valid identifier from a mistyped, short or non-numeric one', () => {
    expect(isPaymentId('12345678901234567899')).toBe(true);
    expect(isPaymentId('12345678901234567898')).toBe(false);
    expect(isPaymentId('21345678901234567899')).toBe(false);
    expect(isPaymentId('1234567890123456789')).toBe(false);
    expect(isPaymentId('1234567890123456789X')).toBe(false);
    expect(() => checkDigit('12a')).toThrow(RangeError);
  });
});

describe('payment identifier of an invoice', () => {
  it('is the payee code, the case sequence, the invoice number and the check digit', () => {
    expect(paymentIdOf('00000000', 1, 1)).toBe('00000000000000100013');
    expect(paymentIdOf('12345678', 42, 2)).toBe('12345678000004200026');
  });

  it('is 20 digits with a valid check digit and differs for every case and invoice', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{8}$/),
        fc.integer({ min: 1, max: 9_999_999 }),
        fc.integer({ min: 1, max: MAX_INVOICES_PER_CASE }),
        fc.integer({ min: 1, max: 9_999_999 }),
        fc.integer({ min: 1, max: MAX_INVOICES_PER_CASE }),
        (payee, caseA, invoiceA, caseB, invoiceB) => {
          const a = paymentIdOf(payee, caseA, invoiceA);
          expect(a).toMatch(/^\d{20}$/);
          expect(isPaymentId(a)).toBe(true);
          if (caseA !== caseB || invoiceA !== invoiceB) expect(paymentIdOf(payee, caseB, invoiceB)).not.toBe(a);
        },
      ),
    );
  });

  it('refuses what does not fit its digits', () => {
    expect(() => paymentIdOf('1234567', 1, 1)).toThrow(RangeError);
    expect(() => paymentIdOf('00000000', 10_000_000, 1)).toThrow(RangeError);
    expect(() => paymentIdOf('00000000', 1, MAX_INVOICES_PER_CASE + 1)).toThrow(RangeError);
  });
});
