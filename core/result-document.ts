/**
 * Result documents (SPEC §4.1 result, §4.4 extract): what a document shows, where an
 * in-person result is collected, and where a document stands in the register. Pure.
 */
import { dayOf, dayToDate, isWorkingDay, type WorkCalendar } from './deadline-clock';

export type IssuedDocumentKind = 'application_result' | 'passport_extract';

/** One line of a document as printed: public verification shows these and nothing else. */
export interface PrintedField {
  label: string;
  value: string;
}

/** Where and when an in-person result waits for the citizen. */
export interface Appointment {
  office: string;
  /** YYYY-MM-DD, a working day. */
  date: string;
  /** HH:MM, agency time. */
  time: string;
}

export type DocumentStanding = 'genuine' | 'superseded' | 'revoked';

/** A newer document of the same case says more than a revocation: it is the one to use now. */
export function standingOf(doc: { supersededBy: string | null; revokedAt: string | null }): DocumentStanding {
  if (doc.supersededBy) return 'superseded';
  if (doc.revokedAt) return 'revoked';
  return 'genuine';
}

/** The result is prepared within this many working days after the decision. */
export const PICKUP_AFTER_WORKING_DAYS = 3;
export const PICKUP_TIME = '10:00';

/** The appointment to collect a result decided at `decidedAt`: a few working days out. */
export function pickupAppointment(office: string, decidedAt: string, calendar: WorkCalendar): Appointment {
  let day = dayOf(decidedAt);
  for (let counted = 0; counted < PICKUP_AFTER_WORKING_DAYS; ) {
    day++;
    if (isWorkingDay(day, calendar)) counted++;
  }
  return { office, date: dayToDate(day), time: PICKUP_TIME };
}

/** Agencies as the documents name them; the catalogue refers to them by code. */
const AGENCY_NAMES: Record<string, string> = {
  mvd: 'Министерство внутренних дел Российской Федерации',
  gibdd: 'Госавтоинспекция МВД России',
  sfr: 'Фонд пенсионного и социального страхования Российской Федерации',
  fns: 'Федеральная налоговая служба',
  zags: 'Органы записи актов гражданского состояния',
  minzdrav: 'Министерство здравоохранения Российской Федерации',
};

export function agencyName(code: string): string {
  return AGENCY_NAMES[code] ?? code;
}

/** 2026-12-02T10:00:00Z → 02.12.2026, the date as Russian documents print it (agency time). */
export function printedDate(instant: string): string {
  return printedDay(dayToDate(dayOf(instant)));
}

/** 2026-12-07 → 07.12.2026 */
export function printedDay(date: string): string {
  const [y, m, d] = date.split('-');
  return `${d}.${m}.${y}`;
}
