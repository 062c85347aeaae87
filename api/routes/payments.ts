import type { FastifyInstance } from 'fastify';
import { receivePayment, type GatewayPayment } from '../../cases/payments';
import { PAYMENT_ID_PATTERN } from '../../core/payment-id';
import { problems } from '../contract';
import { keepRawJson, signatureHeader, verifySignature } from '../signed-webhook';

/** The payment gateway's callback: signed with a shared secret, delivered to the case as a signal. */
export async function paymentRoutes(app: FastifyInstance): Promise<void> {
  keepRawJson(app);

  app.post<{ Body: GatewayPayment }>(
    '/payments/callback',
    {
      preValidation: async (request) => verifySignature(app.deps.config.auth.paymentWebhookSecret, request, 'payment'),
      schema: {
        tags: ['payments'],
        summary: 'Payment confirmation from the gateway (HMAC-SHA256 of the body in X-Signature)',
        description:
          'Names the invoice by `paymentId` (its 20-digit payment identifier) or, for cases filed before those, by `invoiceId`. ' +
          'A payment that does not match the open invoice is recorded and a refund ordered; a transaction counts once.',
        headers: signatureHeader,
        body: {
          type: 'object',
          required: ['amount', 'transactionId', 'paidAt'],
          additionalProperties: false,
          properties: {
            paymentId: { type: 'string', pattern: PAYMENT_ID_PATTERN },
            invoiceId: { type: 'string', pattern: '^A-\\d{4}-\\d{7}-F\\d+$' },
            amount: { type: 'number', minimum: 0 },
            transactionId: { type: 'string', minLength: 1, maxLength: 100 },
            paidAt: { type: 'string', format: 'date-time' },
          },
          oneOf: [{ required: ['paymentId'] }, { required: ['invoiceId'] }],
        },
        response: { 202: { type: 'object', properties: { accepted: { type: 'boolean' } } }, ...problems(401, 404, 409) },
      },
    },
    async (request, reply) => {
      await receivePayment({ db: app.deps.database.db, temporal: app.deps.temporal }, request.body);
      return reply.status(202).send({ accepted: true });
    },
  );
}
