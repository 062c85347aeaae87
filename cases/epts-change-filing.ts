import { WorkflowNotFoundError } from '@temporalio/client';
import { caseWorkflowId } from '../core/case-model';
import type { EptsChangeTerms, VerifiedSignature } from '../core/epts';
import { conflict, FailureType, invalid, invalidState, notFound, Refusal } from '../core/failures';
import type { Principal } from '../core/principal';
import { actorOf } from '../core/principal';
import { canonicalChangeRequest, changePayloadErrors, changeRefusal, EPTS_AGENCY, normaliseVin, type ChangeRequest, type PassportChange } from '../core/vehicle';
import type { Db } from '../db/client';
import { allocateCaseNumber, getCase, releaseCaseNumber, type CaseRowOf } from '../db/queries/cases';
import { getCalendar } from '../db/queries/catalogue';
import { claimVehicle, getPassport, releaseVehicle } from '../db/queries/vehicles';
import type { SignatureVerifier } from '../signatures/verifier';
import { startCaseWorkflow } from '../temporal/start-case';
import { checkChangeSignature } from '../vehicles/change-signature';
import { eptsChangeRegisteredUpdate, eptsChangeWorkflow, type EptsChangeActionResult } from '../workflows/epts-change';
import { CaseSearchAttributes } from '../workflows/machinery/search-attributes';
import type { FilingContext } from './filing-context';
import { ownedDocuments } from './owned-documents';

export type EptsChangeFilingRequest = PassportChange & {
  basedOnVersion: number;
  documents: string[];
  /** base64 detached signature over the canonical form of the request: CMS / CAdES-BES or raw. */
  signature: string;
  certificateId?: string;
};

export interface EptsChangeFilingContext extends FilingContext {
  verifier: SignatureVerifier;
  terms: EptsChangeTerms;
}

/** The request exactly as the owner signed it. */
export function signedRequest(vin: string, requesterId: string, change: PassportChange, basedOnVersion: number, sha256: string[]): ChangeRequest {
  return { ...change, vin, requesterId, basedOnVersion, documentSha256: sha256 } as ChangeRequest;
}

/** A detached signature checked against the signer's registered certificate, or a 422 saying why not. */
export async function verifySignature(
  deps: { db: Db; verifier: SignatureVerifier },
  request: ChangeRequest,
  signed: { signature: string; certificateId?: string },
  signerId: string,
): Promise<VerifiedSignature> {
  const check = await checkChangeSignature(deps, request, { certificateId: signed.certificateId, signature: Buffer.from(signed.signature, 'base64') }, new Date(), signerId);
  if (!check.ok) throw new Refusal(FailureType.Unprocessable, `the signature was not accepted: ${check.reason}`, { code: 'SignatureRejected' });
  const { certificateId, serialNumber, signedAt, evidence } = check;
  return { signerId, certificateId, serialNumber, signedAt, signature: evidence.toString('base64') };
}

/** The exact bytes the owner signs for a change: the canonical request with its documents' digests. */
export async function signingForm(db: Db, who: Principal, vin: string, change: PassportChange, basedOnVersion: number, documentIds: string[]): Promise<Uint8Array> {
  await ownPassport(db, who, normaliseVin(vin));
  const docs = await ownedDocuments(db, who.id, documentIds);
  return canonicalChangeRequest(signedRequest(vin, who.id, change, basedOnVersion, docs.map((d) => d.sha256)));
}

/**
 * The passport of a vehicle the caller owns. Anyone else's vehicle, a former owner's too,
 * is one that does not exist, as for reading it (vehicles/access.ts): a change request
 * cannot probe which VINs are registered.
 */
async function ownPassport(db: Db, who: Principal, vin: string) {
  const passport = await getPassport(db, vin);
  if (!passport || passport.data.ownerId !== who.id) throw notFound(`vehicle ${vin}`);
  return passport;
}

/** The buyer's signature over the seller's request of a sale, checked like the seller's was. */
export async function saleConfirmation(
  deps: { db: Db; verifier: SignatureVerifier },
  row: CaseRowOf<'epts_change'>,
  signed: { signature: string; certificateId?: string },
  buyerId: string,
): Promise<VerifiedSignature> {
  const d = row.detail;
  const change = { kind: d.changeKind, payload: d.payload } as PassportChange;
  const request = signedRequest(d.vin, row.applicantId, change, d.basedOnVersion, d.documents.map((x) => x.sha256));
  return verifySignature(deps, request, signed, buyerId);
}

/**
 * Files a signed change of a vehicle's passport. Everything that can be checked is checked
 * before anything is stored: the payload, the documents, the owner, the passport version,
 * the signature; then the vehicle is taken for this change (one open change per vehicle)
 * and the case starts. A refusal leaves nothing behind.
 */
export async function filePassportChange(ctx: EptsChangeFilingContext, vinAsTyped: string, req: EptsChangeFilingRequest): Promise<EptsChangeActionResult & { created: boolean }> {
  const { db, who } = ctx;
  const vin = normaliseVin(vinAsTyped);
  const { basedOnVersion, documents, signature, certificateId, ...rest } = req;
  const change = rest as PassportChange;
  const payloadErrors = changePayloadErrors(change).map((e) => ({ path: `/body/payload${e.path}`, message: e.message }));
  if (payloadErrors.length) throw invalid('the change is invalid', payloadErrors);
  const docs = await ownedDocuments(db, who.id, documents);

  const passport = await ownPassport(db, who, vin);
  const request = signedRequest(vin, who.id, change, basedOnVersion, docs.map((d) => d.sha256));
  const refusal = changeRefusal(passport.data, request);
  if (refusal) throw invalidState(refusal);
  if (basedOnVersion !== passport.currentVersion) {
    throw conflict(`the passport is at version ${passport.currentVersion}; sign a request based on it`, { currentVersion: passport.currentVersion });
  }
  const ownerSignature = await verifySignature(ctx, request, { signature, certificateId }, who.id);

  const allocation = await allocateCaseNumber(db, { kind: 'epts_change', applicantId: who.id, idempotencyKey: ctx.idempotencyKey });
  const { number } = allocation;
  if (allocation.outcome === 'existing') {
    // The same request again: answer with the case it filed, even if it has ended since.
    const filed = await getCase(db, number);
    if (filed) return { number, status: filed.status as EptsChangeActionResult['status'], version: filed.version, created: false };
  }
  const claim = await claimVehicle(db, vin, number);
  if (!claim.ok) {
    if (allocation.outcome === 'new') await releaseCaseNumber(db, number);
    throw conflict(`change ${claim.openChange} of ${vin} is still open; one change at a time`, { openChange: claim.openChange });
  }
  const buyerId = change.kind === 'sale' ? change.payload.buyerId : null;
  try {
    const result = await startCaseWorkflow(ctx.temporal, {
      workflow: eptsChangeWorkflow,
      kind: 'epts_change',
      number,
      applicantId: who.id,
      status: buyerId ? 'awaiting_buyer' : 'submitted',
      taskQueue: ctx.taskQueue,
      input: {
        number,
        vin,
        applicantId: who.id,
        change,
        basedOnVersion,
        documents: docs,
        ownerSignature,
        calendar: await getCalendar(db),
        terms: ctx.terms,
        meta: { ...ctx.meta, actor: actorOf(who) },
      },
      searchAttributes: [
        { key: CaseSearchAttributes.agency, value: EPTS_AGENCY },
        { key: CaseSearchAttributes.service, value: `epts-${change.kind}` },
        { key: CaseSearchAttributes.vin, value: vin },
        { key: CaseSearchAttributes.parties, value: buyerId ? [who.id, buyerId] : [who.id] },
      ],
      memo: { vin, changeKind: change.kind },
      registered: eptsChangeRegisteredUpdate,
    });
    return { ...result, created: allocation.outcome === 'new' };
  } catch (err) {
    // Only a case that never started gives its vehicle and number back.
    const started = await ctx.temporal.workflow
      .getHandle(caseWorkflowId(number))
      .describe()
      .then(
        () => true,
        (e: unknown) => !(e instanceof WorkflowNotFoundError),
      );
    if (!started) {
      await releaseVehicle(db, vin, number);
      if (allocation.outcome === 'new') await releaseCaseNumber(db, number);
    }
    throw err;
  }
}
