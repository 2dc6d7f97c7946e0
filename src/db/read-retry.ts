import { ConnectionAcquireTimeoutError, ConnectionError, type RetryOptions, Sequelize } from 'sequelize';

/**
 * SQLSTATEs after which the same read can run again: the server ended the
 * session (57P01 admin shutdown, 57P02 crash, 57P03 starting up), the
 * connection failed (class 08), or a replica cancelled the read to replay WAL
 * (40001 `canceling statement due to conflict with recovery`; outside a
 * transaction nothing else raises 40001).
 */
const RETRYABLE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '40001']);

/** node-postgres' and the socket's words for a connection that broke under a statement. */
const CONNECTION_LOST = /Connection terminated|not queryable|ECONNRESET|EPIPE|ECONNREFUSED/;

/**
 * Whether a read failed because of its connection (not because of the query):
 * no connection could be made, or it broke. Waiting for a free connection of
 * a full pool (`ConnectionAcquireTimeoutError`) and timeouts are not retried:
 * a retry would add load exactly where there is too much.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof ConnectionAcquireTimeoutError) return false;
  if (error instanceof ConnectionError) return true;
  const cause = (error as { parent?: { code?: unknown; message?: unknown } } | null)?.parent ?? error;
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && RETRYABLE_CODES.has(code)) || CONNECTION_LOST.test(String(message));
}

/** Sequelize's `retry` for reads: `retries` more attempts, on connection failures only. */
export function readRetryOptions(retries: number): RetryOptions {
  // An arrow function: retry-as-promised calls a match that is no class with the error.
  return { max: retries + 1, match: [(error: unknown) => isConnectionFailure(error)], backoffBase: 100, name: 'read' };
}

// A read is a statement that starts with SELECT; `WITH` may hide an INSERT (a data-modifying CTE).
const READ_STATEMENT = /^\s*\(*\s*SELECT\b/i;

/**
 * Whether a query is a read that may run twice: Sequelize's `SELECT` type
 * (what it would send to a replica), outside any transaction, and a `SELECT`
 * statement. Writes are never retried: one whose answer was lost may have
 * committed.
 */
export function isRetryableRead(sql: unknown, options: { type?: unknown; transaction?: unknown } | undefined): boolean {
  if (options?.type !== 'SELECT' || options.transaction) return false;
  // With CLS (Sequelize.useCLS), a query inside a managed transaction names none.
  const cls = (Sequelize as unknown as { _cls?: { get(key: string): unknown } })._cls;
  if (options.transaction === undefined && cls?.get('transaction')) return false;
  const text = typeof sql === 'string' ? sql : (sql as { query?: unknown } | null)?.query;
  return typeof text === 'string' && READ_STATEMENT.test(text);
}
