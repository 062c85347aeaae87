import type { FastifyInstance } from 'fastify';
import { fileAppeal, type AppealRequest } from '../../cases/appeal-filing';
import { APPEAL_GROUNDS } from '../../core/appeal';
import { withdrawUpdate } from '../../workflows/machinery/case-status';
import { problems } from '../contract';
import { actOnCase, filingContext, sendFiled } from '../requests';
import { actionResult, documentIds, numberParams, versionProperty } from '../schemas';

const CITIZEN = { roles: ['citizen'] } as const;
const security = [{ bearer: [] }];
const tags = ['appeals'];

interface NumberParams {
  number: string;
}

/** Citizens appeal their cases' decisions and follow the appeal like any case. */
export async function appealRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: NumberParams; Body: AppealRequest }>(
    '/cases/:number/appeals',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'Appeal a decision of this case (or a breach of its deadline) within 30 days',
        description:
          'Grounds: rejection, wrong_fee, wrong_service, deadline_breach. One open appeal per case; after a dismissal a ' +
          'repeated appeal needs at least one new document. The new appeal is a case of its own (J-…).',
        params: numberParams,
        body: {
          type: 'object',
          required: ['ground', 'reasons'],
          additionalProperties: false,
          properties: {
            ground: { type: 'string', enum: APPEAL_GROUNDS },
            reasons: { type: 'string', minLength: 10, maxLength: 8000, description: 'Why the decision is wrong' },
            references: {
              type: 'array',
              maxItems: 20,
              default: [],
              items: { type: 'string', minLength: 1, maxLength: 300 },
              description: 'Rules the decision breaks, e.g. "210-ФЗ ст. 11.1"',
            },
            documents: { ...documentIds, default: [] },
          },
        },
        response: { 201: actionResult, 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      const ctx = { ...filingContext(request), examinationTerm: app.deps.config.appeals.examinationTerm };
      return sendFiled(reply, await fileAppeal(ctx, request.params.number, request.body));
    },
  );

  app.post<{ Params: NumberParams; Body: { version?: number } | undefined }>(
    '/cases/:number/withdraw',
    {
      config: CITIZEN,
      schema: {
        tags,
        security,
        summary: 'Withdraw an appeal or a passport change before it is decided',
        params: numberParams,
        body: { type: 'object', additionalProperties: false, properties: { version: versionProperty } },
        response: { 200: actionResult, ...problems(404, 409) },
      },
    },
    async (request) => {
      return actOnCase(request, ['appeal', 'epts_change'], withdrawUpdate, [], request.body?.version);
    },
  );
}
