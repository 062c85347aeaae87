import { randomInt } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import type { ProjectionBatch } from '../../core/case-projection';
import { FailureType } from '../../core/failures';
import { standardUpgradeWorkflow, upgradeRegisteredUpdate, upgradeStateQuery } from '../../workflows/identity-standard';
import { everyNoticeQueued } from '../support/case-workflows';
import { timeSkippingSuite } from '../support/temporal';

const HOUR = 3_600_000;
const citizen: ActionMeta = { actor: { id: 'account-7', role: 'citizen' } };

/** A registry that is down until the test brings it back. */
function fakeActivities() {
  const batches: ProjectionBatch[] = [];
  const registry = { up: false, calls: 0 };
  const granted: string[] = [];
  const activities: Pick<Activities, 'projectCase' | 'checkRegistries' | 'grantStandardLevel' | 'deliverNotices'> = {
    async deliverNotices() {
      return { sent: 0, failed: 0 };
    },
    async projectCase(batch) {
      batches.push(batch);
      return everyNoticeQueued(batch);
    },
    async checkRegistries() {
      registry.calls++;
      if (!registry.up) throw new Error('registry unavailable');
      return { matched: true };
    },
    async grantStandardLevel({ accountId }) {
      granted.push(accountId);
      return { granted: true };
    },
  };
  return { activities, batches, registry, granted, types: () => batches.flatMap((b) => b.entries.map((e) => e.type)) };
}

const suite = timeSkippingSuite();

async function startUpgrade(taskQueue: string, citizenship: 'RU' | 'foreign') {
  const number = `I-2026-${randomInt(1_000_000, 9_999_999)}`;
  const handle = await suite.env.client.workflow.start(standardUpgradeWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, accountId: 'account-7', citizenship, meta: citizen }],
  });
  suite.track(handle);
  await handle.executeUpdate(upgradeRegisteredUpdate);
  return handle;
}

describe.sequential('standard level upgrade on the time-skipping server', () => {
  it('grants the right to complain after 24 h of registry silence and still finishes when it answers', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const handle = await startUpgrade(tq, 'RU');
      await suite.env.sleep(23 * HOUR);
      expect((await handle.query(upgradeStateQuery)).complaintRightSince).toBeNull();
      await suite.env.sleep(2 * HOUR);
      const s = await handle.query(upgradeStateQuery);
      expect(s).toMatchObject({ status: 'checking', complaintRightSince: expect.any(String) });
      const complaint = fake.batches.flatMap((b) => b.entries).find((e) => e.type === 'complaint_right_granted');
      expect(complaint?.notify?.[0]).toMatchObject({ recipient: 'account-7' });
      expect(fake.registry.calls).toBeGreaterThan(5);

      fake.registry.up = true;
      await suite.env.sleep(HOUR);
      expect((await handle.result()).status).toBe('confirmed');
      expect(fake.granted).toEqual(['account-7']);
      expect(fake.batches.at(-1)?.projection).toMatchObject({ status: 'confirmed', overdue: true });
    });
  });

  it('gives foreign citizens 5 days before the right to complain', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const handle = await startUpgrade(tq, 'foreign');
      await suite.env.sleep(4 * 24 * HOUR);
      expect((await handle.query(upgradeStateQuery)).complaintRightSince).toBeNull();
      await suite.env.sleep(25 * HOUR);
      expect((await handle.query(upgradeStateQuery)).complaintRightSince).not.toBeNull();
    });
  });

  it('ends rejected with the reason when the check can never succeed, instead of waiting for ever', async () => {
    const fake = fakeActivities();
    const lost: typeof fake.activities = {
      ...fake.activities,
      async checkRegistries(number) {
        fake.registry.calls++;
        throw ApplicationFailure.nonRetryable(`no identity data for ${number}`, FailureType.Permanent);
      },
    };
    await suite.run(lost, async (tq) => {
      const handle = await startUpgrade(tq, 'RU');
      const end = await handle.result();
      expect(end.status).toBe('rejected');
      expect(fake.registry.calls).toBe(1);
      expect(fake.granted).toEqual([]);
      expect(fake.types()).toEqual(['registry_check_started', 'registry_answered', 'level_refused']);
      expect(fake.batches.at(-1)?.projection.detail).toMatchObject({ reason: expect.stringMatching(/^the data could not be checked: no identity data for I-/) });
    });
  });
});
