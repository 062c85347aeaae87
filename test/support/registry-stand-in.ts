import http from 'node:http';
import { canonicalRegistryRequest, signRegistryRequest } from '../../identity/http-registry';

/** What the stand-in received: enough to check the signature as the real gateway would. */
export interface ReceivedQuery {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { requestId: string; snils: string; passport: { series: string; number: string }; birthDate: string; citizenship: string };
}

/** How the stand-in answers one query: a status and a body (an object is sent as JSON), after a delay. */
export interface StandInReply {
  status?: number;
  body?: object | string;
  delayMs?: number;
}

export interface RegistryStandIn {
  url: string;
  received: ReceivedQuery[];
  close(): Promise<void>;
}

/**
 * The state registries' gateway, played by a real HTTP server: `answer` decides each reply
 * from the query and how many came before it.
 */
export async function startRegistryStandIn(answer: (q: ReceivedQuery, n: number) => StandInReply, path = '/v1/identity-checks'): Promise<RegistryStandIn> {
  const received: ReceivedQuery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const query: ReceivedQuery = { path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) as ReceivedQuery['json'] };
      const reply = answer(query, received.length);
      received.push(query);
      const send = () => {
        if (res.destroyed) return;
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' }).end(text);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        // A reply still delayed would hold the server open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Whether the query's X-Signature is the gateway key's HMAC of its canonical form. */
export function signatureVerifies(key: string, q: ReceivedQuery): boolean {
  const canonical = canonicalRegistryRequest({
    method: 'POST',
    path: q.path,
    timestamp: String(q.headers['x-timestamp']),
    requestId: String(q.headers['x-request-id']),
    body: q.body,
  });
  return q.headers['x-signature'] === signRegistryRequest(key, canonical);
}

/** The verdicts the gateway may give, for the query it answers. */
export const verdict = (q: ReceivedQuery, v: 'match' | 'mismatch' | 'not_found', reason?: string): StandInReply => ({
  body: { requestId: q.json.requestId, verdict: v, ...(reason ? { reason } : {}) },
});
