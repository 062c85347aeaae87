import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';

export const CENSOR = '[redacted]';

/**
 * Keys whose values are personal data (SPEC §10), secrets, or free text a person typed,
 * compared in lower case without `_` or `-`, at any depth of a logged object.
 */
const PERSONAL_KEYS = new Set([
  'name', 'firstname', 'lastname', 'middlename', 'surname', 'patronymic', 'fullname', 'filename',
  'inn', 'snils', 'passport', 'birthdate', 'dateofbirth', 'dob', 'birthplace', 'address', 'postaladdress',
  'phone', 'email', 'login', 'username', 'recipient', 'to', 'contact', 'contacts', 'ip',
  'password', 'otp', 'token', 'authorization', 'cookie', 'secret',
  'form', 'comment', 'answer', 'text', 'body', 'subject', 'message', 'detail', 'value', 'values', 'plate', 'vin',
  // What a failed query carries (postgres.js): the statement and its parameters.
  'query', 'parameters', 'params', 'args',
]);
/** Key endings that name personal data whatever comes before them (`ownerName`, `contactPhone`, `homeAddress`). */
const PERSONAL_ENDINGS = ['name', 'phone', 'email', 'address', 'passport', 'snils', 'birthdate', 'password', 'secret', 'token'];
/** Keys that end like personal ones but name infrastructure. */
const SAFE_KEYS = new Set(['namespace', 'taskqueue', 'hostname', 'sdkcomponent']);

function personalKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  if (SAFE_KEYS.has(k)) return false;
  return PERSONAL_KEYS.has(k) || PERSONAL_ENDINGS.some((e) => k.endsWith(e));
}

/** What an error may tell besides its class: the names a program gives its outcomes. */
const ERROR_FACTS = ['code', 'constraint_name', 'table_name', 'column_name', 'routine', 'type', 'activityType', 'retryState', 'nonRetryable', 'statusCode'] as const;

/**
 * An error as the logs keep it: its class, its codes and where it was thrown; never its
 * message, which may quote a value (Postgres: `invalid input syntax for type uuid: "…"`,
 * a duplicate's `detail`), nor the query or parameters a database error carries.
 */
export function scrubError(err: Error, depth = 0): Record<string, unknown> {
  const facts: Record<string, unknown> = { type: err.constructor?.name || err.name };
  const fields = err as unknown as Record<string, unknown>;
  for (const key of ERROR_FACTS) {
    const value = fields[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      facts[key === 'type' ? 'failureType' : key] = value;
    }
  }
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  if (frames.length) facts.stack = frames.map((f) => f.trim()).join('\n');
  if (err.cause instanceof Error && depth < 5) facts.cause = scrubError(err.cause, depth + 1);
  return facts;
}

/** Walks what is logged to any depth: personal keys are censored, errors scrubbed, other objects named only. */
function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return scrubError(value);
  if (value instanceof Date) return value;
  if (seen.has(value) || depth > 8) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  const proto = Object.getPrototypeOf(value) as object | null;
  // A request, a socket, a buffer: not data this code meant to log.
  if (proto !== Object.prototype && proto !== null) return `[${(value as object).constructor?.name ?? 'object'}]`;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    // An error's words may quote a value; an Error object keeps its type and frames.
    if ((key === 'err' || key === 'error') && typeof v === 'string') out[key] = CENSOR;
    else out[key] = personalKey(key) && !(v instanceof Error) ? CENSOR : scrub(v, depth + 1, seen);
  }
  return out;
}

/** The logged object with personal data censored at any depth and errors reduced to their facts. */
export function scrubLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  return scrub(obj, 0, new WeakSet()) as Record<string, unknown>;
}

/**
 * Personal data never reaches the logs (SPEC §10): request bodies are never logged,
 * every logged object is walked and personal keys censored at any depth, and errors keep
 * their type, codes and stack frames but not their messages.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const passScrubbed = (v: unknown) => v;
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    formatters: { log: scrubLogObject },
    // pino's own error serializer copies every property (a query's parameters among them): scrubLogObject did the work.
    serializers: { err: passScrubbed, error: passScrubbed },
  };
  return destination ? pino(options, destination) : pino(options);
}
