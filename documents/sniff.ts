import { fileTypeFromFile } from 'file-type';

/** Accepted document formats (SPEC §5), told by their content, never by the name. */
export const ACCEPTED_CONTENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export type AcceptedContentType = (typeof ACCEPTED_CONTENT_TYPES)[number];

export const isAccepted = (type: string | undefined): type is AcceptedContentType => (ACCEPTED_CONTENT_TYPES as readonly string[]).includes(type ?? '');

/** The format of the file at `path` by its signatures (file-type reads what it needs of it): a MIME type, or undefined. */
export async function sniffFile(path: string): Promise<string | undefined> {
  return (await fileTypeFromFile(path))?.mime;
}

/** Names clients use for the accepted types besides the registered ones. */
const ALIASES: Record<string, AcceptedContentType> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'application/x-pdf': 'application/pdf',
};
/** What a client sends when it claims nothing about the content. */
const UNDECLARED = new Set(['', 'application/octet-stream']);

/** The content type a multipart part claims, normalised; undefined when it claims none. */
export function declaredType(header: string | undefined): string | undefined {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return UNDECLARED.has(type) ? undefined : (ALIASES[type] ?? type);
}

/**
 * How each format ends: PDF's `%%EOF`, PNG's IEND chunk, JPEG's end-of-image marker.
 * Anything after it is another file riding along (a polyglot: a ZIP appended to an image).
 */
const ENDINGS: Record<AcceptedContentType, Buffer> = {
  'application/pdf': Buffer.from('%%EOF'),
  'image/png': Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]),
  'image/jpeg': Buffer.from([0xff, 0xd9]),
};
/** What may pad a file after its end: PDF's white-space characters, NUL among them. */
const PADDING = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const KEPT = Math.max(...Object.values(ENDINGS).map((e) => e.length));

/** Follows a file's bytes as they stream past, keeping only the last few before any padding. */
export class FileEnd {
  private last = Buffer.alloc(0);
  private meaningful = Buffer.alloc(0);

  push(chunk: Buffer): void {
    let end = chunk.length;
    while (end > 0 && PADDING.has(chunk[end - 1]!)) end--;
    if (end > 0) this.meaningful = Buffer.concat([this.last, chunk.subarray(Math.max(0, end - KEPT), end)]).subarray(-KEPT);
    this.last = Buffer.concat([this.last, chunk.subarray(-KEPT)]).subarray(-KEPT);
  }

  /** Whether the file ends as `type` ends, padding aside. */
  endsAs(type: AcceptedContentType): boolean {
    const ending = ENDINGS[type];
    return this.meaningful.length >= ending.length && this.meaningful.subarray(-ending.length).equals(ending);
  }
}
