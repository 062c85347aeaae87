import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes every case workflow carries, so the Temporal UI filters cases alone. */
export const CaseSearchAttributes = {
  kind: defineSearchAttributeKey('CaseKind', SearchAttributeType.KEYWORD),
  number: defineSearchAttributeKey('CaseNumber', SearchAttributeType.KEYWORD),
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
} as const;

/** `--search-attribute` arguments for the dev server and the operator API. */
export const SEARCH_ATTRIBUTE_DECLARATIONS: Record<string, 'Keyword' | 'Datetime' | 'Bool'> = Object.fromEntries(
  Object.values(CaseSearchAttributes).map((k) => [
    k.name,
    k.type === SearchAttributeType.DATETIME ? 'Datetime' : k.type === SearchAttributeType.BOOL ? 'Bool' : 'Keyword',
  ]),
);
