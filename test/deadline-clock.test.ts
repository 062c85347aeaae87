import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeDeadline,
  dateToDay,
  EMPTY_CALENDAR,
  isWorkingDay,
  type ClockInterval,
  type DeadlineClock,
  type WorkCalendar,
} from '../core/deadline-clock';

/** A Moscow wall-clock time as an instant. */
const msk = (local: string) => new Date(`${local}+03:00`).toISOString();
const clock = (startedAt: string, termDays: number, unit: 'calendar' | 'working', intervals: ClockInterval[] = []): DeadlineClock => ({
  startedAt,
  termDays,
  unit,
  intervals,
});
const pause = (from: string, to: string | null): ClockInterval => ({ kind: 'pause', from, to, reason: 'information_request', actor: 'reviewer:r' });

describe('computeDeadline, by hand', () => {
  it('counts calendar days from the day after the start, breach at the next Moscow midnight, warning at 80 %', () => {
    const view = computeDeadline(clock(msk('2026-03-02T10:00:00'), 10, 'calendar'), EMPTY_CALENDAR, msk('2026-03-02T10:00:00'));
    expect(view).toEqual({
      legalDue: '2026-03-12',
      expectedDue: '2026-03-12',
      dueAt: '2026-03-12T21:00:00.000Z',
      warnAt: '2026-03-09T21:00:00.000Z',
      paused: false,
    });
  });

  it('skips weekends and holidays for working-day terms', () => {
    const calendar: WorkCalendar = { holidays: ['2026-03-09'], workingWeekends: [] };
    const view = computeDeadline(clock(msk('2026-03-06T12:00:00'), 5, 'working'), calendar, msk('2026-03-06T12:00:00'));
    expect(view.legalDue).toBe('2026-03-16');
  });

  it('counts a weekend day that is a working day by transfer', () => {
    const calendar: WorkCalendar = { holidays: ['2026-03-09'], workingWeekends: ['2026-03-14'] };
    const view = computeDeadline(clock(msk('2026-03-06T12:00:00'), 5, 'working'), calendar, msk('2026-03-06T12:00:00'));
    expect(view.legalDue).toBe('2026-03-14');
  });

  it('does not count the days of an information request, including the day it was answered', () => {
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [pause(msk('2026-03-04T12:00:00'), msk('2026-03-06T09:00:00'))]);
    const view = computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-06T09:00:00'));
    expect(view).toMatchObject({ legalDue: '2026-03-12', expectedDue: '2026-03-15', paused: false });
  });

  it('gives back one day for a request answered the same day', () => {
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [pause(msk('2026-03-04T10:00:00'), msk('2026-03-04T15:00:00'))]);
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-04T15:00:00')).expectedDue).toBe('2026-03-13');
  });

  it('treats an open pause as running until today, and says it is paused', () => {
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [pause(msk('2026-03-04T10:00:00'), null)]);
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-05T18:00:00'))).toMatchObject({ expectedDue: '2026-03-14', paused: true });
  });

  it('restarts the term after a re-check extension covering the time before the edit', () => {
    const c = clock(msk('2026-03-02T10:00:00'), 10, 'calendar', [
      { kind: 'extension', from: msk('2026-03-02T10:00:00'), to: msk('2026-03-05T16:00:00'), reason: 'resubmitted', actor: 'citizen:c' },
    ]);
    expect(computeDeadline(c, EMPTY_CALENDAR, msk('2026-03-05T16:00:00')).expectedDue).toBe('2026-03-15');
  });

  it('uses the Moscow date: 21:30 UTC is already the next day', () => {
    const view = computeDeadline(clock('2026-03-01T21:30:00.000Z', 10, 'calendar'), EMPTY_CALENDAR, '2026-03-01T21:30:00.000Z');
    expect(view.legalDue).toBe('2026-03-12');
  });

  it('refuses a term that is not a positive whole number', () => {
    expect(() => computeDeadline(clock(msk('2026-03-02T10:00:00'), 0, 'calendar'), EMPTY_CALENDAR, Date.now())).toThrow(RangeError);
  });
});

describe('computeDeadline, properties', () => {
  const START = Date.parse('2026-01-12T07:00:00Z');
  const DAY = 86_400_000;
  const calendar: WorkCalendar = { holidays: ['2026-02-23', '2026-03-09', '2026-05-01', '2026-05-11'], workingWeekends: ['2026-03-14'] };
  const intervalArb = fc
    .record({ offset: fc.integer({ min: 0, max: 60 * 24 }), hours: fc.integer({ min: 0, max: 20 * 24 }) })
    .map(({ offset, hours }) => pause(new Date(START + offset * 3_600_000).toISOString(), new Date(START + (offset + hours) * 3_600_000).toISOString()));
  const clockArb = fc.record({
    term: fc.integer({ min: 1, max: 60 }),
    unit: fc.constantFrom('calendar' as const, 'working' as const),
    intervals: fc.array(intervalArb, { maxLength: 4 }),
  });
  const asOf = START + 120 * DAY;

  it('never expects a decision before the legal date', () => {
    fc.assert(
      fc.property(clockArb, ({ term, unit, intervals }) => {
        const view = computeDeadline(clock(new Date(START).toISOString(), term, unit, intervals), calendar, asOf);
        expect(view.expectedDue >= view.legalDue).toBe(true);
        expect(Date.parse(view.warnAt)).toBeLessThan(Date.parse(view.dueAt));
      }),
    );
  });

  it('never moves the due date earlier when an interval is added', () => {
    fc.assert(
      fc.property(clockArb, intervalArb, ({ term, unit, intervals }, extra) => {
        const before = computeDeadline(clock(new Date(START).toISOString(), term, unit, intervals), calendar, asOf);
        const after = computeDeadline(clock(new Date(START).toISOString(), term, unit, [...intervals, extra]), calendar, asOf);
        expect(after.expectedDue >= before.expectedDue).toBe(true);
      }),
    );
  });

  it('puts a working-day due date on a working day', () => {
    fc.assert(
      fc.property(clockArb, ({ term, intervals }) => {
        const view = computeDeadline(clock(new Date(START).toISOString(), term, 'working', intervals), calendar, asOf);
        expect(isWorkingDay(dateToDay(view.expectedDue), calendar)).toBe(true);
        expect(isWorkingDay(dateToDay(view.legalDue), calendar)).toBe(true);
      }),
    );
  });
});
