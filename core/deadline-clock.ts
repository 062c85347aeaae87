/**
 * The processing deadline as a clock, not a flag. The due date is derived from the
 * legal term and the intervals in which the clock did not run (information requests,
 * extensions, cancellation). Pure and deterministic: used by workflows and the API.
 *
 * Day rules follow the civil-code convention: a term starts running on the day after
 * the event that starts it, so the start day is not counted, and neither is any day
 * touched by an interval (the day the clock resumes is itself an event day).
 * Days are civil dates in the agencies' time zone (Moscow, UTC+3, no DST).
 */

export type TermUnit = 'calendar' | 'working';

export interface WorkCalendar {
  /** Non-working weekdays, YYYY-MM-DD. */
  holidays: readonly string[];
  /** Weekend days that are working days by transfer, YYYY-MM-DD. */
  workingWeekends: readonly string[];
}

export interface ClockInterval {
  kind: 'pause' | 'extension';
  /** ISO instant */
  from: string;
  /** ISO instant; null while the interval is open */
  to: string | null;
  reason: string;
  actor: string;
}

export interface DeadlineClock {
  /** ISO instant the term started running */
  startedAt: string;
  termDays: number;
  unit: TermUnit;
  intervals: ClockInterval[];
}

export interface DeadlineView {
  /** Due date by law, ignoring intervals (YYYY-MM-DD). */
  legalDue: string;
  /** Due date with every interval applied (YYYY-MM-DD); a lower bound while paused. */
  expectedDue: string;
  /** Instant the deadline is breached: the start of the day after expectedDue. */
  dueAt: string;
  /** Instant the reviewer side is warned: the start of the day the warn share is reached. */
  warnAt: string;
  paused: boolean;
}

export const AGENCY_UTC_OFFSET_MINUTES = 180;
const DAY_MS = 86_400_000;
const OFFSET_MS = AGENCY_UTC_OFFSET_MINUTES * 60_000;
/** A term of more than this many years is a data error, not a deadline. */
const MAX_SCAN_DAYS = 366 * 20;

export const EMPTY_CALENDAR: WorkCalendar = { holidays: [], workingWeekends: [] };

/** Civil day number (days since 1970-01-01) of an instant in the agencies' zone. */
export function dayOf(instant: string | number): number {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${String(instant)}`);
  return Math.floor((ms + OFFSET_MS) / DAY_MS);
}

export function dayToDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function dateToDay(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a date: ${date}`);
  return ms / DAY_MS;
}

/** Instant at which a civil day starts in the agencies' zone. */
export function startOfDay(day: number): string {
  return new Date(day * DAY_MS - OFFSET_MS).toISOString();
}

export function isWorkingDay(day: number, calendar: WorkCalendar): boolean {
  const date = dayToDate(day);
  if (calendar.workingWeekends.includes(date)) return true;
  if (calendar.holidays.includes(date)) return false;
  const weekday = new Date(day * DAY_MS).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

interface DayRange {
  from: number;
  to: number;
}

/** Counts term days after `startDay`; returns the day on which `count` is reached. */
function dayReaching(
  count: number,
  startDay: number,
  unit: TermUnit,
  excluded: DayRange[],
  calendar: WorkCalendar,
): number {
  let counted = 0;
  for (let day = startDay + 1; day <= startDay + MAX_SCAN_DAYS; day++) {
    if (excluded.some((r) => day >= r.from && day <= r.to)) continue;
    if (unit === 'working' && !isWorkingDay(day, calendar)) continue;
    counted++;
    if (counted >= count) return day;
  }
  throw new RangeError(`term of ${count} ${unit} days does not fit in ${MAX_SCAN_DAYS} days`);
}

export function computeDeadline(
  clock: DeadlineClock,
  calendar: WorkCalendar,
  asOf: string | number,
  warnShare = 0.8,
): DeadlineView {
  if (!Number.isInteger(clock.termDays) || clock.termDays < 1) {
    throw new RangeError(`term must be a positive whole number of days, got ${clock.termDays}`);
  }
  const startDay = dayOf(clock.startedAt);
  const today = dayOf(asOf);
  const excluded = clock.intervals.map((i) => ({
    from: dayOf(i.from),
    to: i.to === null ? Math.max(today, dayOf(i.from)) : dayOf(i.to),
  }));
  const legal = dayReaching(clock.termDays, startDay, clock.unit, [], calendar);
  const expected = dayReaching(clock.termDays, startDay, clock.unit, excluded, calendar);
  const warnCount = Math.max(1, Math.ceil(clock.termDays * warnShare));
  const warnDay = dayReaching(warnCount, startDay, clock.unit, excluded, calendar);
  return {
    legalDue: dayToDate(legal),
    expectedDue: dayToDate(expected),
    dueAt: startOfDay(expected + 1),
    warnAt: startOfDay(warnDay),
    paused: clock.intervals.some((i) => i.to === null),
  };
}

export function addDays(instant: string | number, days: number): string {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  return new Date(ms + days * DAY_MS).toISOString();
}

/** A move of the expected due date, and why. */
export interface DeadlineChange {
  at: string;
  expectedDue: string;
  reason: string;
}
