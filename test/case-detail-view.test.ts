import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../api/app';
import { caseDetail } from '../api/case-view';
import { caseDetail as caseDetailSchema } from '../api/schemas';
import { loadConfig } from '../config';
import type { CaseKind } from '../core/case-model';
import type { CaseDetailByKind, KindedDetail } from '../core/case-projection';
import type { Principal } from '../core/principal';
import type { CaseRow } from '../db/queries/cases';

/**
 * GET /cases/{number} is serialised with its response schema, and fast-json-stringify
 * drops every field the schema does not list: each kind's detail, with every field set,
 * must come out whole.
 */

const at = '2026-03-02T09:00:00.000Z';
const doc = { id: '6f1c1d2e-0000-4000-8000-000000000001', type: 'passport', fileName: 'scan.pdf', sha256: 'a'.repeat(64) };
const interval = { kind: 'pause' as const, from: at, to: at, reason: 'information requested', actor: 'rita' };
const change = { at, expectedDue: '2026-03-20', reason: 'paused' };

const details: { [K in CaseKind]: Array<CaseDetailByKind[K]> } = {
  application: [
    {
      serviceName: 'Справка',
      form: { purpose: 'employment', copies: 1 },
      documents: [doc],
      fee: {
        amount: 200,
        paid: 200,
        invoice: { id: 'A-2026-0000001-F2', amount: 200, issuedAt: at, dueAt: at, paymentId: '00000000000000100021' },
        receipts: [{ invoiceId: 'A-2026-0000001-F1', paymentId: '00000000000000100013', amount: 300, transactionId: 'tx-1', paidAt: at, receivedAt: at }],
        refunds: [{ amount: 100, reason: 'fee_corrected', appeal: 'J-2026-0000002', transactionId: null, orderedAt: at, status: 'ordered' }],
      },
      deadline: {
        legalDue: '2026-03-16',
        expectedDue: '2026-03-20',
        paused: false,
        unit: 'working',
        termDays: 10,
        intervals: [interval],
        history: [change],
        breachedAt: at,
        appealUntil: '2026-04-01',
      },
      infoRequest: { message: 'a clearer scan, please', dueAt: at },
      decision: { outcome: 'rejected', reasonCode: 'incomplete_documents', comment: 'no scan', decidedBy: 'rita', decidedAt: at, appealUntil: '2026-04-01' },
      result: { verificationCode: 'K7QM2D', resultType: 'certificate', title: 'Справка', issuedAt: at },
      cancellation: { at, restoreUntil: '2026-04-01' },
      partialEditAllowed: true,
      appeals: {
        underAppeal: 'J-2026-0000002',
        open: { number: 'J-2026-0000002', ground: 'rejection', filedAt: at, documents: [doc.id] },
        history: [{ number: 'J-2026-0000001', ground: 'rejection', filedAt: at, documents: [], outcome: 'dismissed', remedy: null, decidedAt: at, decidedBy: 'erik' }],
        lastDays: { rejection: '2026-04-01' },
      },
      previousDecisions: [{ outcome: 'approved', reasonCode: null, comment: 'ok', decidedBy: 'rita', decidedAt: at, result: null, overturnedBy: 'J-2026-0000003' }],
    },
  ],
  appeal: [
    {
      serviceName: 'Справка',
      contested: {
        number: 'A-2026-0000001',
        serviceCode: 'certificate-of-no-record',
        serviceName: 'Справка',
        agency: 'mvd',
        ground: 'rejection',
        summary: 'rejected: incomplete documents',
        at,
        appealUntil: '2026-04-01',
        officials: [{ id: 'rita', reason: 'decided' }],
        repeatOf: null,
      },
      ground: 'rejection',
      reasons: 'the scan was attached',
      references: ['210-ФЗ ст. 11.1'],
      documents: [doc],
      repeatOf: 'J-2026-0000001',
      infoRequest: { message: 'the original, please', dueAt: at },
      deadline: { legalDue: '2026-04-01', expectedDue: '2026-04-03', paused: true, intervals: [interval], history: [change], breachedAt: null },
      decision: {
        outcome: 'dismissed',
        remedy: null,
        correctedFee: null,
        reasons: 'the decision stands',
        decidedBy: 'erik',
        decidedAt: at,
        repeatAppealUntil: '2026-05-01',
        repeatAppealDays: 30,
        furtherRemedy: 'court',
      },
    },
  ],
  epts_change: [
    {
      serviceName: 'Смена номера',
      vin: 'XTA21099043456789',
      changeKind: 'sale',
      payload: { buyerId: 'bob', contractDate: '2026-03-01' },
      basedOnVersion: 1,
      documents: [doc],
      signedWith: '01AB',
      buyer: { id: 'bob', dueAt: at, confirmedAt: at },
      infoRequest: { message: 'the contract, please', dueAt: at },
      deadline: { legalDue: '2026-03-16', expectedDue: '2026-03-20', paused: false, breachedAt: null },
      decision: { outcome: 'approved', reasonCode: null, comment: 'ok', decidedBy: 'rita', decidedAt: at },
      result: { version: 2, extractCode: '7KQ4-MZ2D-XH9P', issuedAt: at, verify: '/extracts/7KQ4-MZ2D-XH9P/verify' },
    },
  ],
  identity: [
    { purpose: 'registration', levelRequested: 'simplified', channel: 'sms', codeExpiresAt: at, attemptsLeft: 2, openUntil: at },
    {
      purpose: 'level_upgrade',
      levelRequested: 'standard',
      method: 'registry_check',
      citizenship: 'RU',
      checkLimitAt: at,
      complaintRightSince: at,
      reason: 'the registries did not answer',
    },
    { purpose: 'level_upgrade', levelRequested: 'confirmed', method: 'letter', place: 'Москва', expiresAt: at, reason: null, attemptsLeft: 3 },
    { purpose: 'level_upgrade', levelRequested: 'confirmed', method: 'signature', place: 'КЭП', expiresAt: at, reason: null, challenge: 'c'.repeat(32) },
    { purpose: 'contact_change', channel: 'email', codeExpiresAt: at, attemptsLeft: 3 },
  ],
};

function rowOf(kinded: KindedDetail): CaseRow {
  return {
    number: 'A-2026-0000001',
    version: 3,
    status: 'in_review',
    serviceCode: kinded.kind === 'identity' ? null : 'certificate-of-no-record',
    agency: 'mvd',
    applicantId: 'alice',
    assigneeId: 'rita',
    submittedAt: at,
    updatedAt: at,
    legalDueDate: '2026-03-16',
    expectedDueDate: '2026-03-20',
    dueAt: at,
    overdue: false,
    closedAt: null,
    relatedNumber: null,
    escalatedAt: null,
    decision: null,
    decidedAt: null,
    processingSeconds: null,
    ...kinded,
  };
}

const examples = Object.entries(details).flatMap(([kind, list]) => list.map((detail) => ({ kind, detail }) as KindedDetail));
const label = (c: KindedDetail) => (c.kind === 'identity' ? `identity, ${c.detail.purpose}${'levelRequested' in c.detail ? ` to ${c.detail.levelRequested}` : ''}${'method' in c.detail ? ` by ${c.detail.method}` : ''}` : c.kind);

describe('GET /cases/{number} serialisation', () => {
  const config = loadConfig({ NODE_ENV: 'test' });
  const who: Principal = { id: 'alice', role: 'citizen', level: 'standard' };
  let app: FastifyInstance;
  let shown: CaseRow | undefined;

  beforeAll(async () => {
    app = Fastify();
    app.get('/case', { schema: { response: { 200: caseDetailSchema } } }, async () => caseDetail(shown!, { who, config }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(examples.map((c) => [label(c), c] as const))(
    'shows every field of a detail: %s',
    async (_label, kinded) => {
      shown = rowOf(kinded);
      const res = await app.inject({ method: 'GET', url: '/case' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      const { serviceName, ...own } = { serviceName: null, ...kinded.detail };
      expect(body).toMatchObject({ ...own, kind: kinded.kind, number: 'A-2026-0000001', service: { name: serviceName } });
      expect(body).not.toHaveProperty('serviceName');
    },
  );
});

describe('GET /cases/{number} in the OpenAPI document', () => {
  it('answers one branch per kind, discriminated on kind, each listing its fields', async () => {
    // The document needs no connections: the routes only register.
    const stub = {} as never;
    const deps = { config: loadConfig({ NODE_ENV: 'test' }), database: { db: stub }, temporal: stub, storage: stub, logger: pino({ level: 'silent' }) };
    const app = await buildApp(deps as unknown as AppDeps);
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>> };
    await app.close();
    const schema = doc.paths['/cases/{number}']!.get!.responses['200']!.content['application/json']!.schema as {
      oneOf: Array<{ properties: Record<string, { enum?: string[] }> }>;
      discriminator: { propertyName: string };
    };
    expect(schema.discriminator.propertyName).toBe('kind');
    expect(schema.oneOf.map((b) => b.properties.kind!.enum)).toEqual([['application'], ['appeal'], ['epts_change'], ['identity']]);
    for (const example of examples) {
      const branch = schema.oneOf.find((b) => b.properties.kind!.enum![0] === example.kind)!;
      const fields = Object.keys(example.detail).filter((f) => f !== 'serviceName');
      expect(Object.keys(branch.properties), label(example)).toEqual(expect.arrayContaining(fields));
    }
  });
});
