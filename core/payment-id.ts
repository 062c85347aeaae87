/**
 * The payment identifier of an invoice, in the format of the accrual identifier (УИН) of
 * the state payment system (ГИС ГМП): 20 digits, the payee's 8-digit participant code,
 * an 11-digit accrual number unique for that payee, and a check digit.
 */

/** Digits 9–19: the case's 7-digit sequence and a 4-digit invoice number within the case. */
export const MAX_INVOICES_PER_CASE = 9999;

export const PAYEE_CODE_PATTERN = /^\d{8}$/;
export const PAYMENT_ID_PATTERN = '^\\d{20}$';

/**
 * The check digit of the published algorithm: the digits weighted 1, 2, …, 10, 1, 2, …
 * from the first, sum modulo 11; a remainder of 10 is computed again with the weights
 * starting at 3, and a second 10 gives 0.
 */
export function checkDigit(body: string): number {
  if (!/^\d+$/.test(body)) throw new RangeError('a payment identifier has digits only');
  const remainder = (firstWeight: number) => {
    let sum = 0;
    for (let i = 0; i < body.length; i++) sum += Number(body[i]) * (((firstWeight - 1 + i) % 10) + 1);
    return sum % 11;
  };
  const first = remainder(1);
  if (first < 10) return first;
  const second = remainder(3);
  return second < 10 ? second : 0;
}

/** 20 (or, in the 25-character form, 25) digits whose last is the check digit of the others. */
export function isPaymentId(value: string): boolean {
  return /^(\d{20}|\d{25})$/.test(value) && checkDigit(value.slice(0, -1)) === Number(value.at(-1));
}

/**
 * The identifier of invoice `invoice` (1, 2, …) of the case with sequence number `caseSequence`
 * (the digits of its number): unique per invoice for one payee, and the same every time.
 */
export function paymentIdOf(payeeCode: string, caseSequence: number, invoice: number): string {
  if (!PAYEE_CODE_PATTERN.test(payeeCode)) throw new RangeError(`the payee code must be 8 digits, not "${payeeCode}"`);
  if (!Number.isInteger(caseSequence) || caseSequence < 1 || caseSequence > 9_999_999) throw new RangeError(`case sequence ${caseSequence} out of range`);
  if (!Number.isInteger(invoice) || invoice < 1 || invoice > MAX_INVOICES_PER_CASE) throw new RangeError(`invoice number ${invoice} out of range`);
  const body = `${payeeCode}${String(caseSequence).padStart(7, '0')}${String(invoice).padStart(4, '0')}`;
  return `${body}${checkDigit(body)}`;
}
