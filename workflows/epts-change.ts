/**
 * A change of a vehicle's electronic passport (SPEC §4.4): signed by the owner (and, for
 * a sale, confirmed by the buyer within a deadline), decided by a traffic-police reviewer
 * at the same desk as applications; approval writes a new passport version and issues a
 * verifiable extract.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BRIEF_ACTIVITY } from './machinery/brief-activity';
import {
  BY_SYSTEM,
  CITIZEN_ANSWER_TERM_DAYS,
  now,
  type ActionMeta,
  type CaseActionResult,
  type DocumentRef,
  type EntryDraft,
} from '../core/case-model';
import type { CaseProjectionOf } from '../core/case-projection';
import { addDays, type WorkCalendar } from '../core/deadline-clock';
import {
  CHANGE_KIND_LABELS,
  EPTS_CHANGE_STATUS_LABELS,
  WITHDRAWABLE_EPTS_CHANGE_STATUSES,
  type EptsChangeDecision,
  type EptsChangeResult,
  type EptsChangeStatus,
  type EptsChangeTerms,
  type VerifiedSignature,
} from '../core/epts';
import { FailureType } from '../core/failures';
import { EPTS_AGENCY, type PassportChange } from '../core/vehicle';
import { refuse, type JournalCounters } from './machinery/case-journal';
import { withdrawUpdate } from './machinery/case-status';
import { newDeadlineState, type DeadlineState } from './machinery/processing-deadline';
import { decideUpdate, type DecideInput, type InfoRequest, type Recusal } from './machinery/review-desk';
import { ReviewableCase } from './machinery/reviewable-case';
import { citizenReminders, runDeadlines, type DueTimer } from './machinery/timers';

export interface EptsChangeActionResult extends CaseActionResult {
  status: EptsChangeStatus;
}

export const eptsChangeRegisteredUpdate = defineUpdate<EptsChangeActionResult, []>('registered');
/** The buyer's signed confirmation of a sale. */
export const confirmSaleUpdate = defineUpdate<EptsChangeActionResult, [VerifiedSignature, ActionMeta]>('confirmSale');
export const eptsChangeStateQuery = defineQuery<EptsChangeState>('state');

export interface EptsChangeFiling {
  number: string;
  vin: string;
  /** The owner who requested the change (for a sale: the seller). */
  applicantId: string;
  change: PassportChange;
  basedOnVersion: number;
  documents: DocumentRef[];
  ownerSignature: VerifiedSignature;
  calendar: WorkCalendar;
  terms: EptsChangeTerms;
}

export interface EptsChangeState extends EptsChangeFiling {
  status: EptsChangeStatus;
  submittedAt: string;
  assigneeId: string | null;
  infoRequest: InfoRequest | null;
  recused: Recusal[];
  deadline: DeadlineState;
  buyer: { id: string; dueAt: string; remindersSent: number[]; confirmation: VerifiedSignature | null; confirmedAt: string | null } | null;
  decision: EptsChangeDecision | null;
  result: EptsChangeResult | null;
  closedAt: string | null;
  journal: JournalCounters;
  /** The vehicle takes new changes again (set when this case has ended). */
  vehicleReleased?: boolean;
}

export interface EptsChangeInput extends EptsChangeFiling {
  meta: ActionMeta;
  /** Set by continue-as-new only. */
  resume?: EptsChangeState;
}

const { applyPassportChange, releaseVehicle } = proxyActivities<Activities>(BRIEF_ACTIVITY);

export class EptsChangeCase extends ReviewableCase<EptsChangeStatus, EptsChangeState> {
  constructor(s: EptsChangeState) {
    super(
      s,
      { role: 'reviewer', agency: EPTS_AGENCY, officials: `reviewers of ${EPTS_AGENCY}` },
      {
        what: 'a passport change',
        labels: EPTS_CHANGE_STATUS_LABELS,
        applicant: 'the owner who filed the change',
        inReview: 'in_review',
        awaitingInfo: 'awaiting_info',
        closed: 'closed',
        claimable: ['submitted'],
        assignable: ['submitted', 'in_review', 'awaiting_info'],
        infoTermDays: () => CITIZEN_ANSWER_TERM_DAYS,
      },
    );
  }

  static file(input: EptsChangeInput): EptsChangeCase {
    const at = now();
    const { meta: _meta, resume: _resume, ...filing } = input;
    const sale = input.change.kind === 'sale' ? input.change.payload : null;
    const c = new EptsChangeCase({
      ...filing,
      status: sale ? 'awaiting_buyer' : 'submitted',
      submittedAt: at,
      assigneeId: null,
      infoRequest: null,
      recused: [],
      deadline: newDeadlineState(),
      buyer: sale && { id: sale.buyerId, dueAt: addDays(at, input.terms.buyerConfirmDays), remindersSent: [], confirmation: null, confirmedAt: null },
      decision: null,
      result: null,
      closedAt: null,
      journal: { version: 0, seq: 0 },
    });
    const entries: EntryDraft[] = [
      {
        type: 'submitted',
        summary: `${CHANGE_KIND_LABELS[input.change.kind]} for ${input.vin}, signed by the owner (certificate ${input.ownerSignature.serialNumber})`,
        data: { vin: input.vin, kind: input.change.kind, basedOnVersion: input.basedOnVersion, documents: input.documents.length },
        notify: [{ recipient: input.applicantId, type: 'submission_confirmed', title: `Заявление ${input.number} получено` }],
      },
    ];
    if (c.s.buyer) {
      entries.push({
        type: 'buyer_confirmation_requested',
        summary: `The buyer is asked to confirm the purchase by ${c.s.buyer.dueAt.slice(0, 10)}`,
        data: { buyerId: c.s.buyer.id, dueAt: c.s.buyer.dueAt },
        notify: [{ recipient: c.s.buyer.id, type: 'sale_awaiting_buyer', title: `${input.number}: подтвердите покупку ${input.vin}` }],
      });
    } else {
      entries.push(...c.deadline.start(at, input.terms.review));
    }
    c.journal.commit(input.meta, at, entries);
    return c;
  }

  /** Approved: the passport is still to be written; ended: the vehicle is still to be released. */
  protected override settling(): boolean {
    return this.s.status === 'approved' || (this.closed && !this.s.vehicleReleased);
  }

  // -- parties --------------------------------------------------------------------------

  checkConfirmSale(signed: VerifiedSignature, meta: ActionMeta): void {
    const buyer = this.s.buyer;
    if (!buyer || meta.actor.role !== 'citizen' || meta.actor.id !== buyer.id || signed.signerId !== buyer.id) {
      refuse(FailureType.Forbidden, 'only the buyer named in the sale confirms it');
    }
    this.requireStatus(['awaiting_buyer'], 'confirmed by the buyer');
    // The lapse timer may not have fired yet in this very activation: the deadline decides.
    if (Date.now() >= Date.parse(buyer!.dueAt)) refuse(FailureType.InvalidState, `the time to confirm the purchase ended at ${buyer!.dueAt}`);
  }

  doConfirmSale(signed: VerifiedSignature, meta: ActionMeta): number {
    const at = now();
    this.s.buyer!.confirmation = signed;
    this.s.buyer!.confirmedAt = at;
    return this.journal.commit(meta, at, [
      {
        type: 'buyer_confirmed',
        summary: `The buyer confirmed the purchase (certificate ${signed.serialNumber})`,
        notify: [{ recipient: this.s.applicantId, type: 'status_changed', title: `${this.s.number}: покупатель подтвердил сделку` }],
      },
      ...this.deadline.start(at, this.s.terms.review),
      ...this.setStatus('submitted'),
    ]);
  }

  checkWithdraw(meta: ActionMeta): void {
    this.checkApplicant(meta);
    this.requireStatus(WITHDRAWABLE_EPTS_CHANGE_STATUSES, 'withdrawn');
  }

  doWithdraw(meta: ActionMeta): number {
    return this.close('withdrawn', meta, { type: 'withdrawn', summary: 'Withdrawn by the owner' });
  }

  checkDecide(input: DecideInput, meta: ActionMeta): void {
    this.desk.checkDecide(input, meta, this.journal.version);
    this.requireStatus(['in_review'], 'decided');
  }

  doDecide(input: DecideInput, meta: ActionMeta): number {
    const at = now();
    const approve = input.outcome === 'approve';
    this.s.decision = {
      outcome: approve ? 'approved' : 'rejected',
      reasonCode: approve ? null : input.reasonCode!,
      comment: input.comment,
      decidedBy: meta.actor.id,
      decidedAt: at,
    };
    const entry: EntryDraft = {
      type: this.s.decision.outcome,
      summary: approve ? 'Approved; the passport is being updated' : `Rejected: ${input.reasonCode}`,
      data: { reasonCode: this.s.decision.reasonCode, comment: input.comment },
    };
    if (!approve) return this.close('rejected', meta, entry);
    return this.journal.commit(meta, at, [entry, ...this.setStatus('approved')]);
  }

  /** Writes the new passport version and the extract; a passport changed meanwhile refuses it. */
  async applyApproved(): Promise<void> {
    const s = this.s;
    try {
      const result = await applyPassportChange({ number: s.number, vin: s.vin, basedOnVersion: s.basedOnVersion, change: s.change, at: s.decision!.decidedAt });
      s.result = result;
      this.close('completed', BY_SYSTEM, {
        type: 'passport_updated',
        summary: `Passport ${s.vin} is now at version ${result.version}; extract ${result.extractCode}`,
        data: { ...result },
        notify: [
          { recipient: s.applicantId, type: 'result_issued', title: `${s.number}: паспорт изменён, выписка готова` },
          ...(s.buyer ? [{ recipient: s.buyer.id, type: 'status_changed' as const, title: `${s.vin}: вы собственник` }] : []),
        ],
      });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (!(cause instanceof ApplicationFailure) || cause.type !== FailureType.Permanent) throw err;
      s.decision = { ...s.decision!, outcome: 'rejected', reasonCode: 'passport_changed', comment: cause.message };
      this.close('rejected', BY_SYSTEM, { type: 'rejected', summary: `Not applied: ${cause.message}`, data: { reasonCode: 'passport_changed' } });
    }
  }

  // -- timers ---------------------------------------------------------------------------

  dueTimers(): Array<DueTimer | null> {
    const s = this.s;
    const commit = (entries: EntryDraft[]) => this.journal.commit(BY_SYSTEM, now(), entries);
    const timers: Array<DueTimer | null> = [];
    if (s.status === 'awaiting_buyer' && s.buyer) {
      const buyer = s.buyer;
      timers.push(
        { at: buyer.dueAt, fire: () => this.close('lapsed', BY_SYSTEM, { type: 'lapsed', summary: 'The buyer did not confirm the purchase in time; the sale lapsed' }) },
        ...citizenReminders({ number: s.number, recipient: buyer.id, dueAt: buyer.dueAt, since: s.submittedAt, sent: buyer.remindersSent, what: 'confirm the purchase', commit }),
      );
    }
    if (s.status === 'awaiting_info') {
      timers.push(...this.desk.infoTimers(commit, () => this.close('expired', BY_SYSTEM, { type: 'expired', summary: 'The owner did not answer in time' })));
    }
    if (['submitted', 'in_review', 'awaiting_info'].includes(s.status)) {
      timers.push(this.deadline.dueTimer(s.number, { assignee: s.assigneeId, team: `agency:${EPTS_AGENCY}`, supervisor: `agency:${EPTS_AGENCY}:supervisor` }, commit));
    }
    return timers;
  }

  // -- helpers --------------------------------------------------------------------------

  private close(status: EptsChangeStatus, meta: Pick<ActionMeta, 'actor'>, entry: EntryDraft): number {
    const at = now();
    this.s.closedAt = at;
    return this.journal.commit(meta, at, [entry, ...this.setStatus(status)]);
  }

  projection(): CaseProjectionOf<'epts_change'> {
    const s = this.s;
    return {
      ...this.commonProjection(),
      kind: 'epts_change',
      serviceCode: null,
      agency: EPTS_AGENCY,
      relatedNumber: null,
      detail: {
        serviceName: CHANGE_KIND_LABELS[s.change.kind],
        vin: s.vin,
        changeKind: s.change.kind,
        payload: s.change.payload,
        basedOnVersion: s.basedOnVersion,
        documents: s.documents,
        signedWith: s.ownerSignature.serialNumber,
        buyer: s.buyer && { id: s.buyer.id, dueAt: s.buyer.dueAt, confirmedAt: s.buyer.confirmedAt },
        infoRequest: s.infoRequest && { message: s.infoRequest.message, dueAt: s.infoRequest.dueAt },
        deadline: this.deadline.projected(),
        decision: s.decision,
        result: s.result && { ...s.result, verify: `/extracts/${s.result.extractCode}/verify` },
      },
    };
  }
}

export async function eptsChangeWorkflow(input: EptsChangeInput): Promise<EptsChangeActionResult> {
  const c = input.resume ? new EptsChangeCase(input.resume) : EptsChangeCase.file(input);

  setHandler(eptsChangeStateQuery, () => c.s);
  setHandler(eptsChangeRegisteredUpdate, () => c.answer(1));
  setHandler(confirmSaleUpdate, c.act((i: VerifiedSignature, m: ActionMeta) => c.doConfirmSale(i, m)), { validator: (i, m) => c.checkConfirmSale(i, m) });
  setHandler(withdrawUpdate, c.act((m: ActionMeta) => c.doWithdraw(m)), { validator: (m) => c.checkWithdraw(m) });
  c.serveDesk();
  setHandler(decideUpdate, c.act((i: DecideInput, m: ActionMeta) => c.doDecide(i, m)), { validator: (i, m) => c.checkDecide(i, m) });

  c.startProjector();
  try {
    return await runChange(c, input);
  } catch (err) {
    // The vehicle takes new changes again however the case ends.
    return await c.ended(err, () => release(c));
  }
}

async function release(c: EptsChangeCase): Promise<void> {
  await releaseVehicle({ vin: c.s.vin, number: c.s.number });
  c.s.vehicleReleased = true;
}

async function runChange(c: EptsChangeCase, input: EptsChangeInput): Promise<EptsChangeActionResult> {
  const outcome = await runDeadlines(
    c.journal,
    () => c.closed || c.s.status === 'approved',
    () => c.dueTimers(),
    () => workflowInfo().continueAsNewSuggested,
  );
  if (outcome === 'continue_as_new') {
    await c.journal.drained();
    await continueAsNew<typeof eptsChangeWorkflow>({ ...input, resume: c.s });
  }
  if (c.s.status === 'approved') await c.applyApproved();
  // The vehicle takes a new change once this one is over, whatever its end.
  await release(c);
  await c.journal.drained();
  return { number: c.s.number, status: c.s.status, version: c.journal.version };
}
