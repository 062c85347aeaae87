import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { ServiceDefinition } from '../../core/catalogue';

/** The test services' form: a purpose and a number of copies, plus what a test adds. */
export function testFormSchema(more: Record<string, unknown> = { urgency: { type: 'string', enum: ['normal', 'urgent'] } }) {
  return {
    type: 'object',
    required: ['purpose', 'copies'],
    additionalProperties: false,
    properties: { purpose: { type: 'string', minLength: 3 }, copies: { type: 'integer', minimum: 1, maximum: 5 }, ...more },
  };
}

/**
 * A small service for tests; override what a test is about. No side effects on import,
 * so workflow tests can use it without the HTTP stack.
 */
export function testService(overrides: Partial<ServiceDefinition> = {}): ServiceDefinition {
  return {
    code: `svc-${randomBytes(3).toString('hex')}`,
    name: 'Справка о тестовом факте',
    category: 'other',
    agency: 'mvd',
    description: 'Выдача справки для проверки системы',
    requiredDocuments: [],
    formSchema: testFormSchema(),
    term: { days: 15, unit: 'calendar' },
    fee: { base: 0 },
    minLevel: 'simplified',
    partialEditAllowed: true,
    resultType: 'electronic_document',
    paymentTermDays: 20,
    infoTermDays: 10,
    ...overrides,
  };
}

/** The demo vehicles of db/seed/vehicles.json: alice owns the first two, bob the others (POLO annulled). */
export const LADA = 'XTA210990Y2766389';
export const SOLARIS = 'Z94CT41DBFR123456';
export const HONDA = '1HGCM82633A004352';
export const POLO = 'XW8ZZZ61ZEG000123';

/** A small PDF (by its magic bytes); a different `padding` gives different bytes, so a document of its own. */
export const pdfScan = (padding = 1500): Buffer => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(padding, 0x20), Buffer.from('\n%%EOF\n')]);

/** One PNG chunk: length, type, data and CRC. */
function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A 1×1 PNG; `padding` bytes of a text chunk make one of its own. */
export function pngScan(padding = 500): Buffer {
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(padding, 0x41)])),
    pngChunk('IDAT', deflateSync(Buffer.from([0, 0x20, 0x40, 0x60, 0xff]))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG's frame (start and end of image, a JFIF header, `padding` bytes of comment): what the server checks of one. */
export function jpegScan(padding = 700): Buffer {
  const comment = Buffer.alloc(2);
  comment.writeUInt16BE(padding + 2);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
    Buffer.from([0xff, 0xfe]),
    comment,
    Buffer.alloc(padding, 0x43),
    Buffer.from([0xff, 0xd9]),
  ]);
}

export const JPEG_SCAN = jpegScan();
export const PNG_SCAN = pngScan();
