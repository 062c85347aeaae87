/** The appeal ledger's rules alone: windows per ground, refusals, the chain of appeals. */
import { describe, expect, it } from 'vitest';
import { AppealLedger, type AppealsState, type ContestedCase } from '../core/appeal-ledger';
import { dayOf, dayToDate } from '../core/deadline-clock';
import { FailureType } from '../core/failures';

const DECIDED = '2026-11-02T09:00:00.000Z';
const doc = (id: string) => ({ id, type: 'other', fileName: `${id}.pdf`, sha256: id });

function rejectedCase(over: Partial<ContestedCase> = {}): ContestedCase {
  return {
    number: 'A-2026-0000001',
    status: 'rejected',
    service: { code: 'svc', name: 'Справка', agency: 'mvd' },
    submittedAt: '2026-10-20T09:00:00.000Z',
    assigneeId: 'rita',
    decision: { outcome: 'rejected', reasonCode: 'not_eligible', decidedBy: 'rita', decidedAt: DECIDED },
    fee: { amount: 0 },
    deadline: { breachedAt: null, view: { expectedDue: '2026-11-10' } },
    ...over,
  };
}
const ledger = (c = rejectedCase(), s: AppealsState = { open: null, history: [] }) => new AppealLedger(s, c);
const filing = (appealNumber: string, documents = [doc('d1')]) => ({ appealNumber, ground: 'rejection' as const, documents });

describe('appeal ledger', () => {
  it('gives each ground its window from the day after the decision, and names the decider', () => {
    const l = ledger();
    const found = l.contestable('rejection');
    expect(found).toMatchObject({ lastDay: dayOf(DECIDED) + 30, decision: { appealUntil: '2026-12-02', officials: [{ id: 'rita' }], repeatOf: null } });
    expect(l.contestable('wrong_fee')).toEqual({ none: 'no state duty was charged on this application' });
    expect(l.contestable('deadline_breach')).toEqual({ none: 'the processing deadline of this application has not been breached' });
    expect(l.lastDays().map(([g]) => g)).toEqual(['rejection', 'wrong_service']);
  });

  it('refuses a late appeal with the day the window closed, and a second one while the first is open', () => {
    const l = ledger();
    const last = dayOf(DECIDED) + 30;
    expect(l.refusal(filing('J-1'), last)).toBeNull();
    expect(l.refusal(filing('J-1'), last + 1)).toEqual({
      type: FailureType.InvalidState,
      message: `the period to appeal closed on ${dayToDate(last)}`,
      details: { appealClosedOn: dayToDate(last) },
    });
    l.file(filing('J-1'), DECIDED);
    expect(l.refusal(filing('J-2'), last)).toMatchObject({ details: { openAppeal: 'J-1' } });
    // A retried filing of the open appeal is not refused.
    expect(l.refusal(filing('J-1'), last + 10)).toBeNull();
  });

  it('after a dismissal: a new window from the dismissal, new evidence required, the dismissing expert recused', () => {
    const l = ledger();
    l.file(filing('J-1'), DECIDED);
    const dismissedAt = '2026-11-20T12:00:00.000Z';
    expect(l.close({ appealNumber: 'J-1', ground: 'rejection', outcome: 'dismissed', remedy: null, correctedFee: null, decidedBy: 'erik', decidedAt: dismissedAt })).toBe(true);
    expect(l.close({ appealNumber: 'J-1', ground: 'rejection', outcome: 'dismissed', remedy: null, correctedFee: null, decidedBy: 'erik', decidedAt: dismissedAt })).toBe(false);
    const again = l.contestable('rejection');
    expect(again).toMatchObject({ lastDay: dayOf(dismissedAt) + 30, decision: { repeatOf: 'J-1' } });
    expect('decision' in again && again.decision.officials.map((o) => o.id)).toEqual(['rita', 'erik']);
    const today = dayOf(dismissedAt) + 1;
    expect(l.refusal(filing('J-2'), today)).toMatchObject({ type: FailureType.Invalid, details: { repeatOf: 'J-1' } });
    expect(l.refusal(filing('J-2', [doc('d1'), doc('d2')]), today)).toBeNull();
    expect(l.view()).toMatchObject({ underAppeal: null, history: [{ number: 'J-1', outcome: 'dismissed' }] });
  });

  it('keeps the case appealable while an appeal is open or a window runs, not after', () => {
    const l = ledger();
    const end = l.windowEnd()!;
    expect(l.appealable(end - 1)).toBe(true);
    expect(l.appealable(end)).toBe(false);
    l.file(filing('J-1'), DECIDED);
    expect(l.appealable(end + 86_400_000)).toBe(true);
    expect(ledger(rejectedCase({ decision: null, status: 'submitted' })).windowEnd()).toBeNull();
  });
});
