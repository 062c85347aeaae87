/** Accepted document formats, recognised by their first bytes, never by the file name. */
const SIGNATURES: Array<{ type: string; bytes: number[] }> = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

export const ACCEPTED_CONTENT_TYPES = SIGNATURES.map((s) => s.type);
/** Enough leading bytes to recognise every accepted format. */
export const SNIFF_BYTES = Math.max(...SIGNATURES.map((s) => s.bytes.length));

export function sniffContentType(head: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.bytes.every((b, i) => head[i] === b))?.type;
}
