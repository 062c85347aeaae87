import { randomBytes } from 'node:crypto';
import type { ServiceDefinition } from '../../core/catalogue';

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
    formSchema: {
      type: 'object',
      required: ['purpose', 'copies'],
      additionalProperties: false,
      properties: {
        purpose: { type: 'string', minLength: 3 },
        copies: { type: 'integer', minimum: 1, maximum: 5 },
        urgency: { type: 'string', enum: ['normal', 'urgent'] },
      },
    },
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
