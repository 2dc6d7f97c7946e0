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
 * Sequelize's instance-wide `retry`, which would retry writes as well.
 */
export function applyQueryPolicy(sequelize: Sequelize, policy: QueryPolicy): void {
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
