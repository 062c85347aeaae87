import { randomInt } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import type { ProjectionBatch } from '../../core/case-projection';
import {
  codeIssuedUpdate,
  enterCodeUpdate,
  registrationStateQuery,
  registrationWorkflow,
  restartUpdate,
} from '../../workflows/identity-registration';
import { everyNoticeQueued } from '../support/case-workflows';
import { timeSkippingSuite } from '../support/temporal';

const MINUTE = 60_000;
const citizen: ActionMeta = { actor: { id: 'account-1', role: 'citizen' } };

/** `takenMeanwhile`: another account confirms the same phone first, so activation finds it taken. */
function fakeActivities({ takenMeanwhile = false } = {}) {
  const batches: ProjectionBatch[] = [];
  const activated: string[] = [];
  const released: string[] = [];
  const codes: string[] = [];
  const activities: Pick<Activities, 'projectCase' | 'issueCode' | 'verifyCode' | 'activateAccount' | 'releasePendingAccount' | 'deliverNotices'> = {
    async deliverNotices() {
      return { sent: 0, failed: 0 };
    },
    async projectCase(batch) {
      batches.push(batch);
      return everyNoticeQueued(batch);
    },
    async issueCode(req) {
      codes.push(`${req.channel}:${req.messageKey}`);
      return { digest: `digest-${req.messageKey}` };
    },
    async verifyCode({ code, digest }) {
      return code === '111111' && digest.startsWith('digest-');
    },
    async activateAccount({ accountId, level }) {
      if (takenMeanwhile) return { activated: false };
      activated.push(`${accountId}:${level}`);
      return { activated: true };
    },
    async releasePendingAccount({ accountId }) {
      released.push(accountId);
    },
  };
  return { activities, batches, activated, released, codes, types: () => batches.flatMap((b) => b.entries.map((e) => e.type)) };
}

const suite = timeSkippingSuite();

async function register(taskQueue: string) {
  const number = `I-2026-${randomInt(1_000_000, 9_999_999)}`;
  const handle = await suite.env.client.workflow.start(registrationWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, accountId: 'account-1', channels: ['sms', 'email'], channel: 'sms', codeTtlMinutes: 10, maxAttempts: 3, windowHours: 24, meta: citizen }],
  });
  suite.track(handle);
  const answer = await handle.executeUpdate(codeIssuedUpdate);
  return { handle, answer };
}

async function refused(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((err as WorkflowUpdateFailedError).cause?.message);
}

describe.sequential('registration workflow on the time-skipping server', () => {
  it('expires the code after its lifetime; a restart sends a new one that still works', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { handle, answer } = await register(tq);
      expect(answer).toMatchObject({ status: 'awaiting_code', attemptsLeft: 3 });
      await suite.env.sleep(9 * MINUTE);
      expect((await handle.query(registrationStateQuery)).status).toBe('awaiting_code');
      await suite.env.sleep(2 * MINUTE);
      expect((await handle.query(registrationStateQuery)).status).toBe('code_expired');
      expect(await refused(handle.executeUpdate(enterCodeUpdate, { args: [{ code: '111111' }, citizen] }))).toMatch(/expired/);

      const restarted = await handle.executeUpdate(restartUpdate, { args: [{ channel: 'email' }, citizen] });
      expect(restarted.status).toBe('awaiting_code');
      expect(fake.codes).toEqual(['sms:code-1', 'email:code-2']);
      const done = await handle.executeUpdate(enterCodeUpdate, { args: [{ code: '111111' }, citizen] });
      expect(done).toMatchObject({ accepted: true, status: 'confirmed' });
      expect((await handle.result()).status).toBe('confirmed');
      expect(fake.activated).toEqual(['account-1:simplified']);
      expect(fake.released).toEqual([]);
    });
  });

  it('locks after the configured number of wrong codes', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { handle } = await register(tq);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await handle.executeUpdate(enterCodeUpdate, { args: [{ code: '999999' }, citizen] }));
      expect(answers.map((a) => [a.accepted, a.attemptsLeft, a.status])).toEqual([
        [false, 2, 'awaiting_code'],
        [false, 1, 'awaiting_code'],
        [false, 0, 'locked'],
      ]);
      expect(await refused(handle.executeUpdate(enterCodeUpdate, { args: [{ code: '111111' }, citizen] }))).toMatch(/locked/);
      expect(fake.activated).toEqual([]);
      expect(fake.types()).toContain('locked');
    });
  });

  it('closes an unfinished registration after its 24-hour window and releases its phone and e-mail', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { handle } = await register(tq);
      await suite.env.sleep(24 * 60 * MINUTE + MINUTE);
      const result = await handle.result();
      expect(result.status).toBe('abandoned');
      expect(fake.types()).toEqual(['registration_started', 'code_sent', 'code_expired', 'abandoned', 'contacts_released']);
      expect(fake.released).toEqual(['account-1']);
    });
  });

  it('refuses a right code when another account confirmed the phone first, and releases the contacts', async () => {
    const fake = fakeActivities({ takenMeanwhile: true });
    await suite.run(fake.activities, async (tq) => {
      const { handle } = await register(tq);
      const answer = await handle.executeUpdate(enterCodeUpdate, { args: [{ code: '111111' }, citizen] });
      expect(answer).toMatchObject({ accepted: false, status: 'refused' });
      expect((await handle.result()).status).toBe('refused');
      expect(fake.types().slice(-2)).toEqual(['registration_refused', 'contacts_released']);
      expect(fake.released).toEqual(['account-1']);
    });
  });
});
