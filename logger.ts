import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';

const CENSOR = '[redacted]';

/**
 * Personal data (SPEC §10), secrets, and free text a person typed, told by the key it is
 * logged under, at any depth; keys are compared in lower case without `_` or `-`.
 */
const PERSONAL_KEYS = new Set([
  'inn', 'patronymic', 'dob', 'login', 'recipient', 'to', 'contact', 'contacts', 'ip', 'otp', 'authorization', 'cookie',
  'form', 'comment', 'answer', 'text', 'body', 'subject', 'message', 'detail', 'value', 'values', 'plate', 'vin',
  // What a failed query carries (postgres.js): the statement and its parameters.
  'query', 'parameters', 'params', 'args',
]);
/** Parts of keys that name personal data wherever they stand (`contactPhone`, `passportNumber`, `homeAddress`). */
const PERSONAL_PARTS = ['phone', 'email', 'address', 'passport', 'snils', 'birth', 'password', 'secret', 'token'];

function judgeKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  // Any name (`name`, `fullName`, `fileName`, `surname`), but not the host's.
  if (k.endsWith('name')) return k !== 'hostname';
  return PERSONAL_KEYS.has(k) || PERSONAL_PARTS.some((part) => k.includes(part));
}

/**
 * The keys logged are mostly the code's own few, judged once each (every request's log
 * line judged its keys anew). Bounded, in case something logs keys from data.
 */
const judged = new Map<string, boolean>();
const JUDGED_MAX = 10_000;

function personalKey(key: string): boolean {
  let personal = judged.get(key);
  if (personal === undefined) {
    personal = judgeKey(key);
    if (judged.size < JUDGED_MAX) judged.set(key, personal);
  }
  return personal;
}

/** What an error may tell besides its class: the names a program gives its outcomes. */
const ERROR_FACTS = ['code', 'constraint_name', 'table_name', 'column_name', 'routine', 'type', 'activityType', 'retryState', 'nonRetryable', 'statusCode'] as const;

/**
 * An error as the logs keep it: its class, its codes and where it was thrown; never its
 * message, which may quote a value (Postgres: `invalid input syntax for type uuid: "…"`,
 * a duplicate's `detail`), nor the query or parameters a database error carries.
 */
function scrubError(err: Error, depth = 0): Record<string, unknown> {
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
function scrubLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  // Most lines (every request's among them) are flat and name nothing personal: logged as they are, not copied.
  for (const key in obj) {
    const value = obj[key];
    if ((typeof value === 'object' && value !== null) || key === 'err' || key === 'error' || personalKey(key)) {
      return scrub(obj, 0, new WeakSet()) as Record<string, unknown>;
    }
  }
  return obj;
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
    hooks: {
      // pino makes an error logged alone its own message: its class names it instead.
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (!(first instanceof Error)) return method.apply(this, args);
        return method.apply(this, [{ err: first }, ...(rest.length ? rest : [first.constructor?.name || first.name])] as Parameters<typeof method>);
      },
    },
    // pino's own error serializer copies every property (a query's parameters among them): scrubLogObject did the work.
    serializers: { err: passScrubbed, error: passScrubbed },
  };
  return destination ? pino(options, destination) : pino(options);
}

type LevelMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
type Log = (...args: unknown[]) => void;
/** What a request's logger must offer Fastify and its routes: pino's and Fastify's loggers both fit. */
type ChildLogger = { level: string; child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): ChildLogger } & Record<LevelMethod, Log>;

/** A logger whose child of `parent` is made on its first use. */
class DeferredChild {
  #made: ChildLogger | undefined;

  constructor(
    private readonly parent: ChildLogger,
    private readonly bindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  get made(): ChildLogger {
    return (this.#made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made.level;
  }

  set level(level: string) {
    this.made.level = level;
  }

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): ChildLogger {
    return this.made.child(bindings, options);
  }
}
for (const method of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] satisfies LevelMethod[]) {
  Object.defineProperty(DeferredChild.prototype, method, {
    value(this: DeferredChild, ...args: unknown[]) {
      this.made[method](...args);
    },
  });
}

/**
 * Fastify's `childLoggerFactory`: a request's logger, made by pino only when something is
 * logged through it. Making one cost every request several microseconds and its garbage,
 * and most requests log nothing but their closing line, which names its request itself.
 */
export function deferredChild<L extends ChildLogger>(parent: L, bindings: pino.Bindings, options: pino.ChildLoggerOptions): L {
  return new DeferredChild(parent, bindings, options) as unknown as L;
}
