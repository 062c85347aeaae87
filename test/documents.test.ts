import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintToken } from '../accounts/tokens';
import { buildApp } from '../api/app';
import { loadConfig, type Config } from '../config';
import type { ApplicationDetail } from '../core/case-projection';
import type { Principal } from '../core/principal';
import { findOwnedDocuments } from '../db/queries/documents';
import { cases } from '../db/schema';
import { createLocalStorage } from '../documents/local-storage';
import { declaredType, FileEnd, sniffFile } from '../documents/sniff';
import type { DocumentStorage } from '../documents/storage';
import { receiveDocument, safeFileName, type UploadPart } from '../documents/upload';
import { TEST_PAYLOAD_CODEC_KEYS, testDataConverter } from './support/codec';
import { JPEG_SCAN, jpegScan, PNG_SCAN, pngScan } from './support/fixtures';
import { createTestDatabase, type TestDatabase } from './support/db';

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]);
const JPEG = JPEG_SCAN;
const PNG = PNG_SCAN;
const TEXT = Buffer.from('just some text, whatever the name says\n');
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01]), Buffer.alloc(600)]);
const PE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(600)]);
/** An archive with one stored entry, then its central directory's end. */
const ZIP = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(26), Buffer.from('PK\x05\x06'), Buffer.alloc(18)]);

describe('file formats', () => {
  it('are told by content (file-type), whatever the name', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sniff-'));
    const sniff = async (bytes: Buffer) => {
      const file = path.join(dir, 'scan.pdf');
      await writeFile(file, bytes);
      return sniffFile(file);
    };
    expect(await sniff(PDF)).toBe('application/pdf');
    expect(await sniff(JPEG)).toBe('image/jpeg');
    expect(await sniff(PNG)).toBe('image/png');
    expect(await sniff(ELF)).toBe('application/x-elf');
    expect(await sniff(ZIP)).toBe('application/zip');
    expect(await sniff(TEXT)).toBeUndefined();
    expect(await sniff(Buffer.from(' %PDF-1.7'))).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });

  it('end where their format ends, padding aside, however the bytes arrive', () => {
    const endOf = (bytes: Buffer, chunk: number) => {
      const end = new FileEnd();
      for (let i = 0; i < bytes.length; i += chunk) end.push(bytes.subarray(i, i + chunk));
      return end;
    };
    for (const chunk of [1, 3, 7, 4096]) {
      expect(endOf(PDF, chunk).endsAs('application/pdf')).toBe(true);
      expect(endOf(Buffer.concat([PDF, Buffer.alloc(5000)]), chunk).endsAs('application/pdf')).toBe(true);
      expect(endOf(PNG, chunk).endsAs('image/png')).toBe(true);
      expect(endOf(JPEG, chunk).endsAs('image/jpeg')).toBe(true);
      expect(endOf(Buffer.concat([JPEG, ZIP]), chunk).endsAs('image/jpeg')).toBe(false);
      expect(endOf(Buffer.concat([PDF, ZIP]), chunk).endsAs('application/pdf')).toBe(false);
      expect(endOf(PNG.subarray(0, -12), chunk).endsAs('image/png')).toBe(false);
    }
  });

  it('are declared by the part’s content type, octet-stream declaring nothing', () => {
    expect(declaredType(undefined)).toBeUndefined();
    expect(declaredType('application/octet-stream')).toBeUndefined();
    expect(declaredType('Image/JPG; charset=binary')).toBe('image/jpeg');
    expect(declaredType('application/pdf')).toBe('application/pdf');
    expect(declaredType('application/zip')).toBe('application/zip');
  });
});

describe('safeFileName', () => {
  it('keeps a display name, never a path', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\me\\скан паспорта.pdf')).toBe('скан паспорта.pdf');
    expect(safeFileName('a\u0000b\r\n"c"\u202Egpj.exe')).toBe('abcgpj.exe');
    expect(safeFileName('  ')).toBe('document');
    expect(safeFileName('dir/')).toBe('document');
  });

  it('cuts at 200 characters without splitting one', () => {
    const name = safeFileName('😀'.repeat(300));
    expect([...name]).toHaveLength(200);
    expect(name).toBe('😀'.repeat(200));
  });
});

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('local storage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'documents-storage-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const hash = 'ab'.repeat(32);

  it('moves a staged file under its hash, and a second copy of it away', async () => {
    const storage = await createLocalStorage(dir);
    const first = storage.stagingPath();
    await writeFile(first, 'one');
    await storage.put(first, hash);
    expect(await filesUnder(dir)).toEqual([path.join('ab', 'ab', hash)]);

    const second = storage.stagingPath();
    await writeFile(second, 'one');
    await storage.put(second, hash);
    expect(await filesUnder(dir)).toEqual([path.join('ab', 'ab', hash)]);
    expect(await storage.exists(hash)).toBe(true);
    expect((await (await storage.open(hash)).toArray()).join('')).toBe('one');
  });

  it('refuses what is not a hash, and fails to open what it does not hold', async () => {
    const storage = await createLocalStorage(dir);
    await expect(storage.put(storage.stagingPath(), '../../x')).rejects.toThrow(/sha256/);
    await expect(storage.open('cd'.repeat(32))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await storage.exists('cd'.repeat(32))).toBe(false);
  });

  it('clears staged files left by a dead process, not those in flight', async () => {
    const staging = path.join(dir, '.staging');
    await mkdir(staging, { recursive: true });
    await writeFile(path.join(staging, 'dead'), 'x');
    await writeFile(path.join(staging, 'live'), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(path.join(staging, 'dead'), twoHoursAgo, twoHoursAgo);
    await createLocalStorage(dir);
    expect(await readdir(staging)).toEqual(['live']);
    await rm(path.join(staging, 'live'));
  });
});

describe('documents over HTTP', () => {
  const alice: Principal = { id: 'citizen-alice', role: 'citizen', level: 'standard' };
  const bob: Principal = { id: 'citizen-bob', role: 'citizen', level: 'standard' };
  const mvdReviewer: Principal = { id: 'reviewer-mvd', role: 'reviewer', agency: 'mvd' };
  const fnsReviewer: Principal = { id: 'reviewer-fns', role: 'reviewer', agency: 'fns' };
  const admin: Principal = { id: 'admin-1', role: 'admin' };

  let dataDir: string;
  let config: Config;
  let database: TestDatabase;
  let connection: Connection;
  let storage: DocumentStorage;
  let app: FastifyInstance;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'documents-http-'));
    database = await createTestDatabase();
    config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      PAYLOAD_CODEC_KEYS: TEST_PAYLOAD_CODEC_KEYS,
    });
    connection = await Connection.connect({ address: config.temporal.address });
    storage = await createLocalStorage(config.documents.dir);
    app = await buildApp({
      config,
      database,
      temporal: new Client({ connection, namespace: config.temporal.namespace, dataConverter: testDataConverter }),
      storage,
      logger: pino({ level: 'silent' }),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function call(as: Principal | undefined, opts: InjectOptions) {
    const authorization = as ? { authorization: `Bearer ${await mintToken(config.auth, as)}` } : {};
    return app.inject({ ...opts, headers: { ...opts.headers, ...authorization } });
  }

  type Part = [name: string, value: string] | [name: string, bytes: Buffer, fileName: string, declared?: string];

  /** A multipart body with the parts in the order given; a file part's content type is `declared` (default: none, octet-stream). */
  async function post(as: Principal | undefined, parts: Part[]) {
    const form = new FormData();
    for (const [name, value, fileName, declared] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([value], declared ? { type: declared } : {}), fileName);
    }
    const encoded = new Response(form);
    return call(as, {
      method: 'POST',
      url: '/documents',
      payload: Buffer.from(await encoded.arrayBuffer()),
      headers: { 'content-type': encoded.headers.get('content-type')! },
    });
  }
  const upload = (as: Principal | undefined, type: string, bytes: Buffer, fileName = 'scan.pdf') =>
    post(as, [
      ['type', type],
      ['file', bytes, fileName],
    ]);

  const rowCount = async () => (await database.sql`select count(*)::int as n from documents`)[0]!.n as number;
  const stagingDir = () => path.join(config.documents.dir, '.staging');

  it('accepts PDF, JPEG and PNG and gives the owner back the same bytes', async () => {
    for (const [bytes, contentType] of [
      [PDF, 'application/pdf'],
      [JPEG, 'image/jpeg'],
      [PNG, 'image/png'],
    ] as const) {
      const res = await upload(alice, 'passport', bytes, 'паспорт.bin');
      expect(res.statusCode, res.body).toBe(201);
      const doc = res.json();
      expect(doc).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'passport',
        fileName: 'паспорт.bin',
        contentType,
        size: bytes.length,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        createdAt: expect.any(String),
      });
      const stored = path.join(config.documents.dir, doc.sha256.slice(0, 2), doc.sha256.slice(2, 4), doc.sha256);
      expect(Buffer.compare(await readFile(stored), bytes)).toBe(0);

      const meta = await call(alice, { method: 'GET', url: `/documents/${doc.id}` });
      expect(meta.json()).toEqual(doc);
      const content = await call(alice, { method: 'GET', url: `/documents/${doc.id}/content` });
      expect(content.statusCode).toBe(200);
      expect(content.headers['content-type']).toBe(contentType);
      expect(content.headers['x-content-type-options']).toBe('nosniff');
      expect(Buffer.compare(content.rawPayload, bytes)).toBe(0);
    }
    expect(await readdir(stagingDir())).toEqual([]);
  });

  it('takes the type field after the file too, and keeps one copy of the same bytes', async () => {
    const before = await filesUnder(config.documents.dir);
    const res = await post(alice, [
      ['file', PDF, 'again.pdf'],
      ['type', 'contract'],
    ]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ type: 'contract', fileName: 'again.pdf' });
    expect(await filesUnder(config.documents.dir)).toEqual(before);
  });

  it('downloads under a safe name whatever the name uploaded', async () => {
    const doc = (await upload(alice, 'photo', PNG, `../../etc/it's mine (1)*.png`)).json();
    expect(doc.fileName).toBe(`it's mine (1)*.png`);
    const content = await call(alice, { method: 'GET', url: `/documents/${doc.id}/content` });
    expect(content.headers['content-disposition']).toBe(`attachment; filename="it's mine (1)*.png"; filename*=UTF-8''it%27s%20mine%20%281%29%2A.png`);
    const cyrillic = (await upload(alice, 'photo', PNG, 'фото.png')).json();
    const disposition = (await call(alice, { method: 'GET', url: `/documents/${cyrillic.id}/content` })).headers['content-disposition'];
    expect(disposition).toBe(`attachment; filename="____.png"; filename*=UTF-8''${encodeURIComponent('фото.png')}`);
  });

  it('refuses, with a reason, what it cannot accept, and keeps nothing of it', async () => {
    const rows = await rowCount();
    const files = await filesUnder(config.documents.dir);
    const max = config.documents.maxBytes;

    const text = await upload(alice, 'passport', TEXT, 'contract.pdf');
    expect(text.statusCode).toBe(415);
    expect(text.headers['content-type']).toContain('application/problem+json');
    expect(text.json().detail).toMatch(/application\/pdf, image\/png, image\/jpeg/);

    const big = await upload(alice, 'passport', Buffer.concat([PDF, Buffer.alloc(max - PDF.length + 1)]));
    expect(big.statusCode).toBe(413);
    expect(big.json().detail).toBe(`a document may be at most ${max} bytes`);

    const badType = await upload(alice, 'diploma', PDF);
    expect(badType.statusCode).toBe(400);
    expect(badType.json().errors).toEqual([{ path: '/body/type', message: expect.stringContaining('passport') }]);

    const noType = await post(alice, [['file', PDF, 'a.pdf']]);
    expect(noType.json().errors[0].path).toBe('/body/type');

    const noFile = await post(alice, [['type', 'passport']]);
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().errors).toEqual([{ path: '/body/file', message: 'is required' }]);

    const empty = await upload(alice, 'passport', Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    expect(empty.json().errors[0].path).toBe('/body/file');

    const wrongPart = await post(alice, [
      ['type', 'passport'],
      ['scan', PDF, 'a.pdf'],
    ]);
    expect(wrongPart.statusCode).toBe(400);
    expect(wrongPart.json().errors[0].path).toBe('/body/scan');

    // The first file passed every check; the second breaks the request, so neither stays.
    const two = await post(alice, [
      ['type', 'passport'],
      ['file', PDF, 'a.pdf'],
      ['file', PNG, 'b.png'],
    ]);
    expect(two.statusCode).toBe(413);

    const json = await call(alice, { method: 'POST', url: '/documents', payload: { type: 'passport' } });
    expect(json.statusCode).toBe(415);

    const cutOff = await call(alice, {
      method: 'POST',
      url: '/documents',
      payload: '--b\r\nContent-Disposition: form-data; name="type"\r\n\r\npassport\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7 trunc',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    });
    expect(cutOff.statusCode).toBe(400);

    expect(await rowCount()).toBe(rows);
    expect(await filesUnder(config.documents.dir)).toEqual(files);
    expect(await readdir(stagingDir())).toEqual([]);
  });

  it('refuses a file that is not what it is declared as, an executable or archive named .pdf, and a polyglot, keeping nothing', async () => {
    const rows = await rowCount();
    const files = await filesUnder(config.documents.dir);
    const send = (bytes: Buffer, fileName: string, declared?: string) =>
      post(alice, [
        ['type', 'passport'],
        ['file', bytes, fileName, declared],
      ]);
    const problem = (res: Awaited<ReturnType<typeof send>>, status: number) => {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      return res.json();
    };

    expect(problem(await send(PDF, 'photo.jpg', 'image/jpeg'), 422)).toMatchObject({
      reason: 'type_mismatch',
      declared: 'image/jpeg',
      detected: 'application/pdf',
      detail: 'the file was sent as image/jpeg, but its content is application/pdf',
    });
    expect(problem(await send(ELF, 'scan.pdf', 'application/pdf'), 415)).toMatchObject({ reason: 'unsupported_format', detected: 'application/x-elf' });
    expect(problem(await send(PE, 'scan.pdf', 'application/pdf'), 415)).toMatchObject({ reason: 'unsupported_format', detected: 'application/x-msdownload' });
    const zip = problem(await send(ZIP, 'scan.pdf', 'application/pdf'), 415);
    expect(zip).toMatchObject({ reason: 'unsupported_format', detected: 'application/zip' });
    expect(zip.detail).toBe('the file is application/zip, not one of application/pdf, image/png, image/jpeg (checked by content)');
    expect(problem(await send(Buffer.concat([JPEG, ZIP]), 'photo.jpg', 'image/jpeg'), 422)).toMatchObject({ reason: 'trailing_content', detected: 'image/jpeg' });
    expect(problem(await send(Buffer.concat([PDF, ZIP]), 'scan.pdf'), 422)).toMatchObject({ reason: 'trailing_content', detected: 'application/pdf' });
    expect(problem(await send(PNG.subarray(0, -12), 'photo.png', 'image/png'), 422).detail).toBe(
      'the file does not end where a image/png file ends: it is cut short, or something else follows it',
    );

    expect(await rowCount()).toBe(rows);
    expect(await filesUnder(config.documents.dir)).toEqual(files);
    expect(await readdir(stagingDir())).toEqual([]);

    // Declared as what it is, under any of its names, it is taken.
    const jpeg = await send(jpegScan(901), 'photo.jpg', 'image/jpg');
    expect(jpeg.statusCode, jpeg.body).toBe(201);
    expect(jpeg.json().contentType).toBe('image/jpeg');
  });

  it('keeps a display name only: no path, no control or direction characters, at most 200 characters', async () => {
    const named = async (fileName: string) => (await upload(alice, 'photo', pngScan(fileName.length), fileName)).json().fileName as string;
    expect(await named('..\\..\\windows\\system32\\скан.png')).toBe('скан.png');
    expect(await named('паспорт\u202Egnp.exe\u0007.png')).toBe('паспортgnp.exe.png');
    const long = await named(`${'я'.repeat(300)}.png`);
    expect([...long]).toHaveLength(200);
  });

  it('accepts a file of exactly the limit', async () => {
    const max = config.documents.maxBytes;
    const res = await upload(alice, 'other', Buffer.concat([PDF, Buffer.alloc(max - PDF.length)]));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().size).toBe(max);
  });

  it('shows a document to its owner, reviewers of a case carrying it and admins; to others it does not exist', async () => {
    const doc = (await upload(alice, 'passport', PDF)).json();
    const status = async (as: Principal | undefined, suffix = '') => (await call(as, { method: 'GET', url: `/documents/${doc.id}${suffix}` })).statusCode;

    for (const suffix of ['', '/content']) {
      expect(await status(alice, suffix)).toBe(200);
      expect(await status(admin, suffix)).toBe(200);
      expect(await status(bob, suffix)).toBe(404);
      expect(await status(mvdReviewer, suffix)).toBe(404);
      expect(await status(undefined, suffix)).toBe(401);
    }

    // The read model of a case filed with the document, as the projection writes it.
    const now = new Date().toISOString();
    await database.db.insert(cases).values({
      number: 'A-2026-9999001',
      kind: 'application',
      version: 1,
      status: 'in_review',
      agency: 'mvd',
      applicantId: alice.id,
      submittedAt: now,
      updatedAt: now,
      // Only what the document check reads.
      detail: { documents: [{ id: doc.id, type: doc.type, fileName: doc.fileName, sha256: doc.sha256 }] } as ApplicationDetail,
    });
    expect(await status(mvdReviewer)).toBe(200);
    expect(await status(mvdReviewer, '/content')).toBe(200);
    expect(await status(fnsReviewer)).toBe(404);
    expect(await status(bob)).toBe(404);
  });

  it('answers 401 to an upload without a token and 403 to a reviewer upload', async () => {
    const rows = await rowCount();
    expect((await upload(undefined, 'passport', PDF)).statusCode).toBe(401);
    expect((await upload(mvdReviewer, 'passport', PDF)).statusCode).toBe(403);
    expect(await rowCount()).toBe(rows);
  });

  it('answers 404 for an unknown document and 400 for a malformed id', async () => {
    expect((await call(alice, { method: 'GET', url: '/documents/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    const bad = await call(alice, { method: 'GET', url: '/documents/not-an-id' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('/params/id');
  });

  it('finds the citizen’s own documents in the order asked, leaving out others', async () => {
    const a = (await upload(alice, 'passport', PDF)).json();
    const b = (await upload(alice, 'photo', PNG)).json();
    const bobs = (await upload(bob, 'snils', JPEG)).json();
    const found = await findOwnedDocuments(database.db, alice.id, [b.id, bobs.id, a.id, '00000000-0000-4000-8000-000000000000']);
    expect(found).toEqual([
      { id: b.id, type: 'photo', fileName: b.fileName, sha256: b.sha256 },
      { id: a.id, type: 'passport', fileName: a.fileName, sha256: a.sha256 },
    ]);
    expect(await findOwnedDocuments(database.db, alice.id, [])).toEqual([]);
  });

  it('leaves neither a row nor a file when storing fails', async () => {
    const rows = await rowCount();
    const files = await filesUnder(config.documents.dir);
    const failing: DocumentStorage = { ...storage, put: async () => Promise.reject(new Error('disk full')) };
    async function* parts(): AsyncGenerator<UploadPart> {
      yield { kind: 'field', name: 'type', value: 'passport' };
      yield { kind: 'file', name: 'file', fileName: 'a.pdf', stream: Readable.from([Buffer.from('%PDF-1.4 unique bytes\n%%EOF\n')]), truncated: () => false };
    }
    await expect(receiveDocument({ db: database.db, storage: failing, maxBytes: config.documents.maxBytes }, alice.id, parts())).rejects.toThrow('disk full');
    expect(await rowCount()).toBe(rows);
    expect(await filesUnder(config.documents.dir)).toEqual(files);
  });

  it('leaves no staged file when the upload breaks off before the file could even be opened', async () => {
    const files = await filesUnder(config.documents.dir);
    async function* parts(): AsyncGenerator<UploadPart> {
      yield { kind: 'field', name: 'type', value: 'passport' };
      // The client is gone at the first read: the staged file's open is still under way.
      const stream = new Readable({ read() { this.destroy(new Error('connection reset')); } });
      yield { kind: 'file', name: 'file', fileName: 'a.pdf', stream, truncated: () => false };
    }
    for (let i = 0; i < 20; i++) {
      await expect(receiveDocument({ db: database.db, storage, maxBytes: config.documents.maxBytes }, alice.id, parts())).rejects.toThrow('connection reset');
      expect(await readdir(stagingDir())).toEqual([]);
    }
    expect(await filesUnder(config.documents.dir)).toEqual(files);
  });

  it('documents the multipart upload in the OpenAPI document', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const post = spec.paths['/documents'].post;
    expect(post.tags).toEqual(['documents']);
    expect(post.security).toEqual([{ bearer: [] }]);
    const body = post.requestBody.content['multipart/form-data'].schema;
    expect(body.required).toEqual(['type', 'file']);
    expect(body.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(Object.keys(spec.paths['/documents/{id}/content'].get.responses['200'].content)).toEqual(['application/pdf', 'image/png', 'image/jpeg']);
  });
});
