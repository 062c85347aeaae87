/**
 * Failures that say Postgres cannot be reached or is going away, not that the query is
 * wrong: the same query can succeed once the server is back. Node's socket errors,
 * postgres.js's own connection errors, SQLSTATE class 08 (connection exception) and
 * 57P01-57P03 (the server shutting down, crashed, or not yet accepting connections).
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const DRIVER_CODES = new Set(['CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED']);
const SERVER_GOING_AWAY = /^(08...|57P0[123])$/;

/** Whether `err` (or what it wraps: drizzle wraps the driver's error as its cause) is Postgres being away. */
export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || DRIVER_CODES.has(code) || SERVER_GOING_AWAY.test(code))) return true;
  }
  return false;
}
