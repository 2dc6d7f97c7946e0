import { can, type Db, logAccess, pruneAccessLogs, visibleProductionPages } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, openTestDatabase, type TestDatabase, withUnreachableReplica } from '../support/db';

/**
 * With `replication`, Sequelize sends reads to a replica. Here the replica is
 * a port nobody listens on: what reaches it fails, what must run on the
 * primary does not.
 */
let database: TestDatabase;
let replicated: Db;
beforeAll(async () => {
  database = await openTestDatabase(cheapHasher);
  replicated = withUnreachableReplica(database);
}, 60_000);
afterAll(async () => {
  await replicated.sequelize.close();
  await database.reset();
  await database.close();
});

test('pruneAccessLogs picks its batches on the primary', async () => {
  await logAccess(replicated, { environment: 'production', accessedAt: new Date('2020-01-01') });
  expect(await pruneAccessLogs(replicated, { olderThan: new Date('2021-01-01') })).toBe(1);
});

test('access decisions read from the replica unless told useMaster or given a transaction', async () => {
  const user = await build.user(database.db);
  await expect(can(replicated, user.id, 'READ', 'projects')).rejects.toThrow();
  expect(await can(replicated, user.id, 'READ', 'projects', { useMaster: true })).toBe(false);
  await replicated.sequelize.transaction(async (transaction) => {
    expect(await can(replicated, user.id, 'READ', 'projects', { transaction })).toBe(false);
  });
  const project = await build.project(database.db);
  await expect(visibleProductionPages(replicated, project.id, null)).rejects.toThrow();
  expect(await visibleProductionPages(replicated, project.id, null, { useMaster: true })).toEqual([]);
});
