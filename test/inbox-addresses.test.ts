import { describe, expect, it } from 'vitest';
import { inboxDeliveries, readableRecipients } from '../core/inbox-addresses';

const supervisors = { mvd: ['sam', 'svetlana'], appeals: ['anna'] };

describe('inbox addresses', () => {
  it('gives each configured supervisor a copy of an escalation, and keeps it shared where the desk has none', () => {
    expect(inboxDeliveries('agency:mvd:supervisor', supervisors)).toEqual([
      { recipient: 'sam', via: 'agency:mvd:supervisor' },
      { recipient: 'svetlana', via: 'agency:mvd:supervisor' },
    ]);
    expect(inboxDeliveries('appeals:supervisor', supervisors)).toEqual([{ recipient: 'anna', via: 'appeals:supervisor' }]);
    expect(inboxDeliveries('agency:fns:supervisor', supervisors)).toEqual([{ recipient: 'agency:fns:supervisor', via: null }]);
  });

  it('keeps team addresses and people as they are', () => {
    for (const recipient of ['agency:mvd', 'appeals', 'alice', 'supervisor']) {
      expect(inboxDeliveries(recipient, supervisors)).toEqual([{ recipient, via: null }]);
    }
  });

  it('lets officials read their team rows, supervisors by token also the unconfigured supervisor rows, citizens only their own', () => {
    expect(readableRecipients({ id: 'alice', role: 'citizen' })).toEqual(['alice']);
    expect(readableRecipients({ id: 'rita', role: 'reviewer', agency: 'mvd' })).toEqual(['rita', 'agency:mvd']);
    expect(readableRecipients({ id: 'sam', role: 'reviewer', agency: 'mvd', supervisor: true })).toEqual(['sam', 'agency:mvd', 'agency:mvd:supervisor']);
    expect(readableRecipients({ id: 'erik', role: 'expert' })).toEqual(['erik', 'appeals']);
    expect(readableRecipients({ id: 'root', role: 'admin' })).toEqual(['root']);
  });

  it('never lets a subject named like a role address read that role', () => {
    expect(readableRecipients({ id: 'agency:mvd', role: 'citizen' })).toEqual([]);
    expect(readableRecipients({ id: 'appeals', role: 'citizen' })).toEqual([]);
  });
});
