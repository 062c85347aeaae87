import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDate, checkInn, checkPassport, checkPassword, checkPhone, checkSnils } from '../core/identity-checks';

// Reference implementations written independently of core/identity-checks.ts, from the
// published algorithms, to check it against.
function referenceSnilsControl(nine: string): string {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (9 - i);
  let control: number;
  if (sum < 100) control = sum;
  else if (sum === 100 || sum === 101) control = 0;
  else {
    control = sum % 101;
    if (control === 100) control = 0;
  }
  return control.toString().padStart(2, '0');
}

function referenceInn(digits: string): boolean {
  const n = (weights: number[]) => {
    let s = 0;
    weights.forEach((w, i) => (s += w * Number(digits[i])));
    return String((s % 11) % 10);
  };
  if (digits.length === 10) return n([2, 4, 10, 3, 5, 9, 4, 6, 8]) === digits[9];
  return n([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) === digits[10] && n([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) === digits[11];
}

describe('identity checks: known examples', () => {
  it('accepts valid SNILS numbers in any common spelling and normalises them', () => {
    expect(checkSnils('112-233-445 95')).toEqual({ ok: true, value: '112-233-445 95' });
    expect(checkSnils('11223344595')).toEqual({ ok: true, value: '112-233-445 95' });
  });
  it('refuses a wrong SNILS control number, a wrong length and numbers below the control range', () => {
    expect(checkSnils('112-233-445 96')).toEqual({ ok: false, rule: 'SNILS control number does not match' });
    expect(checkSnils('1122334459')).toMatchObject({ ok: false });
    expect(checkSnils('001-001-998 00')).toMatchObject({ ok: false });
  });
  it('checks INN of 10 and 12 digits', () => {
    expect(checkInn('7707083893')).toEqual({ ok: true, value: '7707083893' });
    expect(checkInn('500100732259')).toEqual({ ok: true, value: '500100732259' });
    expect(checkInn('7707083894')).toMatchObject({ ok: false });
    expect(checkInn('500100732258')).toMatchObject({ ok: false });
    expect(checkInn('12345')).toEqual({ ok: false, rule: 'INN is 10 or 12 digits' });
  });
  it('checks passport series and number formats', () => {
    expect(checkPassport('45 06', '123456')).toEqual({ series: { ok: true, value: '4506' }, number: { ok: true, value: '123456' } });
    expect(checkPassport('450', '12345')).toMatchObject({ series: { ok: false }, number: { ok: false } });
  });
  it('normalises +7 phone numbers and refuses others', () => {
    expect(checkPhone('+7 (912) 345-67-89')).toEqual({ ok: true, value: '+79123456789' });
    expect(checkPhone('89123456789')).toMatchObject({ ok: false });
    expect(checkPhone('+7 012 345 67 89')).toMatchObject({ ok: false });
  });
  it('checks calendar dates and bounds', () => {
    expect(checkDate('2024-02-29')).toEqual({ ok: true, value: '2024-02-29' });
    expect(checkDate('2023-02-29')).toEqual({ ok: false, rule: 'no such calendar date' });
    expect(checkDate('2030-01-01', { notAfter: '2026-11-25' })).toMatchObject({ ok: false });
    expect(checkDate('01.02.2020')).toMatchObject({ ok: false });
  });
  it('enforces the password policy', () => {
    expect(checkPassword('Secret123').ok).toBe(true);
    expect(checkPassword('Пароль2024').ok).toBe(true);
    expect(checkPassword('secret123')).toMatchObject({ ok: false });
    expect(checkPassword('Short1')).toMatchObject({ ok: false });
    expect(checkPassword('NoDigitsHere')).toMatchObject({ ok: false });
  });
});

describe('identity checks: properties against the reference algorithms', () => {
  const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));

  it('accepts every SNILS whose control number the reference computes, and agrees on arbitrary ones', () => {
    fc.assert(
      fc.property(digits(9).filter((n) => Number(n) > 1001998), digits(2), (nine, anyControl) => {
        expect(checkSnils(nine + referenceSnilsControl(nine)).ok).toBe(true);
        expect(checkSnils(nine + anyControl).ok).toBe(anyControl === referenceSnilsControl(nine));
      }),
    );
  });

  it('agrees with the reference INN algorithm on arbitrary 10- and 12-digit strings', () => {
    fc.assert(
      fc.property(fc.oneof(digits(10), digits(12)), (inn) => {
        expect(checkInn(inn).ok).toBe(referenceInn(inn));
      }),
    );
  });

  it('accepts any +7 mobile number however it is spaced', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 9 }), digits(9), (first, rest) => {
        const spaced = `+7 (${first}${rest.slice(0, 2)}) ${rest.slice(2, 5)}-${rest.slice(5, 7)}-${rest.slice(7)}`;
        expect(checkPhone(spaced)).toEqual({ ok: true, value: `+7${first}${rest}` });
      }),
    );
  });
});
