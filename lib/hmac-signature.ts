import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What both directions of signed JSON share: callbacks reaching the API and messages this
 * system hands to gateways carry `sha256=<hex HMAC-SHA256 of the exact body>`.
 */
export function signPayload(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Compared in constant time, so that a forger learns nothing from how fast a guess is refused. */
export function signatureMatches(secret: string, body: string, given: unknown): boolean {
  const expected = signPayload(secret, body);
  return typeof given === 'string' && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
