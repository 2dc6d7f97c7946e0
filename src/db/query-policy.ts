import type { EventEmitter } from 'node:events';
import type { Sequelize } from 'sequelize';
import { isRetryableRead, readRetryOptions } from './read-retry';
import { typedTimeoutError } from './timeouts';

/** What `createDb` adds to every query of a server-backed instance. */
export interface QueryPolicy {
  /** Retries of a read whose connection failed (see `isRetryableRead`); 0 or unset: none. */
  readRetry?: number | undefined;
  /** node-postgres' `query_timeout`, for the message of a client-side timeout. */
  clientTimeoutMs?: number | undefined;
}

/**
 * Wraps `sequelize.query`: reads get Sequelize's `retry` (writes keep none),
 * and statement timeouts come out as `TimeoutError`. Per query rather than
 * Sequelize's instance-wide `retry`, which would retry writes as well. And a
 * connection is closed as soon as its server says it ends the session.
 */
export function applyQueryPolicy(sequelize: Sequelize, policy: QueryPolicy): void {
  sequelize.addHook('afterConnect', 'tbpCloseOnFatal', (connection) => closeOnFatal(connection));
  const retry = policy.readRetry ? readRetryOptions(policy.readRetry) : undefined;
  const query = sequelize.query.bind(sequelize);
  sequelize.query = (async (sql: unknown, options?: { type?: unknown; transaction?: unknown; retry?: object }) => {
    const withRetry =
      retry && isRetryableRead(sql, options) ? { ...options, retry: { ...retry, ...options?.retry } } : options;
    try {
      return await query(sql as string, withRetry as never);
    } catch (error) {
      throw typedTimeoutError(error, options, policy.clientTimeoutMs ?? 0);
    }
  }) as typeof sequelize.query;
}

/**
 * A server ends a session with a FATAL error (`pg_terminate_backend`, a
 * shutdown or restart, an idle-in-transaction timeout; PgBouncer when its
 * server connection broke), then closes the socket. When that error answers a
 * statement, node-postgres hands it to the statement and learns that the
 * socket closed a moment later: Sequelize puts the connection back in the pool
 * in between, and the next statement would get the dead connection and fail
 * too. Ending it on the FATAL message itself (node-postgres' `end()` marks it
 * ending at once, which Sequelize's pool checks) makes the next statement open
 * a new connection.
 */
function closeOnFatal(connection: unknown): void {
  const client = connection as { connection?: EventEmitter; end?: () => Promise<void> };
  client.connection?.on('errorMessage', (message: { severity?: unknown }) => {
    if (message.severity === 'FATAL' || message.severity === 'PANIC') client.end?.().catch(() => undefined);
  });
}
