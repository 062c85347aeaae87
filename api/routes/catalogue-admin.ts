import type { FastifyInstance } from 'fastify';
import { createService, retireService, updateService } from '../../admin/catalogue';
import { ACCOUNT_LEVELS } from '../../core/case-model';
import { CATALOGUE_ACTIONS, DOCUMENT_TYPES, SERVICE_CATEGORIES, type ServiceDefinition, type ServiceFields } from '../../core/catalogue';
import { notFound } from '../../core/failures';
import { getCurrentEntry, getServiceVersion, listCatalogueChanges, type CatalogueChangeRow } from '../../db/queries/catalogue';
import { principal } from '../auth';
import { problems } from '../contract';
import { anyObject, paging } from '../schemas';
import { service } from './catalogue';

const ADMIN = { roles: ['admin'] } as const;
const security = [{ bearer: [] }];
const tags = ['admin', 'catalogue'];

const SERVICE_CODE_PATTERN = '^[a-z0-9]+(-[a-z0-9]+)*$';
const days = { type: 'integer', minimum: 1, maximum: 365 } as const;
const amount = { type: 'number', minimum: 0, maximum: 10_000_000, description: 'RUB' } as const;

/** What an administrator sets of a service; the same checks on creation and on every change. */
const fields = {
  name: { type: 'string', minLength: 1, maxLength: 300 },
  category: { type: 'string', enum: SERVICE_CATEGORIES },
  agency: { type: 'string', pattern: '^[a-z0-9_]+$', maxLength: 100, description: 'The agency whose reviewers work its cases' },
  description: { type: 'string', maxLength: 5000 },
  requiredDocuments: { type: 'array', items: { type: 'string', enum: DOCUMENT_TYPES }, uniqueItems: true, maxItems: DOCUMENT_TYPES.length },
  formSchema: { ...anyObject, description: 'JSON Schema (draft-07) of the form, root type "object"; compiled when saved, refused with 422 if filing could not use it' },
  term: {
    type: 'object',
    required: ['days', 'unit'],
    additionalProperties: false,
    properties: { days, unit: { type: 'string', enum: ['calendar', 'working'] } },
    description: 'The processing deadline',
  },
  fee: {
    type: 'object',
    required: ['base'],
    additionalProperties: false,
    description: 'State duty; 0 means free',
    properties: {
      base: amount,
      byField: {
        type: 'object',
        required: ['field', 'amounts'],
        additionalProperties: false,
        description: "The duty by one form field's value; other values pay `base`",
        properties: {
          field: { type: 'string', minLength: 1, maxLength: 100 },
          amounts: { type: 'object', additionalProperties: amount, maxProperties: 50 },
        },
      },
    },
  },
  minLevel: { type: 'string', enum: ACCOUNT_LEVELS },
  partialEditAllowed: { type: 'boolean', description: 'false: the citizen must cancel and file anew instead of editing' },
  resultType: { type: 'string', enum: ['electronic_document', 'in_person_pickup'] },
  paymentTermDays: { ...days, description: 'Days to pay an invoice' },
  infoTermDays: { ...days, description: 'Days to answer a request for information' },
} as const;

const expectedVersion = { type: 'integer', minimum: 1, maximum: 2_147_483_647, description: 'The current version as you saw it; another change since then answers 409' } as const;

const entry = {
  type: 'object',
  properties: {
    ...service.properties,
    retired: { type: 'boolean', description: 'Takes no new applications; its cases carry on' },
  },
} as const;

const change = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    code: { type: 'string' },
    version: { type: 'integer', description: 'The version the change made' },
    action: { type: 'string', enum: CATALOGUE_ACTIONS },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'object', properties: { id: { type: 'string' }, role: { type: 'string' } } },
    changes: {
      type: 'object',
      description: 'Each changed field: its value before (null: a new service) and after',
      additionalProperties: { type: 'object', properties: { from: {}, to: {} } },
    },
  },
} as const;

const codeParams = {
  type: 'object',
  required: ['code'],
  additionalProperties: false,
  properties: { code: { type: 'string', maxLength: 100 } },
} as const;

const changeView = (row: CatalogueChangeRow) => ({
  id: row.id,
  code: row.code,
  version: row.version,
  action: row.action,
  at: row.at,
  actor: { id: row.actorId, role: row.actorRole },
  changes: row.changes,
});

/** Administrators' management of the service catalogue: versions, retirement and the journal of changes. */
export async function catalogueAdminRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;

  app.post<{ Body: Omit<ServiceDefinition, 'version'> }>(
    '/admin/catalogue',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'Add a service to the catalogue, as its version 1',
        body: {
          type: 'object',
          required: ['code', ...Object.keys(fields)],
          additionalProperties: false,
          properties: { code: { type: 'string', pattern: SERVICE_CODE_PATTERN, maxLength: 100 }, ...fields },
        },
        response: { 201: entry, ...problems(409, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await createService(db, principal(request), request.body)),
  );

  app.get<{ Params: { code: string } }>(
    '/admin/catalogue/:code',
    {
      config: ADMIN,
      schema: { tags, security, summary: "A service's current version, retired or not", params: codeParams, response: { 200: entry } },
    },
    async (request) => {
      const found = await getCurrentEntry(db, request.params.code);
      if (!found) throw notFound(`service ${request.params.code}`);
      return found;
    },
  );

  app.get<{ Params: { code: string; version: number } }>(
    '/admin/catalogue/:code/versions/:version',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'One version of a service: the terms the cases filed under it keep',
        params: { ...codeParams, required: ['code', 'version'], properties: { ...codeParams.properties, version: expectedVersion } },
        response: { 200: entry },
      },
    },
    async (request) => {
      const { code, version } = request.params;
      const found = await getServiceVersion(db, code, version);
      if (!found) throw notFound(`version ${version} of service ${code}`);
      return found;
    },
  );

  app.patch<{ Params: { code: string }; Body: Partial<ServiceFields> & { version: number } }>(
    '/admin/catalogue/:code',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'Change a service: the fields named make its next version, which new applications take; filed cases keep theirs',
        params: codeParams,
        body: { type: 'object', required: ['version'], minProperties: 2, additionalProperties: false, properties: { version: expectedVersion, ...fields } },
        response: { 200: entry, ...problems(409, 422) },
      },
    },
    async (request) => {
      const { version, ...changed } = request.body;
      return updateService(db, principal(request), request.params.code, version, changed);
    },
  );

  app.post<{ Params: { code: string }; Body: { version: number } }>(
    '/admin/catalogue/:code/retire',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'Retire a service: it takes no new applications (409) and disappears from the public catalogue; its cases carry on',
        params: codeParams,
        body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: expectedVersion } },
        response: { 200: entry, ...problems(409) },
      },
    },
    async (request) => retireService(db, principal(request), request.params.code, request.body.version),
  );

  app.get<{ Querystring: { code?: string; limit: number; offset: number } }>(
    '/admin/catalogue-changes',
    {
      config: ADMIN,
      schema: {
        tags,
        security,
        summary: 'The journal of catalogue changes, newest first: who changed which service when, field by field',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { code: { type: 'string', maxLength: 100, description: 'One service only' }, ...paging },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: change }, total: { type: 'integer' } } } },
      },
    },
    async (request) => {
      const page = await listCatalogueChanges(db, request.query);
      return { items: page.items.map(changeView), total: page.total };
    },
  );
}
