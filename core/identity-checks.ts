/**
 * Format and checksum rules of Russian identity data (SPEC §4.2). Each check returns
 * the normalised value or the rule it broke, so the API can name both field and rule.
 */

export type Check = { ok: true; value: string } | { ok: false; rule: string };

const ok = (value: string): Check => ({ ok: true, value });
const broken = (rule: string): Check => ({ ok: false, rule });
const digitsOf = (s: string) => Array.from(s, Number);

/** SNILS: 11 digits; the last two are a control number over the first nine (weights 9..1, mod 101). */
export function checkSnils(input: string): Check {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{11}$/.test(digits)) return broken('SNILS is 11 digits, e.g. 112-233-445 95');
  const d = digitsOf(digits);
  // Control numbers are only assigned above 001-001-998.
  if (Number(digits.slice(0, 9)) <= 1001998) return broken('SNILS number is below the range where control numbers apply');
  const sum = d.slice(0, 9).reduce((acc, x, i) => acc + x * (9 - i), 0);
  const control = sum < 100 ? sum : sum % 101 === 100 ? 0 : sum % 101;
  if (control !== d[9]! * 10 + d[10]!) return broken('SNILS control number does not match');
  return ok(`${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6, 9)} ${digits.slice(9)}`);
}

const INN_WEIGHTS_10 = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN_WEIGHTS_11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN_WEIGHTS_12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const innControl = (d: number[], weights: number[]) => (weights.reduce((acc, w, i) => acc + w * d[i]!, 0) % 11) % 10;

/** INN: 10 digits (organisations, one control digit) or 12 digits (persons, two). */
export function checkInn(input: string): Check {
  const digits = input.trim();
  if (!/^(\d{10}|\d{12})$/.test(digits)) return broken('INN is 10 or 12 digits');
  const d = digitsOf(digits);
  if (d.length === 10) {
    return innControl(d, INN_WEIGHTS_10) === d[9] ? ok(digits) : broken('INN control digit does not match');
  }
  if (innControl(d, INN_WEIGHTS_11) !== d[10] || innControl(d, INN_WEIGHTS_12) !== d[11]) {
    return broken('INN control digits do not match');
  }
  return ok(digits);
}

/** Passport of a citizen: series of 4 digits and number of 6 digits. */
export function checkPassport(series: string, number: string): { series: Check; number: Check } {
  const s = series.replace(/\s/g, '');
  return {
    series: /^\d{4}$/.test(s) ? ok(s) : broken('passport series is 4 digits, e.g. 45 06'),
    number: /^\d{6}$/.test(number.trim()) ? ok(number.trim()) : broken('passport number is 6 digits'),
  };
}

/** A Russian phone number in +7 format; spaces, dashes and brackets are allowed between digits. */
export function checkPhone(input: string): Check {
  const compact = input.replace(/[\s()-]/g, '');
  if (!/^\+7\d{10}$/.test(compact)) return broken('phone is +7 followed by 10 digits, e.g. +7 912 345-67-89');
  if (!/^[3-9]$/.test(compact[2]!)) return broken('phone code must start with 3-9');
  return ok(compact);
}

/** A calendar date (YYYY-MM-DD) that exists, optionally within bounds. */
export function checkDate(input: string, bounds: { notAfter?: string; notBefore?: string } = {}): Check {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input)) return broken('date is YYYY-MM-DD');
  const parsed = new Date(`${input}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== input) return broken('no such calendar date');
  if (bounds.notAfter && input > bounds.notAfter) return broken(`date must not be after ${bounds.notAfter}`);
  if (bounds.notBefore && input < bounds.notBefore) return broken(`date must not be before ${bounds.notBefore}`);
  return ok(input);
}

/** Passwords: 8+ characters with upper and lower case letters and digits. */
export function checkPassword(input: string): Check {
  if (input.length < 8) return broken('password has at least 8 characters');
  if (!/\p{Lu}/u.test(input) || !/\p{Ll}/u.test(input)) return broken('password mixes upper and lower case letters');
  if (!/\d/.test(input)) return broken('password contains a digit');
  return ok(input);
}
