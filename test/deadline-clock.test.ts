import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastAppealDay } from '../core/appeal-window';
import {
  addDays,
  computeDeadline,
  dateToDay,
  dayOf,
  dayToDate,
  EMPTY_CALENDAR,
  isWorkingDay,
  startOfDay,
  type ClockInterval,
  type DeadlineClock,
  type TermUnit,
  type WorkCalendar,
} from '../core/deadline-clock';

/*
 * Every expectation in the first block is computed by hand from a paper calendar of
 * March 2026 (the 1st is a Sunday; the 6th a Friday; the 9th a Monday; the 14th a Saturday).
 * The rules: the start day is not counted; any day touched by a pause or extension is not
 * counted; the breach is the Moscow midnight after the due date; Moscow is UTC+3.
 */

/** A Moscow wall-clock time as an instant. */
const msk = (local: string) => new Date(`${local}+03:00`).toISOString();
const clock = (startedAt: string, termDays: number, unit: TermUnit, intervals: ClockInterval[] = []): DeadlineClock => ({
  startedAt,
  termDays,
  unit,
  intervals,
});
const pause = (from: string, to: string | null): ClockInterval => ({
  kind: 'pause',
  from,
  to,
  reason: 'information_request',
  actor: 'reviewer:r-1',
});
const extension = (from: string, to: string): ClockInterval => ({ kind: 'extension', from, to, reason: 'resubmitted', actor: 'citizen:c-1' });

describe('day helpers', () => {
  it('reads instants as Moscow civil days', () => {
    expect(dayToDate(dayOf('2026-03-01T20:59:59.999Z'))).toBe('2026-03-01');
    expect(dayToDate(dayOf('2026-03-01T21:00:00.000Z'))).toBe('2026-03-02');
    expect(dayToDate(dayOf('2026-03-01T21:30:00.000Z'))).toBe('2026-03-02');
    expect(dayOf(Date.parse('2026-03-01T21:30:00.000Z'))).toBe(dayOf('2026-03-01T21:30:00.000Z'));
    expect(startOfDay(dateToDay('2026-03-02'))).toBe('2026-03-01T21:00:00.000Z');
    expect(dateToDay('1970-01-02')).toBe(1);
  });

  it('tells working days from weekends, holidays and transferred working weekends', () => {
    const calendar: WorkCalendar = { holidays: ['2026-03-09'], workingWeekends: ['2026-03-14'] };
    const working = (d: string) => isWorkingDay(dateToDay(d), calendar);
    expect(working('2026-03-06')).toBe(true); // Friday
    expect(working('2026-03-07')).toBe(false); // Saturday
    expect(working('2026-03-08')).toBe(false); // Sunday
    expect(working('2026-03-09')).toBe(false); // Monday, holiday
    expect(working('2026-03-10')).toBe(true); // Tuesday
    expect(working('2026-03-14')).toBe(true); // Saturday, worked by transfer
    expect(working('2026-03-15')).toBe(false); // Sunday
  });

  it('adds whole days to an instant', () => {
    expect(addDays('2026-03-02T07:00:00.000Z', 10)).toBe('2026-03-12T07:00:00.000Z');
    expect(addDays(Date.parse('2026-03-02T07:00:00.000Z'), -3)).toBe('2026-02-27T07:00:00.000Z');
  });

  it('refuses what is not a date or an instant', () => {
    expect(() => dayOf('yesterday')).toThrow(RangeError);
    expect(() => dateToDay('2026-3-2')).toThrow(RangeError);
    expect(() => dateToDay('2026-02-30x')).toThrow(RangeError);
  });
});

describe('computeDeadline, by hand', () => {
  it('counts calendar days from the day after the start; breach at the next Moscow midnight; warning on the 8th of 10 days', () => {
    const view = computeDeadline(clock(msk('2026-03-02T10:00:00'), 10, 'calendar'), EMPTY_CALENDAR, msk('2026-03-02T10:00:00'));
    expect(view).toEqual({
      legalDue: '2026-03-12',
      expectedDue: '2026-03-12',
      dueAt: msk('2026-03-13T00:00:00'),
      // 80 % of 10 days = day 8, the 10th of March; warned when that day begins.
      warnAt: msk('2026-03-10T00:00:00'),
      paused: false,
    });
  });

  it('warns at 80 % of a 15-day term: the 12th day', () => {
    const view = computeDeadline(clock(msk('2026-03-02T10:00:00'), 15, 'calendar'), EMPTY_CALENDAR, msk('2026-03-02T10:00:00'));
    expect(view.legalDue).toBe('2026-03-17');
    expect(view.warnAt).toBe(msk('2026-03-14T00:00:00'));
    // A custom share: 50 % of 15 days, rounded up, is day 8.
    expect(computeDeadline(clock(msk('2026-03-02T10:00:00'), 15, 'calendar'), EMPTY_CALENDAR, Date.now(), 0.5).warnAt).toBe(
      msk('2026-03-10T00:00:00'),
    );
  });

  it('skips the weekend and a holiday for working-day terms', () => {
    // Friday 6th; 7th, 8th weekend; 9th holiday; 10th..13th = 4 days; Monday 16th = day 5.
    const calendar: WorkCalendar = { holidays: ['2026-03-09'], workingWeekends: [] };
    const view = computeDeadline(clock(msk('2026-03-06T12:00:00'), 5, 'working'), calendar, msk('2026-03-06T12:00:00'));
    expect(view).toMatchObject({ legalDue: '2026-03-16', expectedDue: '2026-03-16', dueAt: msk('2026-03-17T00:00:00') });
    // Without the holiday the 5th working day is Friday 13th.
    expect(computeDeadline(clock(msk('2026-03-06T12:00:00'), 5, 'working'), EMPTY_CALENDAR, msk('2026-03-06T12:00:00')).legalDue).toBe(
      '2026-03-13',
    );
  });

  it('counts a weekend day that is a working day by transfer', () => {
    // 10th..13th = 4 days, Saturday 14th worked by transfer = day 5.
    const calendar: WorkCalendar = { holidays: ['2026-03-09'], workingWeekends: ['2026-03-14'] };
    const view = computeDeadline(clock(msk('2026-03-06T12:00:00'), 5, 'working'), calendar, msk('2026-03-06T12:00:00'));
    expect(view.legalDue).toBe('2026-03-14');
  });

  it('warns on the 8th of 10 working days', () => {
    // 10,11,12,13 | 16,17,18,19 (8th) | 20,23 (10th).
    const calendar: WorkCalendar = { holidays: ['2026-03-09'], workingWeekends: [] };
    const view = computeDeadline(clock(msk('2026-03-06T12:00:00'), 10, 'working'), calendar, msk('2026-03-06T12:00:00'));
    expect(view).toMatchObject({ legalDue: '2026-03-23', warnAt: msk('2026-03-19T00:00:00'), dueAt: msk('2026-03-24T00:00:00') });
  });

  it('does not count the days of an information request, including the day it was answered', () => {
    // Counted: 3rd (1); 4th..6th paused; 7th..15th (2..10).
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [pause(msk('2026-03-04T12:00:00'), msk('2026-03-06T09:00:00'))]);
    const view = computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-06T09:00:00'));
    expect(view).toEqual({
      legalDue: '2026-03-12',
      expectedDue: '2026-03-15',
      dueAt: msk('2026-03-16T00:00:00'),
      // 8th counted day: 3rd, then 7th..13th.
      warnAt: msk('2026-03-13T00:00:00'),
      paused: false,
    });
  });

  it('pauses working-day terms over working days only', () => {
    // Start Friday 6th, 5 working days, holiday 9th. Paused Tue 10th..Wed 11th: counted 12,13,16,17,18.
    const calendar: WorkCalendar = { holidays: ['2026-03-09'], workingWeekends: [] };
    const c = clock(msk('2026-03-06T12:00:00'), 5, 'working', [pause(msk('2026-03-10T09:00:00'), msk('2026-03-11T17:00:00'))]);
    expect(computeDeadline(c, calendar, msk('2026-03-11T17:00:00'))).toMatchObject({ legalDue: '2026-03-16', expectedDue: '2026-03-18' });
    // A pause over the weekend and the holiday only costs nothing.
    const overWeekend = clock(msk('2026-03-06T12:00:00'), 5, 'working', [pause(msk('2026-03-07T09:00:00'), msk('2026-03-09T17:00:00'))]);
    expect(computeDeadline(overWeekend, calendar, msk('2026-03-09T17:00:00')).expectedDue).toBe('2026-03-16');
  });

  it('gives back one day for a request answered the same day', () => {
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [pause(msk('2026-03-04T10:00:00'), msk('2026-03-04T15:00:00'))]);
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-04T15:00:00'))).toMatchObject({ legalDue: '2026-03-12', expectedDue: '2026-03-13' });
  });

  it('treats an open pause as lasting at least until today, and says it is paused', () => {
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [pause(msk('2026-03-04T10:00:00'), null)]);
    // Paused 4th..5th so far: counted 3rd, then 6th..14th.
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-05T18:00:00'))).toMatchObject({
      legalDue: '2026-03-12',
      expectedDue: '2026-03-14',
      paused: true,
    });
    // A day later the lower bound has moved by a day.
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-06T08:00:00')).expectedDue).toBe('2026-03-15');
    // Asked the same day it was opened, it still covers that day.
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-04T10:00:00')).expectedDue).toBe('2026-03-13');
  });

  it('restarts the term after a re-check extension covering the time before the edit', () => {
    // Extended 2nd..5th: the ten days run 6th..15th.
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [extension(msk('2026-03-02T10:00:00'), msk('2026-03-05T16:00:00'))]);
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-05T16:00:00'))).toMatchObject({
      legalDue: '2026-03-12',
      expectedDue: '2026-03-15',
      dueAt: msk('2026-03-16T00:00:00'),
      paused: false,
    });
  });

  it('does not count overlapping intervals twice', () => {
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [
      extension(msk('2026-03-02T10:00:00'), msk('2026-03-05T16:00:00')),
      pause(msk('2026-03-04T10:00:00'), msk('2026-03-06T10:00:00')),
    ]);
    // Excluded 2nd..6th: the ten days run 7th..16th.
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-06T10:00:00')).expectedDue).toBe('2026-03-16');
  });

  it('uses the Moscow date: 21:30 UTC is already the next day in Moscow', () => {
    // 21:30 UTC on the 1st is 00:30 on the 2nd in Moscow: the term runs 3rd..12th.
    const late = computeDeadline(clock('2026-03-01T21:30:00.000Z', 10, 'calendar'), EMPTY_CALENDAR, '2026-03-01T21:30:00.000Z');
    expect(late).toMatchObject({ legalDue: '2026-03-12', dueAt: '2026-03-12T21:00:00.000Z' });
    // 20:59 UTC on the 1st is still the 1st in Moscow: the term runs 2nd..11th.
    const early = computeDeadline(clock('2026-03-01T20:59:00.000Z', 10, 'calendar'), EMPTY_CALENDAR, '2026-03-01T20:59:00.000Z');
    expect(early).toMatchObject({ legalDue: '2026-03-11', dueAt: '2026-03-11T21:00:00.000Z' });
    // A pause opened at 22:00 UTC on the 4th touches the 5th in Moscow, not the 4th.
    const c = clock('2026-03-01T21:30:00.000Z', 10, 'calendar', [pause('2026-03-04T22:00:00.000Z', '2026-03-04T23:00:00.000Z')]);
    expect(computeDeadline(c, EMPTY_CALENDAR, '2026-03-04T23:00:00.000Z').expectedDue).toBe('2026-03-13');
  });

  it('refuses a term that is not a positive whole number of days', () => {
    expect(() => computeDeadline(clock(msk('2026-03-02T10:00:00'), 0, 'calendar'), EMPTY_CALENDAR, Date.now())).toThrow(RangeError);
    expect(() => computeDeadline(clock(msk('2026-03-02T10:00:00'), 1.5, 'calendar'), EMPTY_CALENDAR, Date.now())).toThrow(RangeError);
    expect(() => computeDeadline(clock(msk('2026-03-02T10:00:00'), -3, 'working'), EMPTY_CALENDAR, Date.now())).toThrow(RangeError);
  });

  it('refuses a term longer than twenty years as a data error', () => {
    expect(() => computeDeadline(clock(msk('2026-03-02T10:00:00'), 366 * 20 + 1, 'calendar'), EMPTY_CALENDAR, Date.now())).toThrow(
      RangeError,
    );
  });
});

describe('computeDeadline, properties', () => {
  const DAY = 86_400_000;
  const HOUR = 3_600_000;
  const BASE = Date.parse('2026-01-01T00:00:00Z');

  const calendarArb: fc.Arbitrary<WorkCalendar> = fc
    .record({
      holidays: fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 40 }),
      workingWeekends: fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 10 }),
    })
    .map(({ holidays, workingWeekends }) => ({
      holidays: holidays.map((d) => dayToDate(dayOf(BASE) + d)),
      workingWeekends: workingWeekends.map((d) => dayToDate(dayOf(BASE) + d)),
    }));
  /** Any instant in the first months of 2026, any minute of the day, including around Moscow midnight. */
  const startArb = fc.integer({ min: 0, max: 60 * 24 * 60 }).map((minutes) => BASE + minutes * 60_000);
  /** An interval placed relative to the start (it may begin before it), closed or still open. */
  const intervalArb = (start: number) =>
    fc
      .record({
        offsetHours: fc.integer({ min: -48, max: 90 * 24 }),
        hours: fc.integer({ min: 0, max: 25 * 24 }),
        open: fc.boolean(),
        kind: fc.constantFrom('pause' as const, 'extension' as const),
      })
      .map(
        ({ offsetHours, hours, open, kind }): ClockInterval => ({
          kind,
          from: new Date(start + offsetHours * HOUR).toISOString(),
          to: open && kind === 'pause' ? null : new Date(start + (offsetHours + hours) * HOUR).toISOString(),
          reason: kind === 'pause' ? 'information_request' : 'resubmitted',
          actor: 'someone',
        }),
      );
  const scenarioArb = fc
    .record({
      start: startArb,
      term: fc.integer({ min: 1, max: 60 }),
      unit: fc.constantFrom<TermUnit>('calendar', 'working'),
      calendar: calendarArb,
      asOfDays: fc.integer({ min: 0, max: 200 }),
    })
    .chain((s) =>
      fc.record({
        s: fc.constant(s),
        intervals: fc.array(intervalArb(s.start), { maxLength: 4 }),
        extra: intervalArb(s.start),
      }),
    );
  const view = (s: { start: number; term: number; unit: TermUnit; calendar: WorkCalendar; asOfDays: number }, intervals: ClockInterval[]) =>
    computeDeadline(clock(new Date(s.start).toISOString(), s.term, s.unit, intervals), s.calendar, s.start + s.asOfDays * DAY);

  it('never expects a decision before the legal date, and warns before the breach', () => {
    fc.assert(
      fc.property(scenarioArb, ({ s, intervals }) => {
        const v = view(s, intervals);
        expect(v.expectedDue >= v.legalDue).toBe(true);
        expect(Date.parse(v.warnAt)).toBeLessThan(Date.parse(v.dueAt));
        expect(v.dueAt).toBe(startOfDay(dateToDay(v.expectedDue) + 1));
        expect(v.paused).toBe(intervals.some((i) => i.to === null));
      }),
    );
  });

  it('never moves the due date earlier when an interval is added', () => {
    fc.assert(
      fc.property(scenarioArb, ({ s, intervals, extra }) => {
        const before = view(s, intervals);
        const after = view(s, [...intervals, extra]);
        expect(after.expectedDue >= before.expectedDue).toBe(true);
        expect(after.legalDue).toBe(before.legalDue);
        expect(Date.parse(after.warnAt)).toBeGreaterThanOrEqual(Date.parse(before.warnAt));
      }),
    );
  });

  it('never moves the due date earlier as time passes during an open pause', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 100 }), ({ s, intervals, extra }, laterDays) => {
        const open: ClockInterval = { ...extra, kind: 'pause', to: null };
        const now = view(s, [...intervals, open]);
        const later = view({ ...s, asOfDays: s.asOfDays + laterDays }, [...intervals, open]);
        expect(later.expectedDue >= now.expectedDue).toBe(true);
      }),
    );
  });

  it('puts a working-day due date and warning day on a working day', () => {
    fc.assert(
      fc.property(scenarioArb, ({ s, intervals }) => {
        const v = view({ ...s, unit: 'working' }, intervals);
        expect(isWorkingDay(dateToDay(v.legalDue), s.calendar)).toBe(true);
        expect(isWorkingDay(dateToDay(v.expectedDue), s.calendar)).toBe(true);
        expect(isWorkingDay(dayOf(v.warnAt), s.calendar)).toBe(true);
      }),
    );
  });

  it('moves a calendar-day due date by exactly the paused days of one pause that starts before it', () => {
    fc.assert(
      fc.property(startArb, fc.integer({ min: 1, max: 60 }), fc.nat({ max: 90 * 24 }), fc.nat({ max: 30 * 24 }), (start, term, offsetHours, hours) => {
        const from = start + offsetHours * HOUR;
        const to = from + hours * HOUR;
        const legal = computeDeadline(clock(new Date(start).toISOString(), term, 'calendar'), EMPTY_CALENDAR, start);
        fc.pre(dayOf(from) <= dateToDay(legal.legalDue));
        const v = computeDeadline(
          clock(new Date(start).toISOString(), term, 'calendar', [pause(new Date(from).toISOString(), new Date(to).toISOString())]),
          EMPTY_CALENDAR,
          to,
        );
        // Days of the pause that would have counted: from the later of its first day and the day after the start.
        const pausedDays = Math.max(0, dayOf(to) - Math.max(dayOf(from), dayOf(start) + 1) + 1);
        expect(dateToDay(v.expectedDue) - dateToDay(v.legalDue)).toBe(pausedDays);
      }),
    );
  });
});

describe('lastAppealDay', () => {
  it('gives 30 calendar days counted from the day after the notice, in Moscow days', () => {
    expect(lastAppealDay(msk('2026-03-02T10:00:00'))).toBe('2026-04-01');
    // 22:30 UTC on 1 March is already 2 March in Moscow.
    expect(lastAppealDay('2026-03-01T22:30:00.000Z')).toBe('2026-04-01');
    expect(lastAppealDay(msk('2026-12-15T23:59:00'))).toBe('2027-01-14');
  });
});
