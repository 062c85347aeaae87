/**
 * The one vocabulary of refusals. Workflow validators and activities raise these types
 * as Temporal failures; domain modules throw a `Refusal`. The API maps each type to an
 * HTTP status once (api/problem.ts); nothing else decides what a refusal means.
 */
export const FailureType = {
  /** The action is not allowed in the case's current status. */
  InvalidState: 'InvalidState',
  /** The caller acted on an outdated version of the case. */
  StaleVersion: 'StaleVersion',
  /** The caller may not perform this action on this case. */
  Forbidden: 'Forbidden',
  /** The input breaks a business rule. */
  Invalid: 'Invalid',
  /** Permanent activity failure: retrying cannot help. */
  Permanent: 'Permanent',
  /** The caller could not be recognised (wrong login, no token). */
  Unauthenticated: 'Unauthenticated',
  /** What was asked for does not exist, or the caller may not know that it does. */
  NotFound: 'NotFound',
  /** The request clashes with what exists already: a used key, a taken identifier. */
  Conflict: 'Conflict',
  /** The same request is still being acted on (a retry overtook it): ask again shortly. */
  InProgress: 'InProgress',
  /** Well-formed input that cannot be accepted: a signature or certificate that fails checks. */
  Unprocessable: 'Unprocessable',
  /** The input is larger than allowed. */
  TooLarge: 'TooLarge',
  /** The input is not of an accepted type. */
  UnsupportedMedia: 'UnsupportedMedia',
  /** The caller asked too often: codes sent to one address, sign-ins to one account. `retryAfter` (seconds) says when to come back. */
  TooManyRequests: 'TooManyRequests',
  /** A service the system depends on (Postgres, Temporal) cannot be reached now; the same request can succeed later. */
  Unavailable: 'Unavailable',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** One invalid field: a JSON-pointer-like path into the request and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

/** What a refusal tells the caller beyond its message: field errors and facts to act on. */
export type RefusalDetails = { errors?: FieldError[]; code?: string; [k: string]: unknown };

/** A domain module's refusal of a request. */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly type: FailureType,
    message: string,
    readonly details: RefusalDetails = {},
  ) {
    super(message);
  }
}

export const invalid = (message: string, errors?: FieldError[]) =>
  new Refusal(FailureType.Invalid, message, errors ? { errors } : {});
export const notFound = (what: string) => new Refusal(FailureType.NotFound, `${what} not found`);
export const forbidden = (message: string, details?: RefusalDetails) => new Refusal(FailureType.Forbidden, message, details);
export const conflict = (message: string, details?: RefusalDetails) => new Refusal(FailureType.Conflict, message, details);
export const invalidState = (message: string, details?: RefusalDetails) =>
  new Refusal(FailureType.InvalidState, message, details);
/** Refused for now: `reason` names the limit, `retryAfter` the whole seconds until it allows again. */
export const tooManyRequests = (message: string, details: { reason: string; retryAfter: number }) =>
  new Refusal(FailureType.TooManyRequests, message, details);
