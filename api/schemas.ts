/** JSON schemas shared by routes: request pieces and response shapes (also the OpenAPI document). */
import { REJECTION_REASONS } from '../core/application';
import { CASE_NUMBER_PATTERN, type CaseKind } from '../core/case-model';

export const numberParams = {
  type: 'object',
  required: ['number'],
  additionalProperties: false,
  properties: { number: { type: 'string', pattern: CASE_NUMBER_PATTERN, description: 'Case number, e.g. A-2026-0000042' } },
} as const;

export const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  offset: { type: 'integer', minimum: 0, maximum: 100000, default: 0 },
} as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;
export const nullableString = { type: ['string', 'null'] } as const;

/** A VIN in the path, in either case (the routes normalise it). */
export const vinProperty = { type: 'string', pattern: '^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$', description: 'VIN, 17 characters' } as const;
export const vinParams = { type: 'object', required: ['vin'], additionalProperties: false, properties: { vin: vinProperty } } as const;

const caseHead = {
  number: { type: 'string' },
  status: { type: 'string', description: "The case's status after the action" },
  version: { type: 'integer', description: 'Send this version with reviewer actions' },
} as const;

/** An acting request's answer: exactly what the next GET of the case shows. */
export const actionResult = {
  type: 'object',
  required: ['number', 'status', 'version'],
  properties: {
    ...caseHead,
    contested: {
      type: 'object',
      required: ['number', 'status', 'version'],
      properties: caseHead,
      description: 'Appeals (filing, decision, withdrawal): the contested case as its next GET shows it',
    },
  },
} as const;

export const caseSummary = {
  type: 'object',
  properties: {
    number: { type: 'string' },
    kind: { type: 'string' },
    status: { type: 'string' },
    statusLabel: { type: 'string' },
    version: { type: 'integer' },
    service: { type: 'object', properties: { code: nullableString, name: nullableString } },
    agency: nullableString,
    assigneeId: nullableString,
    submittedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    legalDueDate: nullableString,
    expectedDueDate: nullableString,
    overdue: { type: 'boolean' },
    closedAt: nullableString,
    underAppeal: { ...nullableString, description: 'The open appeal against this case, if any' },
  },
} as const;

export const queueEntry = {
  type: 'object',
  properties: {
    ...caseSummary.properties,
    escalated: { type: 'boolean', description: "Escalated to the desk's supervisor: its processing deadline was breached" },
    escalatedAt: { ...nullableString, format: 'date-time' },
  },
} as const;

const nullableObject = { ...anyObject, type: ['object', 'null'] } as const;
const infoRequest = { ...nullableObject, description: 'The open request for information or material: message, dueAt' } as const;
const documentList = { type: 'array', items: anyObject } as const;

/** What every case's detail shows besides its kind's own fields. */
const caseDetailHead = {
  ...caseSummary.properties,
  applicantId: { type: 'string' },
  resentFrom: { ...nullableString, description: 'Applications: the case this one re-sends' },
  resentAs: { ...nullableString, description: 'Applications: the case that re-sent this one' },
  links: anyObject,
} as const;

/** One branch of the case detail: the fields of one kind (fast-json-stringify drops any field not listed). */
const detailOfKind = <K extends string, P extends object>(kind: K, title: string, properties: P) =>
  ({
    type: 'object',
    title,
    required: ['kind'],
    properties: { ...caseDetailHead, kind: { type: 'string', enum: [kind] }, ...properties },
  }) as const;

const money = { type: 'number', description: 'RUB' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

/** The state duty of an application: what it costs, what was paid, the open invoice, receipts and refunds. */
const fee = {
  type: 'object',
  required: ['amount', 'paid', 'invoice', 'receipts', 'refunds'],
  properties: {
    amount: { ...money, description: 'The duty for the current form, RUB' },
    paid: { ...money, description: 'Paid towards it (less refunds ordered), RUB' },
    invoice: {
      type: ['object', 'null'],
      description: 'The open invoice, if the case waits for a payment',
      properties: {
        id: { type: 'string' },
        amount: money,
        issuedAt: dateTime,
        dueAt: dateTime,
        paymentId: { ...nullableString, description: 'The payment identifier (20 digits, УИН format) to pay by; null on invoices issued before these' },
        paymentUrl: { ...nullableString, description: 'Where to pay it' },
      },
    },
    receipts: {
      type: 'array',
      description: 'Payments applied to invoices of this case',
      items: {
        type: 'object',
        properties: {
          invoiceId: { type: 'string' },
          paymentId: nullableString,
          amount: money,
          transactionId: { type: 'string', description: "The gateway's transaction" },
          paidAt: { ...dateTime, description: 'When the gateway took the payment' },
          receivedAt: { ...dateTime, description: 'When the case applied it' },
        },
      },
    },
    refunds: {
      type: 'array',
      description: 'Money this case owes back',
      items: {
        type: 'object',
        properties: {
          amount: money,
          reason: { type: 'string', enum: ['fee_corrected', 'payment_not_applied'] },
          appeal: { ...nullableString, description: 'fee_corrected: the upheld appeal' },
          transactionId: { ...nullableString, description: 'payment_not_applied: the payment returned' },
          orderedAt: dateTime,
          status: { type: 'string', enum: ['ordered'] },
        },
      },
    },
  },
} as const;

export const applicationDetail = detailOfKind('application', 'Application', {
  serviceVersion: { type: 'integer', minimum: 1, description: 'The catalogue version of the service the case was filed under: the terms it keeps' },
  form: anyObject,
  documents: documentList,
  fee,
  deadline: nullableObject,
  infoRequest,
  decision: nullableObject,
  result: nullableObject,
  cancellation: nullableObject,
  partialEditAllowed: { type: 'boolean' },
  appeals: { ...anyObject, description: 'Appeals against this case: the open one, the chain of earlier ones, the last days to appeal per ground' },
  previousDecisions: { type: 'array', items: anyObject, description: 'Decisions overturned on appeal' },
});

export const appealDetail = detailOfKind('appeal', 'Appeal', {
  contested: { ...anyObject, description: 'The decision this appeal contests' },
  ground: { type: 'string' },
  reasons: { type: 'string' },
  references: { type: 'array', items: { type: 'string' } },
  documents: documentList,
  repeatOf: nullableString,
  infoRequest,
  deadline: nullableObject,
  decision: { ...nullableObject, description: 'A dismissal says until when a repeated appeal may be filed' },
});

export const changeDetail = detailOfKind('epts_change', 'Passport change', {
  vin: { type: 'string' },
  changeKind: { type: 'string' },
  payload: anyObject,
  basedOnVersion: { type: 'integer' },
  documents: documentList,
  signedWith: { type: 'string', description: "Serial number of the owner's signing certificate" },
  buyer: { ...nullableObject, description: "A sale: the buyer and their confirmation's due date" },
  infoRequest,
  deadline: nullableObject,
  decision: nullableObject,
  result: { ...nullableObject, description: 'The new passport version and its extract' },
});

export const identityDetail = detailOfKind('identity', 'Identity', {
  purpose: { type: 'string', enum: ['registration', 'level_upgrade', 'contact_change'] },
  levelRequested: { type: 'string', enum: ['simplified', 'standard', 'confirmed'], description: 'Registrations and upgrades' },
  // registration, contact change
  channel: { type: 'string', description: 'Registration: where the code was sent; contact change: the address changed (sms: the phone), where its code went' },
  codeExpiresAt: { ...nullableString, description: 'Registration, contact change' },
  openUntil: { type: 'string', description: 'Registration: it may be completed until then' },
  attemptsLeft: { type: 'integer', description: 'Registration, contact change, or a confirmation by letter once the letter is sent' },
  // upgrades
  method: { type: 'string', description: 'Upgrades: registry_check (standard), or how the identity is confirmed' },
  reason: nullableString,
  citizenship: { type: 'string', description: 'Standard upgrade' },
  checkLimitAt: { ...nullableString, description: 'Standard upgrade: the registries answer by then' },
  complaintRightSince: { ...nullableString, description: 'Standard upgrade: the limit passed without an answer' },
  place: { type: 'string', description: 'Confirmed upgrade: the office or the bank' },
  expiresAt: { ...nullableString, description: 'Confirmed upgrade' },
  challenge: { type: 'string', description: 'Confirmed upgrade by electronic signature: what to sign' },
});

/** Each kind's detail schema: the poll serialises with its case's own (see caseDetail). */
export const caseDetailOfKind = {
  application: applicationDetail,
  appeal: appealDetail,
  epts_change: changeDetail,
  identity: identityDetail,
} as const satisfies Record<CaseKind, object>;

/**
 * A case as GET /cases/{number} shows it: the fields of its kind. The contract; the route
 * serialises with its kind's schema, because a serialiser of `oneOf` validates the whole
 * answer against each alternative to choose one.
 */
export const caseDetail = {
  oneOf: Object.values(caseDetailOfKind),
  discriminator: { propertyName: 'kind' },
} as const;

export const pageOf = (item: object) =>
  ({
    type: 'object',
    properties: {
      items: { type: 'array', items: item },
      total: { type: 'integer', description: 'How many match; at most 1000, see totalCapped' },
      totalCapped: { type: 'boolean', description: 'More than `total` match: counting stopped there' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
    },
  }) as const;

export const timelineEntry = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    type: { type: 'string' },
    actor: { type: 'object', properties: { id: { type: 'string' }, role: { type: 'string' } } },
    clientAddress: nullableString,
    summary: { type: 'string' },
    data: { ...anyObject, type: ['object', 'null'] },
  },
} as const;

export const versionProperty = { type: 'integer', minimum: 1, description: 'The case version this action is based on' } as const;

export const documentIds = {
  type: 'array',
  maxItems: 50,
  uniqueItems: true,
  items: { type: 'string', format: 'uuid' },
} as const;

export const rejectionReason = { type: 'string', enum: REJECTION_REASONS } as const;
