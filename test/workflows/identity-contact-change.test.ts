import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import type { ProjectionBatch } from '../../core/case-projection';
import { contactChangeStateQuery, contactChangeWorkflow, contactCodeSentUpdate, enterContactCodeUpdate } from '../../workflows/identity-contact-change';
import { everyNoticeQueued } from '../support/case-workflows';
import { timeSkippingSuite } from '../support/temporal';

const MINUTE = 60_000;
const citizen: ActionMeta = { actor: { id: 'account-1', role: 'citizen' } };

/** `taken`: another account holds the new address by the time the code is confirmed. */
function fakeActivities(taken = false) {
  const batches: ProjectionBatch[] = [];
  const applied: string[] = [];
  const codes: string[] = [];
  const activities: Pick<Activities, 'projectCase' | 'issueCode' | 'verifyCode' | 'applyContactChange' | 'deliverNotices'> = {
    async deliverNotices() {
      return { sent: 0, failed: 0 };
    },
    async projectCase(batch) {
      batches.push(batch);
      return everyNoticeQueued(batch);
    },
    async issueCode(req) {
      codes.push(`${req.channel}:${req.messageKey}:${req.toNewContact ? 'new' : 'account'}`);
      return { digest: `digest-${req.messageKey}` };
    },
    async verifyCode({ code, digest }) {
      return code === '111111' && digest.startsWith('digest-');
    },
    async applyContactChange(caseNumber) {
      if (!taken) applied.push(caseNumber);
      return { applied: !taken };
    },
  };
  const entries = () => batches.flatMap((b) => b.entries);
  return { activities, applied, codes, entries, types: () => entries().map((e) => e.type), last: () => batches.at(-1)!.projection };
}

const suite = timeSkippingSuite();

async function requestChange(taskQueue: string) {
  const number = `I-2026-${randomInt(1_000_000, 9_999_999)}`;
  const handle = await suite.env.client.workflow.start(contactChangeWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [{ number, accountId: 'account-1', channel: 'email', codeTtlMinutes: 10, maxAttempts: 3, meta: citizen }],
  });
  suite.track(handle);
  return { number, handle, answer: await handle.executeUpdate(contactCodeSentUpdate) };
}

const enter = (handle: Awaited<ReturnType<typeof requestChange>>['handle'], code: string) =>
  handle.executeUpdate(enterContactCodeUpdate, { args: [{ code }, citizen] });

describe.sequential('contact change workflow on the time-skipping server', () => {
  it('sends the code to the new address; a confirmed code changes the account and tells the citizen', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { number, handle, answer } = await requestChange(tq);
      expect(answer).toMatchObject({ status: 'awaiting_code', attemptsLeft: 3, version: 2 });
      expect(fake.codes).toEqual(['email:code-1:new']);
      expect(await enter(handle, '999999')).toMatchObject({ accepted: false, attemptsLeft: 2, status: 'awaiting_code' });
      expect(await enter(handle, '111111')).toMatchObject({ accepted: true, status: 'confirmed' });
      expect((await handle.result()).status).toBe('confirmed');
      expect(fake.applied).toEqual([number]);
      expect(fake.types()).toEqual(['contact_change_requested', 'code_sent', 'code_rejected', 'contact_changed']);
      expect(fake.entries().at(-1)!.notify).toEqual([{ recipient: 'account-1', type: 'personal_data_updated', title: `${number}: изменён адрес электронной почты` }]);
      expect(fake.last()).toMatchObject({ status: 'confirmed', closedAt: expect.any(String), detail: { purpose: 'contact_change', channel: 'email' } });
    });
  });

  it('ends the change when its code expires, without touching the account', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { handle } = await requestChange(tq);
      await suite.env.sleep(9 * MINUTE);
      expect((await handle.query(contactChangeStateQuery)).status).toBe('awaiting_code');
      await suite.env.sleep(2 * MINUTE);
      expect((await handle.result()).status).toBe('code_expired');
      expect(fake.types()).toEqual(['contact_change_requested', 'code_sent', 'code_expired']);
      expect(fake.applied).toEqual([]);
    });
  });

  it('locks and ends the change after the configured number of wrong codes', async () => {
    const fake = fakeActivities();
    await suite.run(fake.activities, async (tq) => {
      const { handle } = await requestChange(tq);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await enter(handle, '999999'));
      expect(answers.map((a) => [a.accepted, a.attemptsLeft, a.status])).toEqual([
        [false, 2, 'awaiting_code'],
        [false, 1, 'awaiting_code'],
        [false, 0, 'locked'],
      ]);
      expect((await handle.result()).status).toBe('locked');
      expect(fake.applied).toEqual([]);
    });
  });

  it('refuses the change when another account took the address before the code was entered', async () => {
    const fake = fakeActivities(true);
    await suite.run(fake.activities, async (tq) => {
      const { handle } = await requestChange(tq);
      expect(await enter(handle, '111111')).toMatchObject({ accepted: false, status: 'refused' });
      expect(fake.types().at(-1)).toBe('contact_change_refused');
      expect(fake.entries().at(-1)!.notify).toBeUndefined();
    });
  });
});
