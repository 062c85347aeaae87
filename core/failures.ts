/**
 * Failure types raised by workflow update validators and activities. The API maps each
 * to an HTTP status; nothing else decides what a refusal means.
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
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
