import type { QueryOptions, Sequelize, Transaction } from 'sequelize';

/**
 * A connection of its own, outside the pool, for one short piece of work that
 * must commit while the caller's transaction is still open (publishing
 * commits its `running` event this way while it holds its locks). Outside
 * the pool on purpose: taking a second pooled connection while holding one
 * could wait forever once every pooled connection is held by such a caller.
 *
 * This is the one place that uses Sequelize's connection manager internals
 * (`_connect`, `_disconnect`, and a `{ connection }` standing in for a
 * transaction, as Sequelize itself does to read the server version); a test
 * in __tests__/unit/side-connection.test.ts fails when their shape changes.
 */

interface ConnectionManagerInternals {
  config: { replication?: false | { write?: object } } & object;
  _connect(config: object): Promise<object>;
  _disconnect(connection: object): Promise<void>;
}

function internals(sequelize: Sequelize): ConnectionManagerInternals {
  const manager = (sequelize as unknown as { connectionManager: ConnectionManagerInternals }).connectionManager;
  if (typeof manager._connect !== 'function' || typeof manager._disconnect !== 'function') {
    throw new Error('This version of Sequelize has no ConnectionManager#_connect/_disconnect: see side-connection.ts');
  }
  return manager;
}

/**
 * Runs `work` on a new connection to the primary (the write side when
 * replication is configured), in autocommit, and closes the connection.
 * `work` passes the options it receives to `sequelize.query`.
 */
export async function withSideConnection<T>(
  sequelize: Sequelize,
  work: (options: Pick<QueryOptions, 'transaction'>) => Promise<T>,
): Promise<T> {
  const manager = internals(sequelize);
  const config = (manager.config.replication || undefined)?.write ?? manager.config;
  const connection = await manager._connect(config);
  try {
    return await work({ transaction: { connection } as unknown as Transaction });
  } finally {
    await manager._disconnect(connection).catch(() => undefined);
  }
}
