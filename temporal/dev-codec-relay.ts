/**
 * `npm start`'s stand-in for a signed-in administrator. The development Web UI has no
 * sign-in, so it has no token to send to the codec endpoint; this loopback relay takes the
 * UI's codec requests and forwards them to the API's `/codec/decode` and `/codec/encode`
 * with an admin token it mints with the development secret. The API's endpoint keeps its
 * one rule (an admin's bearer token); the relay is never started in production.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A few MB of payloads, as the API's codec endpoint takes. */
const BODY_LIMIT = 5 * 1024 * 1024;

export interface CodecRelay {
  /** What the UI is given as its codec endpoint (`--ui-codec-endpoint`). */
  readonly url: string;
  /** Where the API listens; until it is set the relay answers 503. */
  target?: string;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Listens on a free loopback port. Only pages of `uiOrigins` may use it (CORS, and a
 * POST from any other origin is refused), so another site open in the same browser cannot.
 */
export async function startCodecRelay(opts: { uiOrigins: string[]; adminToken: () => Promise<string> }): Promise<CodecRelay> {
  const relay: { target?: string } = {};
  const server = http.createServer((req, res) => {
    void (async () => {
      const origin = req.headers.origin;
      const allowed = origin !== undefined && opts.uiOrigins.includes(origin);
      res.setHeader('vary', 'origin');
      if (allowed) res.setHeader('access-control-allow-origin', origin);
      if (req.method === 'OPTIONS') {
        if (allowed) {
          res.setHeader('access-control-allow-methods', 'POST');
          res.setHeader('access-control-allow-headers', 'content-type, x-namespace');
          res.setHeader('access-control-max-age', '600');
        }
        return res.writeHead(204).end();
      }
      // The protocol names the operation by the last part of the path.
      const operation = /\/(decode|encode)$/.exec(req.url?.split('?', 1)[0] ?? '')?.[1];
      if (req.method !== 'POST' || !operation) return res.writeHead(404).end();
      if (!allowed) return res.writeHead(403).end();
      if (!relay.target) return res.writeHead(503, { 'retry-after': '1' }).end();
      const body = await readBody(req);
      if (!body) return res.writeHead(413).end();
      const answer = await fetch(`${relay.target}/codec/${operation}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await opts.adminToken()}`,
          'content-type': 'application/json',
          ...(typeof req.headers['x-namespace'] === 'string' ? { 'x-namespace': req.headers['x-namespace'] } : {}),
        },
        body,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(relay, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
