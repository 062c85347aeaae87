import type { FastifyInstance } from 'fastify';
import { SERVICE_CATEGORIES } from '../../core/catalogue';
import { notFound } from '../../core/failures';
import { getService, searchServices } from '../../db/queries/catalogue';
import { problems } from '../contract';
import { paging } from '../schemas';

/** A service's version as the catalogue shows it. */
export const service = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    name: { type: 'string' },
    category: { type: 'string' },
    agency: { type: 'string' },
    description: { type: 'string' },
    requiredDocuments: { type: 'array', items: { type: 'string' } },
    formSchema: { type: 'object', additionalProperties: true },
    term: { type: 'object', properties: { days: { type: 'integer' }, unit: { type: 'string' } } },
    fee: { type: 'object', additionalProperties: true },
    minLevel: { type: 'string' },
    partialEditAllowed: { type: 'boolean' },
    resultType: { type: 'string' },
    paymentTermDays: { type: 'integer' },
    infoTermDays: { type: 'integer' },
    version: { type: 'integer', description: 'The catalogue version: each change of the service makes the next; a case keeps the one it was filed under' },
  },
} as const;

/** The public service catalogue with prefix search for autocomplete: the current versions of services not retired. */
export async function catalogueRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const tags = ['catalogue'];

  app.get<{ Querystring: { q?: string; category?: string; agency?: string; limit: number; offset: number } }>(
    '/catalogue',
    {
      schema: {
        tags,
        summary: 'Search services by word prefixes; filter by category and agency',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            q: { type: 'string', maxLength: 200 },
            category: { type: 'string', enum: SERVICE_CATEGORIES },
            agency: { type: 'string', maxLength: 100 },
            ...paging,
          },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: service }, total: { type: 'integer' } } },
        },
      },
    },
    async (request) => searchServices(db, request.query),
  );

  app.get<{ Params: { code: string } }>(
    '/catalogue/:code',
    {
      schema: {
        tags,
        summary: 'One service with its form schema and required documents',
        params: { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 100 } } },
        response: { 200: service, ...problems(404) },
      },
    },
    async (request) => {
      const found = await getService(db, request.params.code);
      if (!found) throw notFound(`service ${request.params.code}`);
      return found;
    },
  );
}
