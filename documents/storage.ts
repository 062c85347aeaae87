import type { Readable } from 'node:stream';

/**
 * Where document bytes live, addressed by their SHA-256: a local directory (the default)
 * or Postgres (DOCUMENT_STORE, documents/from-config.ts); an object store would plug in
 * behind the same interface.
 */
export interface DocumentStorage {
  /** Moves a fully written, verified staging file into storage under its hash (idempotent). */
  put(stagedPath: string, sha256: string): Promise<void>;
  /** Fails (code ENOENT) before anything is streamed when the store holds no such document. */
  open(sha256: string): Promise<Readable>;
  exists(sha256: string): Promise<boolean>;
  /** A fresh path for staging an upload; the caller deletes it if the upload is refused. */
  stagingPath(): string;
}

/** A key is a hash and nothing else: never a path of its own making. */
export function assertSha256(sha256: string): void {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a sha256 hex digest');
}
