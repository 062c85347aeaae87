import { createHash } from 'node:crypto';

/**
 * A UUID (RFC 9562 version 8) that is a function of `seed`: a request retried under its
 * idempotency key names the record its first attempt made, so it cannot make a second.
 */
export function uuidFromSeed(seed: string): string {
  const b = createHash('sha256').update(seed).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
