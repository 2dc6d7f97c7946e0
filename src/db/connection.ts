import type { Sequelize, Transaction } from 'sequelize';

/**
 * The pg client under Sequelize, for what Sequelize's query path cannot send:
 * COPY streams and named prepared statements. The one module that reaches for
 * it (a transaction's `connection` is not in Sequelize's typings);
 * `__tests__/unit/dependency-shapes.test.ts` holds the shape.
 */

/** The part of node-postgres' client the package uses directly. */
export interface PgClient {
  query(config: unknown): unknown;
}

/** The client a Sequelize transaction runs on, or undefined when it has none (pg-mem's adapter has one too). */
export function connectionOf(transaction: Transaction | null | undefined): PgClient | undefined {
  const connection = (transaction as unknown as { connection?: unknown } | null | undefined)?.connection;
  return connection && typeof (connection as { query?: unknown }).query === 'function'
    ? (connection as PgClient)
    : undefined;
}

/**
 * Runs `work` on a connection of the pool for a read, as Sequelize routes
 * reads: a replica when there is one, unless `useMaster`. (Sequelize's pool
 * takes the query type `SELECT` for a read; its typings name it 'read'.)
 */
export async function withReadConnection<T>(
  sequelize: Sequelize,
  useMaster: boolean,
  work: (client: PgClient) => Promise<T>,
): Promise<T> {
  const manager = sequelize.connectionManager;
  const connection = await manager.getConnection({ type: 'SELECT', useMaster } as never);
  try {
    return await work(connection as unknown as PgClient);
  } finally {
    manager.releaseConnection(connection);
  }
}
