import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { payAsProvider, type ProviderPayment } from '../../cases/dev-payment-provider';
import { invoiceByPaymentId } from '../../cases/payments';
import { PAYMENT_ID_PATTERN } from '../../core/payment-id';
import type { IssuedInvoice } from '../../db/queries/payments';
import { problems } from '../contract';
import { actionKey } from '../idempotency';

const params = {
  type: 'object',
  required: ['paymentId'],
  additionalProperties: false,
  properties: { paymentId: { type: 'string', pattern: PAYMENT_ID_PATTERN, description: "The invoice's payment identifier" } },
} as const;

const html = { schema: { type: 'string' } };

const paymentSchema = {
  type: 'object',
  required: ['paymentId', 'amount', 'transactionId', 'paidAt', 'callbackStatus'],
  properties: {
    paymentId: { type: 'string' },
    amount: { type: 'number' },
    transactionId: { type: 'string' },
    paidAt: { type: 'string', format: 'date-time' },
    callbackStatus: { type: 'integer', description: 'What the API answered the signed callback' },
  },
} as const;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const rub = (n: number) => `${n.toLocaleString('ru-RU')} ₽`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 2em auto">
<p><small>Учебный платёжный сервис для разработки: деньги не списываются.</small></p>
<h1>${escape(title)}</h1>
${body}
</body></html>`;
}

function invoicePage(i: IssuedInvoice): string {
  const facts = `<dl>
<dt>Сумма</dt><dd>${rub(i.amount)}</dd>
<dt>УИН</dt><dd>${escape(i.paymentId ?? '')}</dd>
<dt>Счёт</dt><dd>${escape(i.invoiceId)}</dd>
<dt>Оплатить до</dt><dd>${escape(i.dueAt.slice(0, 10))}</dd>
</dl>`;
  const action = i.open
    ? `<form method="post"><button type="submit">Оплатить ${rub(i.amount)}</button></form>`
    : '<p>Этот счёт не принимает оплату: он оплачен, заменён новым или заявление его больше не ждёт.</p>';
  return page('Оплата государственной пошлины', `${facts}\n${action}`);
}

function paidPage(p: ProviderPayment): string {
  return page(
    'Оплачено',
    `<dl>
<dt>Сумма</dt><dd>${rub(p.amount)}</dd>
<dt>УИН</dt><dd>${escape(p.paymentId)}</dd>
<dt>Транзакция</dt><dd>${escape(p.transactionId)}</dd>
<dt>Время</dt><dd>${escape(p.paidAt)}</dd>
</dl>
<p>Квитанция появится в заявлении, как только оно получит подтверждение оплаты.</p>`,
  );
}

/** A browser's form post wants a page; any other client the JSON. */
const wantsPage = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

const sendHtml = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);

/**
 * Development only (`DEV_PAYMENT_PROVIDER`, refused in production): the payment page an
 * invoice's link leads to, and its pay button, which calls the API back as the gateway does.
 */
export async function devPaymentRoutes(app: FastifyInstance): Promise<void> {
  const { config, database } = app.deps;
  // The pay button is a plain HTML form; it sends no fields.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get<{ Params: { paymentId: string } }>(
    '/dev/pay/:paymentId',
    {
      schema: {
        tags: ['payments'],
        summary: 'Development payment provider: the page of an invoice, with its amount and a pay button',
        params,
        response: { 200: { description: 'The payment page', content: { 'text/html': html } }, ...problems(404) },
      },
    },
    async (request, reply) => sendHtml(reply, invoicePage(await invoiceByPaymentId(database.db, request.params.paymentId))),
  );

  app.post<{ Params: { paymentId: string } }>(
    '/dev/pay/:paymentId',
    {
      schema: {
        tags: ['payments'],
        summary: 'Development payment provider: pay the invoice in full; the signed callback goes to POST /payments/callback over HTTP',
        params,
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        body: { type: 'object', additionalProperties: false, properties: {} },
        response: {
          200: { description: 'Paid; the case applies the payment a moment later', content: { 'application/json': { schema: paymentSchema }, 'text/html': html } },
          ...problems(404, 409),
        },
      },
    },
    async (request, reply) => {
      const paid = await payAsProvider(
        {
          db: database.db,
          callbackUrl: `${config.http.apiUrl}/payments/callback`,
          secret: config.auth.paymentWebhookSecret,
          idempotencyKey: actionKey(request),
        },
        request.params.paymentId,
      );
      return wantsPage(request) ? sendHtml(reply, paidPage(paid)) : paid;
    },
  );
}
