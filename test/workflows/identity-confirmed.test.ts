import { randomInt } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import type { ConfirmationMethod } from '../../core/identity';
import {
  bankCallbackRefusedSignal,
  bankResultSignal,
  confirmationRegisteredUpdate,
  confirmedUpgradeStateQuery,
  confirmedUpgradeWorkflow,
  enterLetterCodeUpdate,
  operatorDecisionUpdate,
} from '../../workflows/identity-confirmed';
import { FailureType } from '../../core/failures';
import { everyNoticeQueued, refusal } from '../support/case-workflows';
import { timeSkippingSuite } from '../support/temporal';

const DAY = 86_400_000;
const citizen: ActionMeta = { actor: { id: 'account-9', role: 'citizen' } };
const operator = (version: number): ActionMeta => ({ actor: { id: 'operator-1', role: 'operator' }, expectedVersion: version });

function fakeActivities() {
  const granted: string[] = [];
  const activities: Pick<Activities, 'projectCase' | 'grantConfirmedLevel' | 'deliverNotices'> = {
    async deliverNotices() {
      return { sent: 0, failed: 0 };
    },
    async projectCase(batch) {
      return everyNoticeQueued(batch);
    },
    async grantConfirmedLevel({ accountId }) {
      granted.push(accountId);
      return { granted: true };
    },
  };
  return { activities, granted };
}

const suite = timeSkippingSuite();

async function request(taskQueue: string, method: ConfirmationMethod, validDays: number) {
  const number = `I-2026-${randomInt(1_000_000, 9_999_999)}`;
  const handle = await suite.env.client.workflow.start(confirmedUpgradeWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, accountId: 'account-9', method, place: 'МФЦ', validDays, maxAttempts: 3, meta: citizen }],
  });
  suite.track(handle);
  const { version } = await handle.executeUpdate(confirmationRegisteredUpdate);
  return { handle, version };
}

describe.sequential('confirmed level on the time-skipping server', () => {
  it('lets an in-person request lapse after its 30 days', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { handle } = await request(tq, 'in_person', 30);
      await suite.env.sleep(30 * DAY + 60_000);
      expect((await handle.result()).status).toBe('expired');
      expect(fake.granted).toEqual([]);
    });
  });

  it('refuses an in-person decision by a non-operator, by an operator on their own account, or on a stale version; a late bank callback changes nothing', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { handle, version } = await request(tq, 'in_person', 30);
      const asCitizen = handle.executeUpdate(operatorDecisionUpdate, { args: [{ decision: 'confirm', office: 'МФЦ' }, { ...citizen, expectedVersion: version }] });
      await expect(asCitizen).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      const confirm = { decision: 'confirm' as const, office: 'МФЦ' };
      const others: Array<[string, ActionMeta['actor']]> = [
        ['the account holder as an operator', { id: 'account-9', role: 'operator' }],
        ['a reviewer', { id: 'reviewer-1', role: 'reviewer', agency: 'mvd' }],
        ['an admin', { id: 'admin-1', role: 'admin' }],
      ];
      for (const [who, actor] of others) {
        expect.soft(await refusal(handle.executeUpdate(operatorDecisionUpdate, { args: [confirm, { actor, expectedVersion: version }] })), who).toBe(FailureType.Forbidden);
      }
      const stale = await handle
        .executeUpdate(operatorDecisionUpdate, { args: [{ decision: 'confirm', office: 'МФЦ' }, operator(version + 5)] })
        .catch((e: WorkflowUpdateFailedError) => e);
      expect((stale as WorkflowUpdateFailedError).cause?.message).toMatch(/the case changed/);
      await handle.signal(bankResultSignal, { bank: 'Банк', confirmed: true, reference: 'r' });
      const done = await handle.executeUpdate(operatorDecisionUpdate, { args: [{ decision: 'confirm', office: 'МФЦ' }, operator(version)] });
      expect(done.status).toBe('confirmed');
      expect(fake.granted).toEqual(['account-9']);
    });
  });

  it('locks a letter request after three wrong codes', async () => {
    const fake = fakeActivities();
    const withCodes = {
      ...fake.activities,
      async issueCode() {
        return { digest: 'letter-digest' };
      },
      async verifyCode({ code }: { code: string }) {
        return code === '424242';
      },
    };
    await suite.run(withCodes, async (tq) => {
      const { handle } = await request(tq, 'letter', 30);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await handle.executeUpdate(enterLetterCodeUpdate, { args: [{ code: '000000' }, citizen] }));
      expect(answers.map((a) => a.attemptsLeft)).toEqual([2, 1, 0]);
      expect(answers.at(-1)?.status).toBe('locked');
      // Refused by the validator, or by the server once the locked request has closed.
      await expect(handle.executeUpdate(enterLetterCodeUpdate, { args: [{ code: '424242' }, citizen] })).rejects.toSatisfy(
        (e) => e instanceof WorkflowUpdateFailedError || e instanceof WorkflowNotFoundError,
      );
      expect((await handle.result()).status).toBe('locked');
      expect(fake.granted).toEqual([]);
    });
  });

  it('lets the registered letter code expire with its request', async () => {
    const fake = fakeActivities();
    const withCodes = { ...fake.activities, issueCode: async () => ({ digest: 'letter-digest' }), verifyCode: async () => true };
    await suite.run(withCodes, async (tq) => {
      const { handle } = await request(tq, 'letter', 30);
      await suite.env.sleep(29 * DAY);
      expect((await handle.query(confirmedUpgradeStateQuery)).status).toBe('awaiting_confirmation');
      await suite.env.sleep(DAY + 60_000);
      expect((await handle.result()).status).toBe('expired');
      await expect(handle.executeUpdate(enterLetterCodeUpdate, { args: [{ code: '424242' }, citizen] })).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
      expect(fake.granted).toEqual([]);
    });
  });

  it('waits one day for the bank, which may also say no', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const lapsing = await request(tq, 'bank', 1);
      await suite.env.sleep(DAY + 60_000);
      expect((await lapsing.handle.result()).status).toBe('expired');

      const refused = await request(tq, 'bank', 1);
      await refused.handle.signal(bankResultSignal, { bank: 'Банк', confirmed: false, reference: 'r2' });
      expect((await refused.handle.result()).status).toBe('refused');
      expect(fake.granted).toEqual([]);
    });
  });

  it('journals a bank callback the API refused, and goes on waiting for the bank', async () => {
    const fake = fakeActivities();
    const journaled: string[] = [];
    const activities = {
      ...fake.activities,
      async projectCase(batch: Parameters<Activities['projectCase']>[0]) {
        journaled.push(...batch.entries.map((e) => `${e.type} by ${e.actor.id} from ${e.clientAddress ?? '-'}`));
        return everyNoticeQueued(batch);
      },
    };
    await suite.run(activities, async (tq) => {
      const { handle } = await request(tq, 'bank', 1);
      const bank: ActionMeta = { actor: { id: 'bank:tbank', role: 'payment_gateway' }, clientAddress: '203.0.113.5' };
      await handle.signal(bankCallbackRefusedSignal, { summary: 'A callback of Т-Банк (event e1) was refused: replayed' }, bank);
      expect((await handle.query(confirmedUpgradeStateQuery)).status).toBe('awaiting_confirmation');
      await handle.signal(bankResultSignal, { bank: 'Банк', confirmed: true, reference: 'r3' });
      expect((await handle.result()).status).toBe('confirmed');
      expect(journaled).toEqual([
        'confirmation_requested by account-9 from -',
        'bank_callback_refused by bank:tbank from 203.0.113.5',
        'level_granted by bank:МФЦ from -',
      ]);
    });
  });
});
