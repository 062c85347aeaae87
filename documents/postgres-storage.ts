import { readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Db } from '../db/client';
import { documentBlob, documentBlobExists, storeDocumentBlob } from '../db/queries/document-blobs';
import { stagingArea } from './staging';
import { assertSha256, type DocumentStorage } from './storage';

/**
 * Document bytes in Postgres (table `document_blobs`), content-addressed like the local
 * directory, so that every API instance and worker reads what any of them stored with no
 * shared volume. Uploads are still staged on this instance's disk (`stagingDir`) while they
 * are checked. A document is at most DOCUMENT_MAX_BYTES (5 MB by default), so it is read
 * and written whole, in one round trip each.
 */
export async function createPostgresStorage(db: Db, stagingDir: string): Promise<DocumentStorage> {
  const stagingPath = await stagingArea(stagingDir);
  const exists = (sha256: string) => {
    assertSha256(sha256);
    return documentBlobExists(db, sha256);
  };
  return {
    async put(stagedPath, sha256) {
      // The same bytes again (a second upload of one scan): nothing is sent twice.
      if (!(await exists(sha256))) await storeDocumentBlob(db, sha256, await readFile(stagedPath));
      await rm(stagedPath, { force: true });
    },
    async open(sha256) {
      assertSha256(sha256);
      const content = await documentBlob(db, sha256);
      if (!content) throw Object.assign(new Error(`no document ${sha256} in the store`), { code: 'ENOENT' });
      return Readable.from([content]);
    },
    exists,
    stagingPath,
  };
}
