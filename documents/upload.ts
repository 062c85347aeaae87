import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { badRequest, Problem } from '../api/problem';
import { DOCUMENT_TYPES, type DocumentType } from '../core/catalogue';
import type { Db } from '../db/client';
import { insertDocument, type DocumentRow } from '../db/queries/documents';
import { ACCEPTED_CONTENT_TYPES, SNIFF_BYTES, sniffContentType } from './sniff';
import type { DocumentStorage } from './storage';

export interface IncomingFile {
  stream: Readable;
  fileName: string;
  /** Set by the multipart parser when the stream was cut at the size limit. */
  truncated(): boolean;
}

/** Keeps a display name only: no directories, no control characters, bounded length. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\p{Cc}\p{Cf}"]/gu, '').trim().slice(0, 200);
  return clean || 'document';
}

/**
 * Receives one upload: streams it to staging while hashing and measuring, checks the
 * format by content and the size, then stores it under its hash and records it. A
 * refused upload leaves nothing: neither a file nor a row.
 */
export async function receiveDocument(
  deps: { db: Db; storage: DocumentStorage; maxBytes: number },
  upload: { ownerId: string; type: string | undefined; file: IncomingFile },
): Promise<DocumentRow> {
  const staged = deps.storage.stagingPath();
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  const measure = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > deps.maxBytes) {
        done(new Problem(413, 'Content Too Large', `a document may be at most ${deps.maxBytes} bytes`));
        return;
      }
      if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    try {
      await pipeline(upload.file.stream, measure, createWriteStream(staged));
    } catch (err) {
      // Our refusals, the parser's limits and file-system failures carry a type or a
      // code; what remains is the multipart parser choking on a malformed body.
      if (err instanceof Problem || (err as { code?: string }).code) throw err;
      throw badRequest(`the upload could not be read: ${(err as Error).message}`);
    }
    if (upload.file.truncated()) throw new Problem(413, 'Content Too Large', `a document may be at most ${deps.maxBytes} bytes`);
    if (!upload.type || !DOCUMENT_TYPES.includes(upload.type as DocumentType)) {
      throw badRequest('unknown document type', [{ path: '/body/type', message: `must be one of ${DOCUMENT_TYPES.join(', ')}` }]);
    }
    if (size === 0) throw badRequest('the file is empty', [{ path: '/body/file', message: 'is empty' }]);
    const contentType = sniffContentType(head);
    if (!contentType) {
      throw new Problem(415, 'Unsupported Media Type', `the file is not one of ${ACCEPTED_CONTENT_TYPES.join(', ')} (checked by content)`);
    }
    const sha256 = hash.digest('hex');
    await deps.storage.put(staged, sha256);
    return await insertDocument(deps.db, {
      id: randomUUID(),
      ownerId: upload.ownerId,
      type: upload.type,
      fileName: safeFileName(upload.file.fileName),
      contentType,
      size,
      sha256,
    });
  } finally {
    // After a successful put the staged file is gone already; otherwise this is the cleanup.
    await rm(staged, { force: true });
  }
}
