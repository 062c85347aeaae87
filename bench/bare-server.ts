/**
 * The raw baseline of the status poll: a bare Fastify (no logger, no hooks, no auth) with
 * postgres.js running the same SELECT of the case row as the product's `getCase`, on
 * the same database with the same pool size. Started by bench/run.ts as its own process.
 *
 *   BARE_DATABASE_URL=postgres://… BARE_PORT=0 node --import tsx bench/bare-server.ts
 */
import Fastify from 'fastify';
import postgres from 'postgres';

const url = process.env.BARE_DATABASE_URL;
if (!url) throw new Error('BARE_DATABASE_URL is required');
const sql = postgres(url, { max: Number(process.env.BARE_POOL_SIZE ?? 10), onnotice: () => {} });
const app = Fastify({ logger: false });

app.get<{ Params: { number: string } }>('/cases/:number', async (request, reply) => {
  const [row] = await sql`select * from cases where number = ${request.params.number}`;
  if (!row) return reply.status(404).send({ title: 'not found' });
  return row;
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.BARE_PORT ?? 0) });
process.send?.({ type: 'listening', address });

const stop = async () => {
  await app.close();
  await sql.end({ timeout: 2 });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
