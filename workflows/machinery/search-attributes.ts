import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes every case workflow carries, so the Temporal UI filters cases alone.
 * The number is the workflow id (`case-<number>`). A SQL-backed visibility store (the
 * dev server's among them) holds at most 10 Keyword attributes: this list has 10.
 */
export const CaseSearchAttributes = {
  kind: defineSearchAttributeKey('CaseKind', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('CaseStatus', SearchAttributeType.KEYWORD),
  service: defineSearchAttributeKey('CaseService', SearchAttributeType.KEYWORD),
  agency: defineSearchAttributeKey('CaseAgency', SearchAttributeType.KEYWORD),
  applicant: defineSearchAttributeKey('CaseApplicant', SearchAttributeType.KEYWORD),
  assignee: defineSearchAttributeKey('CaseAssignee', SearchAttributeType.KEYWORD),
  dueAt: defineSearchAttributeKey('CaseDueAt', SearchAttributeType.DATETIME),
  overdue: defineSearchAttributeKey('CaseOverdue', SearchAttributeType.BOOL),
  /** Identity cases: the account level asked for and the confirmation method. */
  levelRequested: defineSearchAttributeKey('CaseLevelRequested', SearchAttributeType.KEYWORD),
  method: defineSearchAttributeKey('CaseMethod', SearchAttributeType.KEYWORD),
  /** Appeals: the number of the case whose decision they contest. */
  contested: defineSearchAttributeKey('CaseContested', SearchAttributeType.KEYWORD),
  /** Passport changes: the vehicle, and everyone party to it (owner, buyer); the change kind is their CaseService. */
  vin: defineSearchAttributeKey('CaseVin', SearchAttributeType.KEYWORD),
  parties: defineSearchAttributeKey('CaseParties', SearchAttributeType.KEYWORD_LIST),
} as const;

/** `--search-attribute` arguments for the dev server and the operator API. */
const DECLARED_TYPES = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
} as const;
export type DeclaredType = (typeof DECLARED_TYPES)[keyof typeof DECLARED_TYPES];

export const SEARCH_ATTRIBUTE_DECLARATIONS: Record<string, DeclaredType> = Object.fromEntries(
  Object.values(CaseSearchAttributes).map((k) => [k.name, DECLARED_TYPES[k.type as keyof typeof DECLARED_TYPES]]),
);
