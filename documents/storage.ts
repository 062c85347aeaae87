import type { Readable } from 'node:stream';

/**
 * Where document bytes live, addressed by their SHA-256. The local directory is the
 * default; an object store plugs in behind the same interface.
 */
export interface DocumentStorage {
  /** Moves a fully written, verified staging file into storage under its hash (idempotent). */
  put(stagedPath: string, sha256: string): Promise<void>;
  open(sha256: string): Promise<Readable>;
  exists(sha256: string): Promise<boolean>;
  /** A fresh path for staging an upload; the caller deletes it if the upload is refused. */
  stagingPath(): string;
}
