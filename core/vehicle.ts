/**
 * The vehicle electronic passport (EPTS): identifiers, the passport document, the change
 * kinds and the canonical form of a change request that owners sign. Pure and
 * deterministic, so the EPTS workflow may import it.
 */
import { canonicalJson } from './canonical-json';

/** The agency whose officials examine passport changes (the traffic police). */
export const EPTS_AGENCY = 'gibdd';

// ---------------------------------------------------------------- VIN (ISO 3779)

const VIN_PATTERN = /^[A-HJ-NPR-Z0-9]{17}$/;
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const VIN_VALUES: Record<string, number> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
};

export type VinCheck =
  | { ok: true; vin: string; checkDigit: 'verified' | 'not_required' }
  | { ok: false; reason: string };

/** The position-9 check digit (49 CFR 565.15) of a well-formed VIN. */
export function vinCheckDigit(vin: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = vin[i]!;
    sum += (c >= '0' && c <= '9' ? Number(c) : VIN_VALUES[c]!) * VIN_WEIGHTS[i]!;
  }
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}

/**
 * The check digit is law only for vehicles made for North America (WMI starting 1-5).
 * Elsewhere position 9 is the maker's to use: many Russian (X…, Z…) and European VINs
 * carry a plant or model code there, so demanding the digit would refuse real cars.
 */
const checkDigitRequired = (vin: string) => vin[0]! >= '1' && vin[0]! <= '5';

export function normaliseVin(input: string): string {
  return input.trim().toUpperCase();
}

export function checkVin(input: string): VinCheck {
  const vin = normaliseVin(input);
  if (vin.length !== 17) return { ok: false, reason: 'a VIN has exactly 17 characters' };
  if (/[IOQ]/.test(vin)) return { ok: false, reason: 'a VIN never contains the letters I, O or Q' };
  if (!VIN_PATTERN.test(vin)) return { ok: false, reason: 'a VIN has only Latin capital letters and digits' };
  if (!checkDigitRequired(vin)) return { ok: true, vin, checkDigit: 'not_required' };
  const expected = vinCheckDigit(vin);
  if (vin[8] !== expected) return { ok: false, reason: `the check digit (9th character) should be ${expected}` };
  return { ok: true, vin, checkDigit: 'verified' };
}

// ---------------------------------------------------------------- registration plates

/** The twelve Cyrillic letters used on plates, and the Latin letters that look the same. */
const PLATE_LETTERS = 'АВЕКМНОРСТУХ';
const LATIN_LOOKALIKES = 'ABEKMHOPCTYX';
const PLATE_PATTERN = new RegExp(`^[${PLATE_LETTERS}](\\d{3})[${PLATE_LETTERS}]{2}(\\d{2,3})$`);

/**
 * Upper case, Latin look-alikes to Cyrillic, separators removed: people type plates both
 * ways, and one car must have one spelling to be found and signed by.
 */
export function normalisePlate(input: string): string {
  return Array.from(input.toUpperCase().replace(/[\s-]/g, ''), (c) => {
    const i = LATIN_LOOKALIKES.indexOf(c);
    return i >= 0 ? PLATE_LETTERS[i]! : c === 'Ё' ? 'Е' : c;
  }).join('');
}

export type PlateCheck = { ok: true; plate: string } | { ok: false; reason: string };

/** A private car's plate (GOST R 50577 type 1): letter, 3 digits, 2 letters, region. */
export function checkPlate(input: string): PlateCheck {
  const plate = normalisePlate(input);
  const m = PLATE_PATTERN.exec(plate);
  if (!m) return { ok: false, reason: `a plate looks like А123ВС77 or А123ВС777, letters from ${PLATE_LETTERS}` };
  if (m[1] === '000') return { ok: false, reason: 'plate number 000 is not issued' };
  const region = m[2]!;
  if (region === '00' || (region.length === 3 && region[0] === '0')) return { ok: false, reason: `${region} is not a region code` };
  return { ok: true, plate };
}

// ---------------------------------------------------------------- the passport

export const VEHICLE_STATUSES = ['active', 'annulled'] as const;
export type VehicleStatus = (typeof VEHICLE_STATUSES)[number];

export interface TechnicalCharacteristics {
  bodyType: string;
  color: string;
  engineType: 'petrol' | 'diesel' | 'hybrid' | 'electric' | 'gas';
  /** Absent for electric cars. */
  engineVolumeCc?: number;
  enginePowerKw: number;
  maxMassKg: number;
  ecoClass?: string;
}

export const ENGINE_TYPES = ['petrol', 'diesel', 'hybrid', 'electric', 'gas'] as const;

export interface OwnershipPeriod {
  ownerId: string;
  from: string;
  /** Absent while current. */
  to?: string;
  caseNumber?: string;
}

export interface Registration {
  plate: string;
  from: string;
  to?: string;
  caseNumber?: string;
}

export interface Inspection {
  date: string;
  validUntil: string;
  result: 'passed' | 'failed';
  mileageKm?: number;
}

export interface InsurancePolicy {
  policyNumber: string;
  insurer: string;
  from: string;
  to: string;
}

/** The whole passport at one version: what passport_versions.data holds. */
export interface Passport {
  vin: string;
  make: string;
  model: string;
  year: number;
  technical: TechnicalCharacteristics;
  /** Null after annulment or while unregistered. */
  plate: string | null;
  ownerId: string;
  status: VehicleStatus;
  owners: OwnershipPeriod[];
  registrations: Registration[];
  inspections: Inspection[];
  insurance: InsurancePolicy[];
  annulment?: { reason: AnnulmentReason; at: string; caseNumber?: string };
}

// ---------------------------------------------------------------- changes

export const CHANGE_KINDS = ['plate', 'technical', 'sale', 'annulment'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export const ANNULMENT_REASONS = ['disposal', 'export', 'theft', 'destroyed'] as const;
export type AnnulmentReason = (typeof ANNULMENT_REASONS)[number];

export interface PlateChange {
  plate: string;
}
/** Only the characteristics that change; the rest carry over. */
export interface TechnicalChange {
  technical: Partial<TechnicalCharacteristics>;
}
export interface SaleChange {
  buyerId: string;
  /** Date of the sale contract, YYYY-MM-DD. */
  contractDate: string;
}
export interface AnnulmentChange {
  reason: AnnulmentReason;
}

export interface ChangePayloads {
  plate: PlateChange;
  technical: TechnicalChange;
  sale: SaleChange;
  annulment: AnnulmentChange;
}

export type PassportChange = { [K in ChangeKind]: { kind: K; payload: ChangePayloads[K] } }[ChangeKind];

/** What the owner signs: the change, the passport version it is based on and the documents. */
export type ChangeRequest = PassportChange & {
  vin: string;
  requesterId: string;
  basedOnVersion: number;
  /** SHA-256 (hex) of every supporting document. */
  documentSha256: string[];
};

/** Why a change may not be requested on this passport now, or null when it may. */
export function changeRefusal(passport: Pick<Passport, 'ownerId' | 'status' | 'plate'>, request: ChangeRequest): string | null {
  if (passport.status === 'annulled') return 'the passport is annulled and accepts no changes';
  if (passport.ownerId !== request.requesterId) return 'only the current owner may request changes';
  if (request.kind === 'sale' && request.payload.buyerId === request.requesterId) return 'the buyer must be another person';
  if (request.kind === 'plate' && passport.plate === normalisePlate(request.payload.plate)) return 'the vehicle already has this plate';
  return null;
}

/**
 * The next version of the passport after an approved change. History lists are only
 * appended to (a period still open is closed), so every earlier state stays readable.
 */
export function applyChange(passport: Passport, change: PassportChange, at: string, caseNumber: string): Passport {
  const day = at.slice(0, 10);
  const closeOpen = <T extends { to?: string }>(list: T[]): T[] => list.map((e) => (e.to === undefined ? { ...e, to: day } : e));
  switch (change.kind) {
    case 'plate': {
      const plate = normalisePlate(change.payload.plate);
      return { ...passport, plate, registrations: [...closeOpen(passport.registrations), { plate, from: day, caseNumber }] };
    }
    case 'technical':
      return { ...passport, technical: { ...passport.technical, ...change.payload.technical } };
    case 'sale':
      return {
        ...passport,
        ownerId: change.payload.buyerId,
        owners: [...closeOpen(passport.owners), { ownerId: change.payload.buyerId, from: day, caseNumber }],
      };
    case 'annulment':
      return {
        ...passport,
        status: 'annulled',
        plate: null,
        registrations: closeOpen(passport.registrations),
        annulment: { reason: change.payload.reason, at, caseNumber },
      };
  }
}

// ---------------------------------------------------------------- canonical form

/** Names the format inside the signed bytes, so a signature cannot be replayed as another kind of document. */
export const CHANGE_REQUEST_FORMAT = 'epts-change-request/1';

/** Spellings that mean the same thing are signed as one: upper-case VIN and hashes, Cyrillic plates. */
function normalisedPayload(change: PassportChange): unknown {
  return change.kind === 'plate' ? { ...change.payload, plate: normalisePlate(change.payload.plate) } : change.payload;
}

/**
 * The exact bytes an owner signs (detached) for a change request: UTF-8 canonical JSON
 * of the request. Documents enter by their hashes, sorted, so the order they were
 * attached in does not matter but a swapped or altered file breaks the signature.
 */
export function canonicalChangeRequest(request: ChangeRequest): Uint8Array {
  return new TextEncoder().encode(
    canonicalJson({
      format: CHANGE_REQUEST_FORMAT,
      vin: normaliseVin(request.vin),
      kind: request.kind,
      payload: normalisedPayload(request),
      basedOnVersion: request.basedOnVersion,
      requester: request.requesterId,
      documents: request.documentSha256.map((h) => h.toLowerCase()).sort(),
    }),
  );
}

/** YYYY-MM-DD naming a day that exists (no 31 February). */
const isCalendarDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().slice(0, 10) === s;

/**
 * What JSON schema cannot say about a change's payload, as paths under the payload
 * (`/plate`); empty when the change is well-formed.
 */
export function changePayloadErrors(change: PassportChange): Array<{ path: string; message: string }> {
  switch (change.kind) {
    case 'plate': {
      const check = checkPlate(change.payload.plate);
      return check.ok ? [] : [{ path: '/plate', message: check.reason }];
    }
    case 'technical':
      return Object.keys(change.payload.technical).length ? [] : [{ path: '/technical', message: 'name at least one characteristic to change' }];
    case 'sale':
      return isCalendarDate(change.payload.contractDate) ? [] : [{ path: '/contractDate', message: 'a date as YYYY-MM-DD' }];
    case 'annulment':
      return ANNULMENT_REASONS.includes(change.payload.reason) ? [] : [{ path: '/reason', message: `one of ${ANNULMENT_REASONS.join(', ')}` }];
  }
}
