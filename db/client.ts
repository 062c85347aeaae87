import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Column, getTableColumns, type InferSelectModel, type SQL, type Table } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema';

/** The database handle (not a transaction): hot reads reach its postgres.js client (`rowReader`). */
export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

/** A transaction of the database: what statements that must commit together take. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/**
 * A refused connection fails at once; one that nobody answers (a host gone from the
 * network) would wait postgres.js's default 30 s. 5 s keeps a request waiting on the
 * database no longer than a person does, and is still ample for a connection on a busy server.
 */
const CONNECT_TIMEOUT_S = 5;
/**
 * Seconds before a connection that failed is tried again. postgres.js grows this to 20 s
 * (3ⁿ/100), shared by the pool: during an outage every query would wait that long before
 * it could fail, and after one the first queries that long before they could succeed.
 * Doubling from 50 ms to at most 1 s still spares a recovering server a stampede.
 */
const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 1);

export function connectDatabase(url: string, poolSize = 10): Database {
  const sql = postgres(url, {
    max: poolSize,
    connect_timeout: CONNECT_TIMEOUT_S,
    backoff: reconnectBackoff,
    onnotice: () => {},
    connection: { application_name: 'citizen-cases' },
  });
  return { db: drizzle(sql, { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * Drizzle builds a query's SQL anew on every call; the hottest reads are built once per
 * database handle and only executed afterwards.
 */
export function preparedPer<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const built = new WeakMap<Db, Q>();
  return (db) => {
    let q = built.get(db);
    if (!q) built.set(db, (q = build(db)));
    return q;
  };
}

const dialect = new PgDialect();

/**
 * A raw statement run as a prepared one (drizzle's builders have `.prepare(name)` for the
 * same). postgres.js sends a statement with parameters that it has not prepared on the
 * connection yet in two steps: it asks for the parameter types and waits for the answer
 * before it binds, and statements queued behind it wait too. Prepared, a statement's text
 * is parsed once per connection, and the statements of a transaction go out together. For
 * statements whose text takes few forms (a multi-row insert takes one per row count): each
 * form stays prepared on every connection for the connection's life.
 */
export function runPrepared<T>(on: Db | Tx, query: SQL): Promise<T[]> {
  // The name only switches preparing on: postgres.js names statements by their text.
  return on._.session.prepareQuery(dialect.sqlToQuery(query), undefined, 'raw', false).execute() as Promise<T[]>;
}

/**
 * A table's whole rows read by postgres.js itself, keyed and decoded as drizzle's `select()`
 * gives them: `columns` names each column by its field (under the query's `alias` for the
 * table), and `decode` passes each non-null value through its column's decoder (instants to
 * ISO text). For the hottest reads: drizzle's generic row mapping (type checks for every
 * field of every row) was one of a status poll's largest costs of its own.
 */
export function rowReader<T extends Table>(table: T, alias: string): { columns: string; decode(row: Record<string, unknown>): InferSelectModel<T> } {
  const fields = Object.entries(getTableColumns(table));
  // Columns whose decoder is drizzle's identity (text, booleans…) are left as postgres.js read them.
  const decoded = fields.filter(([, column]) => column.mapFromDriverValue !== Column.prototype.mapFromDriverValue);
  return {
    columns: fields.map(([key, column]) => `${alias}."${column.name}" as "${key}"`).join(', '),
    decode(row) {
      for (const [key, column] of decoded) {
        const value = row[key];
        if (value !== null && value !== undefined) row[key] = column.mapFromDriverValue(value);
      }
      return row as InferSelectModel<T>;
    },
  };
}

/** host:port/database of a Postgres URL: never its credentials. */
export function postgresLocation(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Applies committed migrations; safe to run from several processes at once. */
export async function migrateDatabase(url: string): Promise<void> {
  // One connection, so the session lock and the migration share it.
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(727274)`;
    await migrate(drizzle(sql, { schema }), { migrationsFolder });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function databaseReachable(database: Database): Promise<boolean> {
  try {
    await database.sql`select 1`;
    return true;
  } catch {
    return false;
  }
}
