import { randomBytes } from 'node:crypto';
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
export const JPEG_SCAN = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(700, 7)]);
export const PNG_SCAN = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(500, 9)]);
