import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caseWorkflowId } from '../../core/case-model';
import { getCase } from '../../db/queries/cases';
import { paymentSignal, type PaymentInput } from '../../workflows/application';
import { notFound, Problem } from '../problem';
import { problemResponses } from '../schemas';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

export function signPayload(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function verifySignature(secret: string, request: FastifyRequest): void {
  const given = request.headers['x-signature'];
  const expected = signPayload(secret, request.rawBody ?? '');
  const ok =
    typeof given === 'string' && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  if (!ok) throw new Problem(401, 'Unauthorized', 'the payment notification signature does not verify');
}

/** The payment gateway's callback: signed with a shared secret, delivered to the case as a signal. */
export async function paymentRoutes(app: FastifyInstance): Promise<void> {
  // The signature covers the exact bytes sent, so keep them.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }));
    }
  });

  app.post<{ Body: PaymentInput }>(
    '/payments/callback',
    {
      preValidation: async (request) => verifySignature(app.deps.config.auth.paymentWebhookSecret, request),
      schema: {
        tags: ['payments'],
        summary: 'Payment confirmation from the gateway (HMAC-SHA256 of the body in X-Signature)',
        headers: { type: 'object', required: ['x-signature'], properties: { 'x-signature': { type: 'string' } } },
        body: {
          type: 'object',
          required: ['invoiceId', 'amount', 'transactionId', 'paidAt'],
          additionalProperties: false,
          properties: {
            invoiceId: { type: 'string', pattern: '^[AIJE]-\\d{4}-\\d{7}-F\\d+$' },
            amount: { type: 'number', minimum: 0 },
            transactionId: { type: 'string', minLength: 1, maxLength: 100 },
            paidAt: { type: 'string', format: 'date-time' },
          },
        },
        response: { 202: { type: 'object', properties: { accepted: { type: 'boolean' } } }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const number = request.body.invoiceId.replace(/-F\d+$/, '');
      if (!(await getCase(app.deps.database.db, number))) throw notFound(`invoice ${request.body.invoiceId}`);
      await app.deps.temporal.workflow.getHandle(caseWorkflowId(number)).signal(paymentSignal, request.body);
      return reply.status(202).send({ accepted: true });
    },
  );
}
