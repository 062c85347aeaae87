import { createHash, createHmac, randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { RegistryAnswerError, type IdentityRegistry, type RegistryAnswer, type RegistryQuery } from './registry';

export interface HttpRegistryOptions {
  /** The registries' gateway endpoint the query is POSTed to. */
  url: string;
  /** The key the gateway shares with this system (HMAC-SHA256). */
  signingKey: string;
  /** How long one attempt waits for an answer; a slower one is abandoned and retried. */
  timeoutMs: number;
}

/**
 * What the signature covers, one item a line: the scheme, the method, the path with its
 * query, the timestamp, the request id and the SHA-256 of the exact body. The timestamp and
 * the request id let the gateway refuse a stale or replayed query.
 */
export function canonicalRegistryRequest(req: { method: string; path: string; timestamp: string; requestId: string; body: string }): string {
  return ['v1', req.method, req.path, req.timestamp, req.requestId, createHash('sha256').update(req.body).digest('hex')].join('\n');
}

export function signRegistryRequest(key: string, canonical: string): string {
  return `v1=${createHmac('sha256', key).update(canonical).digest('hex')}`;
}

const answerSchema = z.discriminatedUnion('verdict', [
  z.object({ requestId: z.string(), verdict: z.literal('match'), reason: z.string().optional() }),
  z.object({ requestId: z.string(), verdict: z.enum(['mismatch', 'not_found']), reason: z.string().trim().min(1).max(500) }),
]);

/**
 * Only a query the gateway calls malformed (400, 422) is refused for good. Any other status
 * may change on its own or by an operator's hand (an overloaded or moved gateway, a key or
 * clock out of step: 401), and a citizen's check is not refused for the system's own fault.
 */
const refusedStatus = (status: number) => status === 400 || status === 422;

/**
 * The state registries' gateway over HTTP: the query as JSON, signed (`canonicalRegistryRequest`),
 * one attempt per call. Retries are the activity's: a timeout, a network error or a status
 * other than 200 (but 400 and 422) throws a plain error, which Temporal retries with backoff for as long as the
 * registries are away. Anything else that is not a well-formed verdict for this very request
 * is a `RegistryAnswerError`. Errors name no personal data: they enter logs and histories.
 */
export function createHttpRegistry(opts: HttpRegistryOptions): IdentityRegistry {
  const url = new URL(opts.url);
  return {
    async verify(query: RegistryQuery): Promise<RegistryAnswer> {
      const requestId = randomUUID();
      const timestamp = new Date().toISOString();
      const body = JSON.stringify({
        requestId,
        snils: query.snils.replace(/\D/g, ''),
        passport: { series: query.passportSeries.replace(/\D/g, ''), number: query.passportNumber.replace(/\D/g, '') },
        birthDate: query.birthDate,
        citizenship: query.citizenship,
      });
      const canonical = canonicalRegistryRequest({ method: 'POST', path: url.pathname + url.search, timestamp, requestId, body });
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'x-request-id': requestId,
            'x-timestamp': timestamp,
            'x-signature': signRegistryRequest(opts.signingKey, canonical),
          },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        throw new Error(
          e.name === 'TimeoutError' ? `the registries did not answer within ${opts.timeoutMs} ms` : `the registries cannot be reached: ${e.cause?.code ?? e.message}`,
        );
      }
      const status = `${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim();
      if (refusedStatus(res.status)) throw new RegistryAnswerError(`the registries refused the query: ${status}`);
      if (res.status !== 200) throw new Error(`the registries answered ${status}`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new RegistryAnswerError("the registries' answer is not JSON");
      }
      const parsed = answerSchema.safeParse(json);
      if (!parsed.success) throw new RegistryAnswerError("the registries' answer is not a verdict (match, mismatch or not_found, with a reason unless match)");
      const answer = parsed.data;
      if (answer.requestId !== requestId) throw new RegistryAnswerError("the registries' answer is for another request");
      if (answer.verdict === 'match') return { matched: true };
      return { matched: false, reason: answer.verdict === 'not_found' ? `not found in the state registries: ${answer.reason}` : `the state registries hold other data: ${answer.reason}` };
    },
  };
}
