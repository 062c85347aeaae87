import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../support/http';
import { alice, bob, fedor, rita } from '../support/personas';
import { jpegScan, pngScan } from '../support/fixtures';
import { startStack, testService, type Stack } from '../support/stack';

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2000, 0x20), Buffer.from('\n%%EOF\n')]);
const PNG = pngScan(100);
const JPEG = jpegScan(100);

let stack: Stack;
const service = testService({ requiredDocuments: ['passport'] });
beforeAll(async () => {
  stack = await startStack();
  await stack.addService(service);
});
afterAll(async () => stack?.close());

async function storedFiles(): Promise<string[]> {
  const dir = stack.config.documents.dir;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const documentRows = async () => (await stack.database.sql`select count(*)::int as n from documents`)[0]!.n as number;

describe('documents', () => {
  it('stores PDF, JPEG and PNG and gives the owner back the same bytes', async () => {
    for (const [bytes, type] of [
      [PDF, 'application/pdf'],
      [JPEG, 'image/jpeg'],
      [PNG, 'image/png'],
    ] as const) {
      const res = await stack.upload(alice, 'passport', bytes, 'паспорт.bin');
      expect(res.statusCode, res.body).toBe(201);
      const doc = res.json();
      expect(doc).toMatchObject({ contentType: type, size: bytes.length, fileName: 'паспорт.bin', type: 'passport' });
      const content = await get(stack, alice, `/documents/${doc.id}/content`);
      expect(content.statusCode).toBe(200);
      expect(content.headers['content-type']).toBe(type);
      expect(Buffer.compare(content.rawPayload, bytes)).toBe(0);
    }
  });

  it('refuses a text file named .pdf, an oversized file and an unknown type, leaving nothing behind', async () => {
    const rowsBefore = await documentRows();
    const filesBefore = await storedFiles();

    const text = await stack.upload(alice, 'passport', Buffer.from('just text, not a pdf'), 'fake.pdf');
    expect(text.statusCode).toBe(415);
    expect(text.headers['content-type']).toContain('application/problem+json');

    const big = await stack.upload(alice, 'passport', Buffer.concat([PDF, Buffer.alloc(5 * 1024 * 1024)]));
    expect(big.statusCode).toBe(413);
    expect(big.json().detail).toMatch(/at most 5242880 bytes/);

    const badType = await stack.upload(alice, 'diploma', PDF);
    expect(badType.statusCode).toBe(400);
    expect(badType.json().errors[0].path).toBe('/body/type');

    const empty = await stack.upload(alice, 'passport', Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);

    const noBoundary = await stack.call(alice, { method: 'POST', url: '/documents', payload: 'x', headers: { 'content-type': 'multipart/form-data' } });
    expect(noBoundary.statusCode).toBe(400);
    const cutOff = await stack.call(alice, {
      method: 'POST',
      url: '/documents',
      payload: '--b\r\nContent-Disposition: form-data; name="type"\r\n\r\npassport\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7 trunc',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    });
    expect(cutOff.statusCode).toBe(400);

    expect(await documentRows()).toBe(rowsBefore);
    expect(await storedFiles()).toEqual(filesBefore);
  });

  it('shows a document to its owner and to reviewers of a case that carries it, and to nobody else', async () => {
    const doc = (await stack.upload(alice, 'passport', PDF)).json();
    expect((await get(stack, bob, `/documents/${doc.id}`)).statusCode).toBe(404);
    expect((await get(stack, rita, `/documents/${doc.id}`)).statusCode).toBe(404);
    expect((await get(stack, undefined, `/documents/${doc.id}`)).statusCode).toBe(401);
    expect((await stack.upload(undefined, 'passport', PDF)).statusCode).toBe(401);

    // A stranger cannot file someone else's document either.
    const foreign = await post(stack, bob, '/cases', { serviceCode: service.code, form: { purpose: 'чужой', copies: 1 }, documents: [doc.id] });
    expect(foreign.statusCode).toBe(400);

    const filed = await post(stack, alice, '/cases', { serviceCode: service.code, form: { purpose: 'с паспортом', copies: 1 }, documents: [doc.id] });
    expect(filed.statusCode, filed.body).toBe(201);
    expect((await get(stack, rita, `/documents/${doc.id}/content`)).statusCode).toBe(200);
    expect((await get(stack, fedor, `/documents/${doc.id}`)).statusCode).toBe(404);
  });

  it('refuses an application without its required document type', async () => {
    const photo = (await stack.upload(alice, 'photo', PNG)).json();
    const res = await post(stack, alice, '/cases', { serviceCode: service.code, form: { purpose: 'без паспорта', copies: 1 }, documents: [photo.id] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/body/documents', message: 'a document of type "passport" is required' }]);
  });
});
