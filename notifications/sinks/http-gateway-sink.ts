import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { signatureMatches } from '../../lib/hmac-signature';
import { keepReceived, type RunningSink } from './sink-files';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The SMS and push gateways for development and tests: `POST /sms` and `POST /push` take
 * the signed JSON the gateway senders post, check the signature like a real gateway
 * would, and keep each message as a JSON file under `dir`.
 */
export async function startHttpGatewaySink(opts: {
  dir: string;
  secrets: { sms: string; push: string };
  port?: number;
  host?: string;
}): Promise<RunningSink & { url: string }> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const channel = req.url === '/sms' ? 'sms' : req.url === '/push' ? 'push' : undefined;
    if (req.method !== 'POST' || !channel) return answer(404, { error: 'POST /sms or /push' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!signatureMatches(opts.secrets[channel], body, req.headers['x-signature'])) return answer(401, { error: 'signature does not verify' });
      let message: unknown;
      try {
        message = JSON.parse(body);
      } catch {
        return answer(400, { error: 'the body is not JSON' });
      }
      const id = randomUUID();
      const received = { id, idempotencyKey: req.headers['idempotency-key'], message };
      keepReceived(opts.dir, channel, 'json', JSON.stringify(received, null, 2)).then(
        () => answer(202, { id }),
        () => answer(500, { error: 'could not keep the message' }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
