/**
 * `npm run db:migrate`: applies the committed migrations to DATABASE_URL and exits. For
 * deployments that run workers and API instances separately (they do not migrate);
 * `npm start` migrates by itself.
 */
import { ConfigError, loadConfig } from '../config';
import { migrateDatabase, postgresLocation } from '../db/client';

async function main(): Promise<void> {
  const { db } = loadConfig();
  if (!db.url) throw new ConfigError('DATABASE_URL is not set: name the database to migrate (npm start migrates its embedded one itself)');
  try {
    await migrateDatabase(db.url);
  } catch (err) {
    throw new ConfigError(`migrating Postgres at ${postgresLocation(db.url)} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.stdout.write(`migrated Postgres at ${postgresLocation(db.url)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
