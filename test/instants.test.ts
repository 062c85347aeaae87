import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isoFromPostgres } from '../db/instants';

describe('isoFromPostgres', () => {
  it('reads Postgres timestamptz text as Date would, for UTC and other offsets', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }), fc.integer({ min: 0, max: 999 }), fc.constantFrom('+00', '+03', '-05:30'), (d, micros, offset) => {
        const [day, time] = d.toISOString().replace('Z', '').split('T') as [string, string];
        // Postgres prints up to six fraction digits and drops trailing zeros.
        const fraction = `${time.slice(9)}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
        const text = `${day} ${time.slice(0, 8)}${fraction ? `.${fraction}` : ''}${offset}`;
        expect(isoFromPostgres(text)).toBe(new Date(text).toISOString());
      }),
    );
  });

  // The text as postgres.js hands it to drizzle: no parser of its own for timestamps.
  const sql = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
  afterAll(() => sql.end({ timeout: 5 }));

  it('agrees with what a real Postgres session in UTC prints', async () => {
    await sql`set time zone 'UTC'`;
    const rows = await sql<{ text: string; iso: string }[]>`
      select t::text as text, to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as iso
      from (values (now()), ('2026-01-01 00:00:00+00'::timestamptz), ('1999-12-31 23:59:59.999999+00'::timestamptz), ('2026-06-30 12:00:00.5+03'::timestamptz)) as v(t)`;
    for (const row of rows) expect(isoFromPostgres(row.text)).toBe(row.iso);
  });
});
