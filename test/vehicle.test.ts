import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json';
import {
  applyChange,
  canonicalChangeRequest,
  changePayloadErrors,
  changeRefusal,
  checkPlate,
  checkVin,
  normalisePlate,
  vinCheckDigit,
  type ChangeRequest,
  type Passport,
} from '../core/vehicle';

const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('VIN', () => {
  it.each(['1HGCM82633A004352', '1M8GDM9AXKP042788', '5YJSA1E27HF000337'])('accepts %s with its North-American check digit', (vin) => {
    expect(checkVin(vin)).toEqual({ ok: true, vin, checkDigit: 'verified' });
  });

  it('refuses a North-American VIN whose check digit is wrong and names the right one', () => {
    expect(checkVin('1HGCM82643A004352')).toEqual({ ok: false, reason: 'the check digit (9th character) should be 3' });
  });

  it('does not demand the check digit outside North America, where position 9 is the maker’s', () => {
    expect(checkVin('XTA210990Y2766389')).toEqual({ ok: true, vin: 'XTA210990Y2766389', checkDigit: 'not_required' });
    expect(checkVin('WVWZZZ1JZ3W386752')).toMatchObject({ ok: true, checkDigit: 'not_required' });
  });

  it('normalises case and surrounding space', () => {
    expect(checkVin(' 1hgcm82633a004352 ')).toMatchObject({ ok: true, vin: '1HGCM82633A004352' });
  });

  it.each([
    ['XTA210990Y276638', 'exactly 17'],
    ['XTA210990Y27663891', 'exactly 17'],
    ['XTA2109I0Y2766389', 'I, O or Q'],
    ['XTA21099OY2766389', 'I, O or Q'],
    ['QTA210990Y2766389', 'I, O or Q'],
    ['XTA21099-Y2766389', 'Latin capital letters and digits'],
    ['XTA21099ЖY2766389', 'Latin capital letters and digits'],
  ])('refuses %s (%s)', (vin, reason) => {
    const check = checkVin(vin);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain(reason);
  });

  it('accepts exactly one character at position 9 of any North-American VIN', () => {
    const vinChar = fc.constantFrom(...VIN_CHARS);
    fc.assert(
      fc.property(fc.constantFrom('1', '2', '3', '4', '5'), fc.array(vinChar, { minLength: 16, maxLength: 16 }), (first, rest) => {
        const base = first + rest.join('');
        const digit = vinCheckDigit(base);
        for (const c of '0123456789X') {
          const vin = base.slice(0, 8) + c + base.slice(9);
          expect(checkVin(vin).ok).toBe(c === digit);
        }
      }),
    );
  });
});

describe('registration plates', () => {
  it.each([
    ['А123ВС77', 'А123ВС77'],
    ['А123ВС777', 'А123ВС777'],
    ['a123bc77', 'А123ВС77'],
    ['M001OP 78', 'М001ОР78'],
    ['е777кх-199', 'Е777КХ199'],
    ['Ё777КХ199', 'Е777КХ199'],
  ])('accepts %s as %s', (input, plate) => {
    expect(checkPlate(input)).toEqual({ ok: true, plate });
  });

  it.each(['Б123ВС77', 'A123BD77', 'А12ВС77', 'А1234ВС77', 'А123ВС7', 'А123ВС7777', 'А000ВС77', 'А123ВС00', 'А123ВС077', '', 'AAAAAAAA'])(
    'refuses %s',
    (input) => {
      expect(checkPlate(input).ok).toBe(false);
    },
  );

  it('spells every Latin look-alike the Cyrillic way, and leaves a normal plate as it is', () => {
    expect(normalisePlate('ABEKMHOPCTYX')).toBe('АВЕКМНОРСТУХ');
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(normalisePlate(normalisePlate(s))).toBe(normalisePlate(s));
      }),
    );
  });
});

const request = (over: Partial<ChangeRequest> = {}): ChangeRequest =>
  ({
    vin: 'XTA210990Y2766389',
    kind: 'plate',
    payload: { plate: 'А123ВС77' },
    basedOnVersion: 3,
    requesterId: 'alice',
    documentSha256: ['b'.repeat(64), 'a'.repeat(64)],
    ...over,
  }) as ChangeRequest;

describe('the canonical form of a change request', () => {
  it('is sorted-key JSON without whitespace, with a format tag and sorted document hashes', () => {
    expect(text(canonicalChangeRequest(request()))).toBe(
      `{"basedOnVersion":3,"documents":["${'a'.repeat(64)}","${'b'.repeat(64)}"],"format":"epts-change-request/1",` +
        `"kind":"plate","payload":{"plate":"А123ВС77"},"requester":"alice","vin":"XTA210990Y2766389"}`,
    );
  });

  it('does not depend on key order, document order, or Latin versus Cyrillic plates', () => {
    const a = request({ kind: 'sale', payload: { buyerId: 'bob', contractDate: '2026-03-01' } });
    const b = request({ kind: 'sale', payload: { contractDate: '2026-03-01', buyerId: 'bob' }, documentSha256: ['a'.repeat(64), 'B'.repeat(64)] });
    expect(canonicalChangeRequest(a)).toEqual(canonicalChangeRequest(b));
    expect(canonicalChangeRequest(request({ payload: { plate: 'a123bc77' } }))).toEqual(canonicalChangeRequest(request()));
    expect(canonicalChangeRequest(request({ vin: 'xta210990y2766389' }))).toEqual(canonicalChangeRequest(request()));
  });

  it.each<[string, Partial<ChangeRequest>]>([
    ['plate', { payload: { plate: 'А124ВС77' } }],
    ['version', { basedOnVersion: 4 }],
    ['requester', { requesterId: 'mallory' }],
    ['vin', { vin: '1HGCM82633A004352' }],
    ['documents', { documentSha256: ['a'.repeat(64)] }],
    ['kind', { kind: 'annulment', payload: { reason: 'disposal' } }],
  ])('changes when the %s changes', (_what, over) => {
    expect(canonicalChangeRequest(request(over))).not.toEqual(canonicalChangeRequest(request()));
  });

  it('sorts keys at every depth, drops undefined members and refuses what JSON cannot carry', () => {
    expect(canonicalJson({ b: [{ y: 1, x: null }], a: 'é', c: undefined })).toBe('{"a":"é","b":[{"x":null,"y":1}]}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(TypeError);
  });

  it('is the same for any reordering of an object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(obj);
      }),
    );
  });
});

const passport: Passport = {
  vin: 'XTA210990Y2766389',
  make: 'LADA',
  model: '2109',
  year: 2000,
  technical: { bodyType: 'хэтчбек', color: 'белый', engineType: 'petrol', engineVolumeCc: 1499, enginePowerKw: 51, maxMassKg: 1370 },
  plate: 'А123ВС77',
  ownerId: 'alice',
  status: 'active',
  owners: [
    { ownerId: 'carol', from: '2000-06-14', to: '2019-03-02' },
    { ownerId: 'alice', from: '2019-03-02' },
  ],
  registrations: [{ plate: 'А123ВС77', from: '2019-03-10' }],
  inspections: [],
  insurance: [],
};
const AT = '2026-05-04T10:00:00.000Z';

describe('who may request what', () => {
  it('lets only the current owner change an active passport', () => {
    expect(changeRefusal(passport, request({ payload: { plate: 'В001ВВ77' } }))).toBeNull();
    expect(changeRefusal(passport, request({ requesterId: 'carol' }))).toBe('only the current owner may request changes');
    expect(changeRefusal({ ...passport, status: 'annulled' }, request())).toBe('the passport is annulled and accepts no changes');
    expect(changeRefusal(passport, request({ kind: 'sale', payload: { buyerId: 'alice', contractDate: '2026-05-01' } }))).toBe('the buyer must be another person');
    expect(changeRefusal(passport, request({ payload: { plate: 'a123bc77' } }))).toBe('the vehicle already has this plate');
  });

  it('checks payloads beyond their JSON shape', () => {
    expect(changePayloadErrors({ kind: 'plate', payload: { plate: 'Б123ВС77' } })).toMatchObject([{ path: '/plate' }]);
    expect(changePayloadErrors({ kind: 'technical', payload: { technical: {} } })).toMatchObject([{ path: '/technical' }]);
    expect(changePayloadErrors({ kind: 'sale', payload: { buyerId: 'bob', contractDate: '2026-02-31' } })).toMatchObject([{ path: '/contractDate' }]);
    expect(changePayloadErrors({ kind: 'annulment', payload: { reason: 'bored' as 'theft' } })).toMatchObject([{ path: '/reason' }]);
    expect(changePayloadErrors({ kind: 'sale', payload: { buyerId: 'bob', contractDate: '2026-02-28' } })).toEqual([]);
  });
});

describe('the next passport version', () => {
  it('passes a sale to the buyer, closing the seller’s period and keeping the history', () => {
    const next = applyChange(passport, { kind: 'sale', payload: { buyerId: 'bob', contractDate: '2026-05-01' } }, AT, 'E-2026-0000001');
    expect(next.ownerId).toBe('bob');
    expect(next.owners).toEqual([
      { ownerId: 'carol', from: '2000-06-14', to: '2019-03-02' },
      { ownerId: 'alice', from: '2019-03-02', to: '2026-05-04' },
      { ownerId: 'bob', from: '2026-05-04', caseNumber: 'E-2026-0000001' },
    ]);
    expect(passport.owners).toHaveLength(2);
    expect(passport.ownerId).toBe('alice');
  });

  it('registers a new plate in Cyrillic, closing the old registration', () => {
    const next = applyChange(passport, { kind: 'plate', payload: { plate: 'b001bb77' } }, AT, 'E-2026-0000002');
    expect(next.plate).toBe('В001ВВ77');
    expect(next.registrations).toEqual([
      { plate: 'А123ВС77', from: '2019-03-10', to: '2026-05-04' },
      { plate: 'В001ВВ77', from: '2026-05-04', caseNumber: 'E-2026-0000002' },
    ]);
  });

  it('changes only the named technical characteristics', () => {
    const next = applyChange(passport, { kind: 'technical', payload: { technical: { color: 'красный' } } }, AT, 'E-2026-0000003');
    expect(next.technical).toEqual({ ...passport.technical, color: 'красный' });
  });

  it('annuls: no plate, registration closed, reason kept', () => {
    const next = applyChange(passport, { kind: 'annulment', payload: { reason: 'export' } }, AT, 'E-2026-0000004');
    expect(next).toMatchObject({ status: 'annulled', plate: null, annulment: { reason: 'export', at: AT, caseNumber: 'E-2026-0000004' } });
    expect(next.registrations.every((r) => r.to)).toBe(true);
  });
});
