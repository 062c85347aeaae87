import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { DocumentRef } from '../core/case-model';
import type { ServiceDefinition } from '../core/catalogue';
import type { FieldError } from '../core/failures';
import { fieldErrors } from '../core/field-errors';
import { unknownDocumentErrors } from './owned-documents';

/** Filing's validator; an admin's schema is tried on an instance of its own, so a failed try leaves nothing here. */
function formAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}
const ajv = formAjv();

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

function hasId(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasId);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k === '$id' || hasId(v));
}

/**
 * Why a form schema an administrator saves could not validate filings, as field errors
 * under `path`; none when filing will compile it. A form is an object, so is the schema's
 * root. `$id` is refused: filing compiles every version on one Ajv, where two versions
 * naming the same id would clash.
 */
export function formSchemaErrors(schema: Record<string, unknown>, path: string): FieldError[] {
  if (schema.type !== 'object') return [{ path: `${path}/type`, message: 'must be "object": a form is an object' }];
  if (hasId(schema)) return [{ path, message: 'must not contain "$id": a form schema is self-contained' }];
  const trial = formAjv();
  try {
    if (!trial.validateSchema(schema)) return fieldErrors(trial.errors ?? [], path);
    trial.compile(schema);
    return [];
  } catch (err) {
    return [{ path, message: (err as Error).message }];
  }
}
