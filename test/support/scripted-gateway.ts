import http from 'node:http';

export interface ScriptedGateway {
  url: string;
  /** Requests received, answered by script or forwarded. */
  requests: number;
  close(): Promise<void>;
}

/**
 * A gateway that misbehaves on cue: request number n (from 0) gets the status
 * `script(n)` names, or is forwarded to `forwardTo` (a real sink) when it names none.
 */
export async function startScriptedGateway(script: (n: number) => number | undefined, forwardTo?: string): Promise<ScriptedGateway> {
  const gateway = { url: '', requests: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = script(gateway.requests++);
      if (status !== undefined || !forwardTo) {
        res.writeHead(status ?? 503, { 'content-type': 'application/json' }).end('{"error":"scripted"}');
        return;
      }
      const headers = Object.fromEntries(['content-type', 'idempotency-key', 'x-signature'].map((h) => [h, String(req.headers[h] ?? '')]));
      fetch(`${forwardTo}${req.url}`, { method: 'POST', headers, body: Buffer.concat(chunks) })
        .then(async (answer) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  gateway.url = `http://127.0.0.1:${address.port}`;
  gateway.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return gateway;
}
