/**
 * A catalogue service as data. The workflow receives a snapshot of one version of it at
 * filing time, so a case keeps the terms it was filed under whatever admins change later.
 */
import { canonicalJson } from './canonical-json';
import type { AccountLevel } from './case-model';
import type { TermUnit } from './deadline-clock';

export const SERVICE_CATEGORIES = ['social', 'tax', 'registration', 'transport', 'medical', 'family', 'other'] as const;
export type ServiceCategory = (typeof SERVICE_CATEGORIES)[number];

export const DOCUMENT_TYPES = [
  'passport',
  'snils',
  'birth_certificate',
  'certificate',
  'contract',
  'photo',
  'vehicle_document',
  'payment_receipt',
  'other',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export interface FeeRule {
  /** State duty in roubles; 0 means free. */
  base: number;
  /** The duty depends on one form field: its value picks the amount, else `base`. */
  byField?: { field: string; amounts: Record<string, number> };
}

export interface ServiceDefinition {
  code: string;
  name: string;
  category: ServiceCategory;
  agency: string;
  description: string;
  requiredDocuments: DocumentType[];
  formSchema: Record<string, unknown>;
  term: { days: number; unit: TermUnit };
  fee: FeeRule;
  minLevel: AccountLevel;
  partialEditAllowed: boolean;
  resultType: 'electronic_document' | 'in_person_pickup';
  paymentTermDays: number;
  infoTermDays: number;
  /** The catalogue version this snapshot is of; absent in cases filed before services had versions (all version 1). */
  version?: number;
}

/** What an administrator sets of a service: everything but its code and version. */
export type ServiceFields = Omit<ServiceDefinition, 'code' | 'version'>;

export const SERVICE_FIELDS = [
  'name',
  'category',
  'agency',
  'description',
  'requiredDocuments',
  'formSchema',
  'term',
  'fee',
  'minLevel',
  'partialEditAllowed',
  'resultType',
  'paymentTermDays',
  'infoTermDays',
] as const satisfies ReadonlyArray<keyof ServiceFields>;

/** One version of a service as the catalogue keeps it. */
export interface CatalogueEntry extends ServiceDefinition {
  version: number;
  retired: boolean;
}

export const CATALOGUE_ACTIONS = ['created', 'updated', 'retired'] as const;
export type CatalogueAction = (typeof CATALOGUE_ACTIONS)[number];

/** Each changed field's value before (null: the service is new) and after. */
export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/** The fields (and retirement) that differ between two versions; a new service changes every field. */
export function serviceChanges(before: CatalogueEntry | undefined, after: Omit<CatalogueEntry, 'code' | 'version'>): FieldChanges {
  const changes: FieldChanges = {};
  for (const field of [...SERVICE_FIELDS, 'retired'] as const) {
    const from = before ? before[field] : null;
    if (canonicalJson(from) !== canonicalJson(after[field])) changes[field] = { from, to: after[field] };
  }
  return changes;
}

export function computeFee(rule: FeeRule, form: Record<string, unknown>): number {
  if (!rule.byField) return rule.base;
  const value = form[rule.byField.field];
  const amount = typeof value === 'string' || typeof value === 'number' ? rule.byField.amounts[String(value)] : undefined;
  return amount ?? rule.base;
}
