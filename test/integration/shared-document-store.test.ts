/**
 * DOCUMENT_STORE=postgres: two API instances, each listening on its own port with a data
 * directory of its own, and the stack's worker share every document through Postgres.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../config';
import type { Principal } from '../../core/principal';
import { createPostgresStorage } from '../../documents/postgres-storage';
import { freePort } from '../../lib/free-port';
import { pdfScan, PNG_SCAN } from '../support/fixtures';
import { officially, ok, post } from '../support/http';
import { alice, rita } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
let other: Config;
let otherUrl: string;
const service = testService();

beforeAll(async () => {
  stack = await startStack({ listen: true, env: { DOCUMENT_STORE: 'postgres' } });
  await stack.addService(service);
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cases-other-api-'));
  other = { ...stack.config, dataDir, documents: { ...stack.config.documents, dir: path.join(dataDir, 'documents') }, http: { ...stack.config.http, port } };
  const second = await stack.instance(other);
  await second.listen({ host: '127.0.0.1', port });
  otherUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await stack?.close();
  if (other) await rm(other.dataDir, { recursive: true, force: true });
});

const bearer = async (who: Principal) => ({ authorization: `Bearer ${await stack.token(who)}` });

async function upload(base: string, bytes: Buffer, fileName: string): Promise<{ id: string; sha256: string }> {
  const form = new FormData();
  form.append('type', 'passport');
  form.append('file', new Blob([bytes]), fileName);
  const res = await fetch(`${base}/documents`, { method: 'POST', body: form, headers: await bearer(alice) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; sha256: string };
}

async function download(base: string, url: string, who: Principal): Promise<Response> {
  const res = await fetch(`${base}${url}`, { headers: await bearer(who) });
  expect(res.status, await res.clone().text()).toBe(200);
  return res;
}

/** Files an instance keeps of its own under its documents directory (staging included). */
async function localFiles(config: Config): Promise<string[]> {
  const entries = await readdir(config.documents.dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

const blobs = async (sha256: string) => (await stack.database.sql`select count(*)::int as n from document_blobs where sha256 = ${sha256}`)[0]!.n as number;

describe('documents shared through Postgres', () => {
  it('keeps a directory of its own as the default store', () => {
    expect(loadConfig({}).documents.store).toBe('local');
    expect(stack.config.documents.store).toBe('postgres');
    expect(stack.config.documents.dir).not.toBe(other.documents.dir);
  });

  it('downloads through one instance what was uploaded through the other, byte for byte', async () => {
    const scan = pdfScan(3300);
    const doc = await upload(stack.config.http.apiUrl, scan, 'паспорт.pdf');
    const res = await download(otherUrl, `/documents/${doc.id}/content`, alice);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), scan)).toBe(0);
    // Neither instance kept the bytes on its own disk.
    expect(await localFiles(stack.config)).toEqual([]);
    expect(await localFiles(other)).toEqual([]);

    const back = await upload(otherUrl, PNG_SCAN, 'фото.png');
    const png = await download(stack.config.http.apiUrl, `/documents/${back.id}/content`, alice);
    expect(Buffer.compare(Buffer.from(await png.arrayBuffer()), PNG_SCAN)).toBe(0);
  });

  it('stores the same bytes once, however many instances receive them', async () => {
    const scan = pdfScan(3400);
    const first = await upload(stack.config.http.apiUrl, scan, 'a.pdf');
    const second = await upload(otherUrl, scan, 'b.pdf');
    expect(second.id).not.toBe(first.id);
    expect(second.sha256).toBe(first.sha256);
    expect(await blobs(first.sha256)).toBe(1);
  });

  it("serves through either instance the result PDF the worker issued", async () => {
    const { number } = ok(await post(stack, alice, '/cases', { serviceCode: service.code, form: { purpose: 'для работы', copies: 1 }, documents: [] }), 201);
    await officially(stack, rita, number, 'claim');
    await officially(stack, rita, number, 'decide', { outcome: 'approve', comment: 'Основания есть' });
    const [issued] = await stack.database.sql`select sha256 from issued_documents where case_number = ${number}`;
    expect(await blobs(issued!.sha256 as string)).toBe(1);
    const pdf = Buffer.from(await (await download(otherUrl, `/cases/${number}/result`, alice)).arrayBuffer());
    expect(createHash('sha256').update(pdf).digest('hex')).toBe(issued!.sha256);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('the Postgres store on its own', () => {
  it('puts idempotently, fails to open what it does not hold, and takes only hashes as keys', async () => {
    const staging = await mkdtemp(path.join(tmpdir(), 'cases-pg-staging-'));
    try {
      const storage = await createPostgresStorage(stack.database.db, staging);
      const bytes = Buffer.from('%PDF-1.4 stored once');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      for (let i = 0; i < 2; i++) {
        const staged = storage.stagingPath();
        await writeFile(staged, bytes);
        await storage.put(staged, sha256);
      }
      expect(await readdir(staging)).toEqual([]);
      expect(await blobs(sha256)).toBe(1);
      expect(await storage.exists(sha256)).toBe(true);
      expect(Buffer.concat(await (await storage.open(sha256)).toArray())).toEqual(bytes);
      await expect(storage.open('cd'.repeat(32))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await storage.exists('cd'.repeat(32))).toBe(false);
      await expect(storage.put(storage.stagingPath(), '../../x')).rejects.toThrow(/sha256/);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
});
