import { createHmac } from 'node:crypto';

/**
 * A phone, e-mail or login as the limits count it, never in clear: keyed with the code
 * secret, because a plain hash of a phone number is reversed by hashing all ten billion.
 */
export const addressDigest = (secret: string, address: string): string => createHmac('sha256', secret).update(`address:${address}`).digest('hex');
