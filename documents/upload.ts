import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DOCUMENT_TYPES } from '../core/catalogue';
import { FailureType, invalid, Refusal } from '../core/failures';
import type { Db } from '../db/client';
import { insertDocument, type DocumentRow } from '../db/queries/documents';
import { ACCEPTED_CONTENT_TYPES, declaredType, FileEnd, isAccepted, sniffFile } from './sniff';
import type { DocumentStorage } from './storage';

/** One part of a multipart upload, as the HTTP layer hands it over. */
export type UploadPart =
  | { kind: 'field'; name: string; value: string }
  | {
      kind: 'file';
      name: string;
      fileName: string;
      /** The part's Content-Type: what the client says the file is. */
      declaredType?: string;
      stream: Readable;
      /** Set by the multipart parser when it cut the stream at its size limit. */
      truncated(): boolean;
    };

export interface UploadDeps {
  db: Db;
  storage: DocumentStorage;
  maxBytes: number;
}

interface StagedFile {
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** What was uploaded, once read and checked: what a retry of the upload must match. */
export type UploadFacts = StagedFile & { type: string };

export interface UploadOptions {
  /** The document's id; default a new one. A retried upload gives the id of the first attempt and gets its row. */
  id?: string;
  /** Asked before anything is stored; false: store nothing (the caller answered otherwise). */
  admit?: (upload: UploadFacts) => Promise<boolean>;
}

/** Keeps a display name only: no directories, no control or format characters, bounded length. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.normalize('NFC').replace(/[\p{Cc}\p{Cf}\p{Cs}"]/gu, '');
  // By code points, so a cut never splits a surrogate pair.
  return [...clean.trim()].slice(0, 200).join('').trim() || 'document';
}

const tooLarge = (maxBytes: number) => new Refusal(FailureType.TooLarge, `a document may be at most ${maxBytes} bytes`);

/**
 * Receives one upload — a `type` field and a `file` part, in either order: stages the
 * file while hashing and measuring it, checks size, format (by content) and type, and
 * only once the whole body has been read stores the file under its hash and records it.
 * A refused, failed or unadmitted upload leaves nothing: neither a file nor a row.
 */
export async function receiveDocument(
  deps: UploadDeps,
  ownerId: string,
  parts: AsyncIterable<UploadPart>,
  options: UploadOptions = {},
): Promise<DocumentRow | undefined> {
  const stagedPath = deps.storage.stagingPath();
  try {
    let type: string | undefined;
    let file: StagedFile | undefined;
    for await (const part of parts) {
      if (part.kind === 'field') {
        if (part.name === 'type') type = part.value;
        continue;
      }
      if (part.name !== 'file' || file) {
        part.stream.resume();
        throw invalid('one file is expected, in the part named "file"', [{ path: `/body/${part.name}`, message: 'unexpected file part' }]);
      }
      file = await stageFile(part, stagedPath, deps.maxBytes);
    }
    if (!file) throw invalid('no file', [{ path: '/body/file', message: 'is required' }]);
    if (!type || !(DOCUMENT_TYPES as readonly string[]).includes(type)) {
      throw invalid('unknown document type', [{ path: '/body/type', message: `must be one of ${DOCUMENT_TYPES.join(', ')}` }]);
    }
    if (options.admit && !(await options.admit({ ...file, type }))) return undefined;
    const { fileName, contentType, size, sha256 } = file;
    const record = { id: options.id ?? randomUUID(), ownerId, type, fileName, contentType, size, sha256 };
    // The row is written only once the file is stored, so no row ever lacks its file; a
    // failed insert at worst leaves an unreferenced file, harmless under its hash (and a
    // retried upload stores the same bytes again under it). Not in one transaction: a
    // store in Postgres would need a second connection while the transaction held one,
    // and uploads enough to hold the whole pool would wait for ever.
    await deps.storage.put(stagedPath, sha256);
    return (await insertDocument(deps.db, record)).row;
  } finally {
    // After a successful put the staged file is gone already; otherwise this is the cleanup.
    await rm(stagedPath, { force: true });
  }
}

/**
 * Streams a file part to `stagedPath`, cut off at `maxBytes`, and checks what the bytes
 * tell: the format by content (file-type), that it is the one the client declared, and
 * that the file ends where its format ends (nothing riding along after it).
 */
async function stageFile(part: Extract<UploadPart, { kind: 'file' }>, stagedPath: string, maxBytes: number): Promise<StagedFile> {
  const hash = createHash('sha256');
  const end = new FileEnd();
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      // The parser's limit is the first line; this one holds whatever feeds the stream.
      if (size > maxBytes) return done(tooLarge(maxBytes));
      end.push(chunk);
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const staged = createWriteStream(stagedPath);
  try {
    await pipeline(part.stream, measure, staged);
  } catch (err) {
    // pipeline answers once it has destroyed the streams, while the file may still be being
    // opened: created after the caller's cleanup had removed it, it would stay behind.
    if (!staged.closed) await new Promise<void>((closed) => staged.once('close', closed));
    // Our refusals, the parser's limits and file-system failures carry a type or a
    // code; what remains is the multipart parser choking on a malformed body.
    if (err instanceof Refusal || (err as { code?: string }).code) throw err;
    throw invalid(`the upload could not be read: ${(err as Error).message}`);
  }
  if (part.truncated()) throw tooLarge(maxBytes);
  if (size === 0) throw invalid('the file is empty', [{ path: '/body/file', message: 'is empty' }]);
  const detected = await sniffFile(stagedPath);
  if (!isAccepted(detected)) {
    const what = detected ? `the file is ${detected}, not` : 'the file is not';
    throw new Refusal(FailureType.UnsupportedMedia, `${what} one of ${ACCEPTED_CONTENT_TYPES.join(', ')} (checked by content)`, {
      reason: 'unsupported_format',
      ...(detected ? { detected } : {}),
    });
  }
  const declared = declaredType(part.declaredType);
  if (declared && declared !== detected) {
    throw new Refusal(FailureType.Unprocessable, `the file was sent as ${declared}, but its content is ${detected}`, { reason: 'type_mismatch', declared, detected });
  }
  if (!end.endsAs(detected)) {
    throw new Refusal(FailureType.Unprocessable, `the file does not end where a ${detected} file ends: it is cut short, or something else follows it`, {
      reason: 'trailing_content',
      detected,
    });
  }
  return { fileName: safeFileName(part.fileName), contentType: detected, size, sha256: hash.digest('hex') };
}
