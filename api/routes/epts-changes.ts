import type { FastifyInstance } from 'fastify';
import { filePassportChange, saleConfirmation, signingForm, type EptsChangeFilingRequest } from '../../cases/epts-change-filing';
import { ANNULMENT_REASONS, CHANGE_KINDS, ENGINE_TYPES, type PassportChange } from '../../core/vehicle';
import { confirmSaleUpdate } from '../../workflows/epts-change';
import { principal } from '../auth';
import { problems } from '../contract';
import { actOnCase, filingContext, sendFiled } from '../requests';
import { actionResult, documentIds, numberParams, vinParams } from '../schemas';

const CITIZEN = { roles: ['citizen'] } as const;
const security = [{ bearer: [] }];
const tags = ['vehicles'];

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
const PAYLOADS = {
  plate: { type: 'object', required: ['plate'], additionalProperties: false, properties: { plate: text(20) } },
  technical: {
    type: 'object',
    required: ['technical'],
    additionalProperties: false,
    properties: {
      technical: {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: {
          bodyType: text(100),
          color: text(100),
          engineType: { type: 'string', enum: ENGINE_TYPES },
          engineVolumeCc: { type: 'integer', minimum: 50, maximum: 30000 },
          enginePowerKw: { type: 'number', minimum: 1, maximum: 3000 },
          maxMassKg: { type: 'integer', minimum: 100, maximum: 100000 },
          ecoClass: text(20),
        },
      },
    },
  },
  sale: {
    type: 'object',
    required: ['buyerId', 'contractDate'],
    additionalProperties: false,
    properties: { buyerId: text(200), contractDate: { type: 'string', format: 'date' } },
  },
  annulment: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', enum: ANNULMENT_REASONS } } },
} as const;

/** The change itself: what is signed. */
const changeProperties = {
  kind: { type: 'string', enum: CHANGE_KINDS },
  payload: { type: 'object' },
  basedOnVersion: { type: 'integer', minimum: 1, description: 'The passport version the change is based on (the current one)' },
  documents: { ...documentIds, default: [] },
} as const;
const payloadByKind = CHANGE_KINDS.map((kind) => ({ if: { properties: { kind: { const: kind } } }, then: { properties: { payload: PAYLOADS[kind] } } }));
const signatureProperties = {
  signature: { type: 'string', minLength: 16, maxLength: 20000, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'base64 of a detached signature over the signing form: CMS / CAdES-BES (DER or PEM, as `openssl cms -sign -binary` or a signing tool makes it; GOST R 34.10-2012 included) or raw (ECDSA, RSA, Ed25519)' },
  certificateId: { type: 'string', format: 'uuid', description: 'Your registered certificate; default: your newest valid one' },
} as const;

interface ChangeBody {
  kind: PassportChange['kind'];
  payload: PassportChange['payload'];
  basedOnVersion: number;
  documents: string[];
}

/** Owners change their vehicles' passports with signed requests; buyers confirm sales. */
export async function eptsChangeRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const { config, signatureVerifier: verifier } = app.deps;

  app.post<{ Params: { vin: string }; Body: ChangeBody }>(
    '/vehicles/:vin/signing-form',
    {
      // Computes the bytes to sign; stores and changes nothing.
      config: { ...CITIZEN, idempotency: false },
      schema: {
        tags,
        security,
        summary: 'The exact bytes to sign (detached) for a change request',
        description:
          'Canonical JSON (sorted keys, no whitespace) of the request with the SHA-256 of its documents; sign the UTF-8 bytes. For the current owner only: anyone else gets the 404 of an unknown VIN.',
        params: vinParams,
        body: { type: 'object', required: ['kind', 'payload', 'basedOnVersion'], additionalProperties: false, properties: changeProperties, allOf: payloadByKind },
        response: {
          200: { type: 'object', properties: { canonical: { type: 'string' }, base64: { type: 'string' } } },
          ...problems(404, 409),
        },
      },
    },
    async (request) => {
      const { kind, payload, basedOnVersion, documents } = request.body;
      const bytes = await signingForm(db, principal(request), request.params.vin, { kind, payload } as PassportChange, basedOnVersion, documents);
      return { canonical: Buffer.from(bytes).toString('utf8'), base64: Buffer.from(bytes).toString('base64') };
    },
  );

  app.post<{ Params: { vin: string }; Body: ChangeBody & { signature: string; certificateId?: string } }>(
    '/vehicles/:vin/changes',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'Request a signed change of the passport: plate, technical characteristics, sale or annulment',
        description:
          'Only the current owner (anyone else gets the 404 of an unknown VIN), one open change per vehicle. A signature that does not verify, a revoked or expired ' +
          'certificate, or a request changed after signing is refused (422) and nothing is stored. A sale waits for the ' +
          "buyer's signed confirmation (POST /cases/{number}/confirm-sale).",
        params: vinParams,
        body: {
          type: 'object',
          required: ['kind', 'payload', 'basedOnVersion', 'signature'],
          additionalProperties: false,
          properties: { ...changeProperties, ...signatureProperties },
          allOf: payloadByKind,
        },
        response: { 201: actionResult, 200: actionResult, ...problems(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { kind, payload, ...rest } = request.body;
      const ctx = { ...filingContext(request), verifier, terms: config.epts };
      return sendFiled(reply, await filePassportChange(ctx, request.params.vin, { kind, payload, ...rest } as EptsChangeFilingRequest));
    },
  );

  app.post<{ Params: { number: string }; Body: { signature: string; certificateId?: string } }>(
    '/cases/:number/confirm-sale',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: "The buyer confirms a sale by signing the seller's request (its signing form)",
        params: numberParams,
        body: { type: 'object', required: ['signature'], additionalProperties: false, properties: signatureProperties },
        response: { 200: actionResult, ...problems(404, 409, 422) },
      },
    },
    async (request) => {
      return actOnCase(request, 'epts_change', confirmSaleUpdate, async (row) => [
        await saleConfirmation({ db, verifier }, row, request.body, principal(request).id),
      ]);
    },
  );
}
