import { randomBytes } from 'node:crypto';

/** Unambiguous when read aloud or typed from paper: no 0/O, 1/I/L. */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** The short code printed on a document (and encoded in its QR), e.g. 7KQ4-MZ2D-XH9P. */
export function newVerificationCode(): string {
  const bytes = randomBytes(12);
  const chars = Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars.slice(8).join('')}`;
}

/** The public page a document's QR code and printed address lead to. */
export function verificationUrl(baseUrl: string, code: string): string {
  return `${baseUrl}/results/${code}/verify`;
}
