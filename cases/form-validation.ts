import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { DocumentRef } from '../core/case-model';
import type { ServiceDefinition } from '../core/catalogue';
import type { FieldError } from '../core/failures';
import { fieldErrors } from '../core/field-errors';
import { unknownDocumentErrors } from './owned-documents';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

/**
 * Compiled once per distinct schema text: every read of the catalogue brings a fresh
 * object, and compiling on each filing would cost more than the rest of the request.
 * An admin's edit is a new text, hence a new entry; the catalogue is small.
 */
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(key, fn);
  }
  return fn;
}

/**
 * What an application must carry for its service: a form valid against the service's
 * schema and at least one document of every required type. Returns field errors with
 * paths into the request body.
 */
export function applicationContentErrors(
  service: ServiceDefinition,
  form: Record<string, unknown>,
  requestedIds: string[],
  found: DocumentRef[],
): FieldError[] {
  const errors: FieldError[] = [];
  const validate = validatorFor(service.formSchema);
  if (!validate(form)) errors.push(...fieldErrors(validate.errors ?? [], '/body/form'));
  errors.push(...unknownDocumentErrors(requestedIds, found));
  const types = new Set(found.map((d) => d.type));
  for (const required of service.requiredDocuments) {
    if (!types.has(required)) errors.push({ path: '/body/documents', message: `a document of type "${required}" is required` });
  }
  return errors;
}
