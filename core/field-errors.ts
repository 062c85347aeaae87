import type { FieldError } from './failures';

/** The part of an Ajv error this module reads; Ajv itself stays out of core. */
export interface SchemaViolation {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function pathOf(e: SchemaViolation, prefix: string): string {
  const missing = e.params?.missingProperty;
  const extra = e.params?.additionalProperty;
  const tail = typeof missing === 'string' ? `/${missing}` : typeof extra === 'string' ? `/${extra}` : '';
  return `${prefix}${e.instancePath ?? ''}${tail}`;
}

/** JSON-schema violations as field errors, their paths under `prefix` (e.g. `/body`). */
export function fieldErrors(violations: SchemaViolation[], prefix = ''): FieldError[] {
  return violations.map((e) => ({ path: pathOf(e, prefix) || '/', message: e.message ?? 'is invalid' }));
}
