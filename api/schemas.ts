/** JSON schemas shared by routes: request pieces and response shapes (also the OpenAPI document). */
import { REJECTION_REASONS } from '../core/application';
import { CASE_NUMBER_PATTERN } from '../core/case-model';

export const problemResponses = {
  400: { $ref: 'Problem#' },
  401: { $ref: 'Problem#' },
  403: { $ref: 'Problem#' },
  404: { $ref: 'Problem#' },
  409: { $ref: 'Problem#' },
} as const;

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

export const caseDetail = {
  type: 'object',
  properties: {
    ...caseSummary.properties,
    applicantId: { type: 'string' },
    resentFrom: nullableString,
    resentAs: nullableString,
    form: anyObject,
    documents: { type: 'array', items: anyObject },
    fee: anyObject,
    deadline: { ...anyObject, type: ['object', 'null'] },
    infoRequest: { ...anyObject, type: ['object', 'null'] },
    decision: { ...anyObject, type: ['object', 'null'] },
    result: { ...anyObject, type: ['object', 'null'] },
    cancellation: { ...anyObject, type: ['object', 'null'] },
    partialEditAllowed: { type: 'boolean' },
    appeals: { ...anyObject, description: 'Appeals against this case: the open one, the chain of earlier ones, the last days to appeal per ground' },
    previousDecisions: { type: 'array', items: anyObject, description: 'Decisions overturned on appeal' },
    // appeals
    contested: { ...anyObject, description: 'The decision this appeal contests' },
    ground: { type: 'string' },
    reasons: { type: 'string' },
    references: { type: 'array', items: { type: 'string' } },
    repeatOf: nullableString,
    // passport changes
    vin: { type: 'string' },
    changeKind: { type: 'string' },
    payload: anyObject,
    basedOnVersion: { type: 'integer' },
    signedWith: { type: 'string', description: 'Serial number of the owner\'s signing certificate' },
    buyer: { ...anyObject, type: ['object', 'null'] },
    // identity cases
    purpose: { type: 'string' },
    levelRequested: { type: 'string' },
    method: { type: 'string' },
    channel: { type: 'string' },
    codeExpiresAt: nullableString,
    attemptsLeft: { type: 'integer' },
    citizenship: { type: 'string' },
    checkLimitAt: nullableString,
    complaintRightSince: nullableString,
    reason: nullableString,
    place: { type: 'string' },
    challenge: { type: 'string' },
    expiresAt: nullableString,
    links: anyObject,
  },
} as const;

export const pageOf = (item: object) =>
  ({
    type: 'object',
    properties: { items: { type: 'array', items: item }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
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
