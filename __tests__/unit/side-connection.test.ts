import { QueryTypes } from 'sequelize';
import { createDb } from '../../src';
import { withSideConnection } from '../../src/db/side-connection';

// The Sequelize internals that side-connection.ts relies on (publishing's `running` events use it on PostgreSQL).
describe('withSideConnection', () => {
  const db = createDb({ inMemory: true, logging: false });
  afterAll(() => db.sequelize.close());

  test('Sequelize’s connection manager still has _connect and _disconnect', () => {
    const manager = db.sequelize.connectionManager as unknown as Record<string, unknown>;
    expect(typeof manager._connect).toBe('function');
    expect(typeof manager._disconnect).toBe('function');
    expect(manager.config).toEqual(expect.objectContaining({ replication: false }));
  });

  test('runs a query on a connection of its own, outside the pool, and closes it', async () => {
    const pool = (db.sequelize.connectionManager as unknown as { pool: { size: number } }).pool;
    const before = pool.size;
    expect(typeof before).toBe('number');
    const rows = await withSideConnection(db.sequelize, (options) =>
      db.sequelize.query('SELECT 1 AS one', { ...options, type: QueryTypes.SELECT }),
    );
    expect(rows).toEqual([{ one: 1 }]);
    expect(pool.size).toBe(before);
  });
});
