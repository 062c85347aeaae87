/**
 * Passport change cases on the time-skipping test server: the buyer's deadline to confirm
 * a sale with its reminders, the lapse, and an approved change writing the passport.
 * Activities are faked: they record projections and the passport writes asked for.
 */
import { randomInt } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { AppliedChange, PassportChangeRequest } from '../../activities';
import { caseWorkflowId, type ActionMeta } from '../../core/case-model';
import { EMPTY_CALENDAR } from '../../core/deadline-clock';
import type { VerifiedSignature } from '../../core/epts';
import { FailureType } from '../../core/failures';
import type { PassportChange } from '../../core/vehicle';
import { eptsChangeRegisteredUpdate, eptsChangeStateQuery, confirmSaleUpdate, eptsChangeWorkflow } from '../../workflows/epts-change';
import { claimUpdate, decideUpdate } from '../../workflows/machinery/review-desk';
import { CaseSearchAttributes } from '../../workflows/machinery/search-attributes';
import { expectOrderedJournal, fakeActivities, MINUTE, refusal, tenAm, testClock } from '../support/case-workflows';
import { timeSkippingSuite } from '../support/temporal';

const seller: ActionMeta = { actor: { id: 'seller-1', role: 'citizen' } };
const buyer: ActionMeta = { actor: { id: 'buyer-1', role: 'citizen' } };
const inspector = (expectedVersion: number): ActionMeta => ({ actor: { id: 'inspector-1', role: 'reviewer', agency: 'gibdd' }, expectedVersion });
const signature = (signerId: string): VerifiedSignature => ({ signerId, certificateId: `cert-${signerId}`, serialNumber: '0a1b', signature: 'c2lnbmF0dXJl' });
const VIN = 'XTA210990Y2766389';

const suite = timeSkippingSuite();
const { skipTo, tenAmInMoscow } = testClock(() => suite.env);

/** The workflow's fakes: projections, passport writes and vehicle releases, recorded. */
function fakes() {
  const fake = fakeActivities();
  const writes: PassportChangeRequest[] = [];
  const released: string[] = [];
  const activities = {
    ...fake.activities,
    async applyPassportChange(req: PassportChangeRequest): Promise<AppliedChange> {
      writes.push(req);
      return { version: req.basedOnVersion + 1, extractCode: `EX-${req.number}`, issuedAt: req.at };
    },
    async releaseVehicle(req: { vin: string; number: string }) {
      released.push(req.number);
    },
  };
  return { fake, writes, released, activities };
}

async function fileChange(taskQueue: string, change: PassportChange): Promise<WorkflowHandle<typeof eptsChangeWorkflow>> {
  const number = `E-2026-${String(randomInt(1_000_000, 9_999_999))}`;
  const handle = await suite.env.client.workflow.start(eptsChangeWorkflow, {
    taskQueue,
    workflowId: caseWorkflowId(number),
    args: [
      {
        number,
        vin: VIN,
        applicantId: seller.actor.id,
        change,
        basedOnVersion: 3,
        documents: [],
        ownerSignature: signature(seller.actor.id),
        calendar: EMPTY_CALENDAR,
        terms: { review: { days: 5, unit: 'working' }, buyerConfirmDays: 10 },
        meta: seller,
      },
    ],
  });
  suite.track(handle);
  await handle.executeUpdate(eptsChangeRegisteredUpdate);
  return handle;
}

const sale: PassportChange = { kind: 'sale', payload: { buyerId: buyer.actor.id, contractDate: '2026-11-20' } };

describe.sequential('passport change cases on the time-skipping server', () => {
  it('reminds the buyer 3 and 1 days before the 10-day deadline, then lets the sale lapse and frees the vehicle', async () => {
    const { fake, released, writes, activities } = fakes();
    await suite.run(activities, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await fileChange(tq, sale);
      const number = handle.workflowId.slice(5);
      const s = await handle.query(eptsChangeStateQuery);
      expect(s).toMatchObject({ status: 'awaiting_buyer', buyer: { id: buyer.actor.id, confirmedAt: null } });
      // Ten days from the filing (the filing instant is 10:00 plus the start's few milliseconds).
      expect(Date.parse(s.buyer!.dueAt) - tenAm(d + 10)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(s.buyer!.dueAt) - tenAm(d + 10)).toBeLessThan(MINUTE);
      expect(fake.ofType('buyer_confirmation_requested', number)[0]?.notify).toEqual([expect.objectContaining({ recipient: buyer.actor.id })]);
      const sa = (await handle.describe()).typedSearchAttributes;
      expect(sa.get(CaseSearchAttributes.status)).toBe('awaiting_buyer');

      await skipTo(tenAm(d + 7) - MINUTE);
      expect(fake.types(number)).not.toContain('reminder_sent');
      await skipTo(tenAm(d + 7) + MINUTE);
      await skipTo(tenAm(d + 9) + MINUTE);
      expect(fake.ofType('reminder_sent', number).map((e) => [e.data?.daysLeft, e.notify?.[0]?.recipient])).toEqual([
        [3, buyer.actor.id],
        [1, buyer.actor.id],
      ]);
      expect((await handle.query(eptsChangeStateQuery)).status).toBe('awaiting_buyer');

      expect(await handle.result()).toMatchObject({ status: 'lapsed' });
      const lapsed = fake.ofType('lapsed', number)[0]!;
      expect(Date.parse(lapsed.at) - tenAm(d + 10)).toBeLessThan(MINUTE);
      expect(released).toEqual([number]);
      expect(writes).toEqual([]);
      expect(fake.last(number)).toMatchObject({ status: 'lapsed', closedAt: expect.any(String) });
      expectOrderedJournal(fake, number);
    });
  });

  it('starts the review only once the buyer confirms; the approved sale writes the next passport version', async () => {
    const { fake, released, writes, activities } = fakes();
    await suite.run(activities, async (tq) => {
      const d = await tenAmInMoscow();
      const handle = await fileChange(tq, sale);
      const number = handle.workflowId.slice(5);
      // Nobody reviews a sale the buyer has not confirmed; only the buyer confirms it.
      expect(await refusal(handle.executeUpdate(claimUpdate, { args: [inspector(1)] }))).toBe(FailureType.InvalidState);
      expect(await refusal(handle.executeUpdate(confirmSaleUpdate, { args: [signature(seller.actor.id), seller] }))).toBe(FailureType.Forbidden);

      await skipTo(tenAm(d + 2));
      const confirmed = await handle.executeUpdate(confirmSaleUpdate, { args: [signature(buyer.actor.id), buyer] });
      expect(confirmed.status).toBe('submitted');
      // The review term (5 working days) runs from the confirmation.
      expect((await handle.query(eptsChangeStateQuery)).deadline.clock).toMatchObject({ termDays: 5, unit: 'working', startedAt: expect.any(String) });
      expect(Date.parse((await handle.query(eptsChangeStateQuery)).deadline.clock!.startedAt) - tenAm(d + 2)).toBeLessThan(MINUTE);
      const claimed = await handle.executeUpdate(claimUpdate, { args: [inspector(confirmed.version)] });
      await handle.executeUpdate(decideUpdate, { args: [{ outcome: 'approve', comment: 'Документы в порядке' }, inspector(claimed.version)] });
      expect(await handle.result()).toMatchObject({ status: 'completed' });
      expect(writes).toEqual([expect.objectContaining({ number, vin: VIN, basedOnVersion: 3, change: sale })]);
      expect(fake.last(number)?.detail).toMatchObject({ result: { version: 4, extractCode: `EX-${number}`, verify: `/extracts/EX-${number}/verify` } });
      expect(fake.ofType('passport_updated', number)[0]?.notify?.map((n) => n.recipient)).toEqual([seller.actor.id, buyer.actor.id]);
      expect(released).toEqual([number]);
      expectOrderedJournal(fake, number);
    });
  });
  it('lets only the buyer named confirm a sale, with their own signature, and only the traffic police review it, the one who holds it deciding: the workflow refuses the rest whoever drives it', async () => {
    const { activities } = fakes();
    await suite.run(activities, async (tq) => {
      await tenAmInMoscow();
      const handle = await fileChange(tq, sale);
      const stranger: ActionMeta = { actor: { id: 'citizen-3', role: 'citizen' } };
      const unconfirmed: Array<[string, () => Promise<unknown>]> = [
        ['confirm by a stranger with their own signature', () => handle.executeUpdate(confirmSaleUpdate, { args: [signature(stranger.actor.id), stranger], updateId: 'confirm-stranger' })],
        ["confirm by the buyer with the seller's signature", () => handle.executeUpdate(confirmSaleUpdate, { args: [signature(seller.actor.id), buyer], updateId: 'confirm-borrowed' })],
        ['confirm by an inspector on the buyer\'s behalf', () => handle.executeUpdate(confirmSaleUpdate, { args: [signature(buyer.actor.id), { actor: { id: buyer.actor.id, role: 'reviewer', agency: 'gibdd' } }], updateId: 'confirm-official' })],
      ];
      for (const [what, attempt] of unconfirmed) expect.soft(await refusal(attempt()), what).toBe(FailureType.Forbidden);

      const { version } = await handle.executeUpdate(confirmSaleUpdate, { args: [signature(buyer.actor.id), buyer], updateId: 'confirm' });
      const official = (id: string, agency: string, v = version): ActionMeta => ({ actor: { id, role: 'reviewer', agency }, expectedVersion: v });
      const review: Array<[string, () => Promise<unknown>]> = [
        ['claim by a reviewer of another agency', () => handle.executeUpdate(claimUpdate, { args: [official('rita', 'mvd')], updateId: 'claim-mvd' })],
        ['claim by the seller as an inspector', () => handle.executeUpdate(claimUpdate, { args: [official(seller.actor.id, 'gibdd')], updateId: 'claim-own' })],
        ['claim by the seller as a citizen', () => handle.executeUpdate(claimUpdate, { args: [{ ...seller, expectedVersion: version }], updateId: 'claim-citizen' })],
      ];
      for (const [what, attempt] of review) expect.soft(await refusal(attempt()), what).toBe(FailureType.Forbidden);

      const claimed = await handle.executeUpdate(claimUpdate, { args: [inspector(version)], updateId: 'claim' });
      const approve = { outcome: 'approve' as const, comment: 'ok' };
      const decisions: Array<[string, () => Promise<unknown>]> = [
        ['decide by another inspector', () => handle.executeUpdate(decideUpdate, { args: [approve, official('inspector-2', 'gibdd', claimed.version)], updateId: 'decide-other' })],
        ['decide by the seller', () => handle.executeUpdate(decideUpdate, { args: [approve, { ...seller, expectedVersion: claimed.version }], updateId: 'decide-seller' })],
        ['decide by the buyer', () => handle.executeUpdate(decideUpdate, { args: [approve, { ...buyer, expectedVersion: claimed.version }], updateId: 'decide-buyer' })],
      ];
      for (const [what, attempt] of decisions) expect.soft(await refusal(attempt()), what).toBe(FailureType.Forbidden);

      const accepted = ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
        const a = e.workflowExecutionUpdateAcceptedEventAttributes;
        return a ? [a.acceptedRequest?.meta?.updateId ?? a.protocolInstanceId] : [];
      });
      // The registration, the buyer's confirmation and the one claim: no refused attempt entered history.
      expect(accepted.slice(1)).toEqual(['confirm', 'claim']);
      await handle.executeUpdate(decideUpdate, { args: [approve, inspector(claimed.version)] });
      expect(await handle.result()).toMatchObject({ status: 'completed' });
    });
  });
});
