import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { AppServices } from './app';

/**
 * A Redis command that Redis does not answer in this time lets its request through: the
 * limit must never be what makes the API slow.
 */
const COMMAND_TIMEOUT_MS = 500;

/**
 * The shared counter of several API instances. While Redis is unreachable a command fails
 * at once (no queue of commands waiting for it), the client reconnects in the background
 * (at most 2 s apart), and the warning is logged once per outage, not once per request.
 */
async function connectCounter(redis: Config['redis'] & { url: string }, logger: Logger): Promise<Redis> {
  const client = new Redis(redis.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let away = false;
  // The error's code only: its message may name the host, the URL may carry a password.
  client.on('error', (err: NodeJS.ErrnoException) => {
    if (away) return;
    away = true;
    logger.warn({ code: err.code ?? err.name }, 'Redis is unreachable: rate limits are not counted until it is back');
  });
  client.on('ready', () => {
    if (!away) return;
    away = false;
    logger.info('Redis is reachable again: rate limits are counted');
  });
  // The first requests are counted when Redis is there; when it is not, the API starts all the same.
  await client.connect().catch(() => undefined);
  return client;
}

/**
 * Requests per minute per verified token subject, anonymous callers per address (routes
 * may set their own limits). With REDIS_URL every instance counts in Redis, so several
 * instances share one allowance; without it each process counts in its own memory.
 *
 * Redis unreachable: the limits let requests through (fail open) with the warning above,
 * rather than answering 503. Polls, filings and reviews must not stop because a counter is
 * away; what the limits protect most is guarded again where it matters: sign-in failures
 * per account and codes per address are counted in Postgres, which every request of those
 * needs anyway.
 */
export async function registerRateLimit(app: FastifyInstance, deps: AppServices): Promise<void> {
  const { url, keyPrefix } = deps.config.redis;
  const redis = url ? await connectCounter({ url, keyPrefix }, deps.logger) : undefined;
  if (redis) app.addHook('onClose', async () => redis.disconnect());
  await app.register(rateLimit, {
    max: deps.config.rateLimitPerMinute,
    timeWindow: '1 minute',
    // Per verified subject, else per address: a made-up Authorization header gets no allowance of its own.
    keyGenerator: async (req) => {
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const subject = token ? await deps.verifier.verify(token).then((p) => p.id, () => undefined) : undefined;
      return subject ? `subject:${subject}` : `address:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, message: `rate limit exceeded, retry in ${ctx.after}` }),
    ...(redis ? { redis, nameSpace: `${keyPrefix}rate-limit:`, skipOnError: true } : {}),
  });
}
