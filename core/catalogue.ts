/** A catalogue service as data. The workflow receives a snapshot of it at filing time. */
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
}

export function computeFee(rule: FeeRule, form: Record<string, unknown>): number {
  if (!rule.byField) return rule.base;
  const value = form[rule.byField.field];
  const amount = typeof value === 'string' || typeof value === 'number' ? rule.byField.amounts[String(value)] : undefined;
  return amount ?? rule.base;
}
