/**
 * `npm run temporal:setup`: registers the case search attributes on TEMPORAL_NAMESPACE of
 * TEMPORAL_ADDRESS and exits. A release step next to `db:migrate`, for deployments that
 * run workers and API instances separately: they need no operator rights on the namespace,
 * and a case started before its attributes exist is refused by the server. `npm start`
 * registers them by itself.
 */
import { ConfigError, loadConfig } from '../config';
import { connectTemporal } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/search-attributes';

async function main(): Promise<void> {
  const config = loadConfig();
  const { address, namespace } = config.temporal;
  if (!address) throw new ConfigError('TEMPORAL_ADDRESS is not set: name the cluster to set up (npm start sets up its embedded one itself)');
  const connection = await connectTemporal(config, address);
  try {
    const added = await ensureSearchAttributes(connection, namespace);
    process.stdout.write(added.length ? `registered on ${namespace}: ${added.join(', ')}\n` : `${namespace} has every case search attribute\n`);
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
