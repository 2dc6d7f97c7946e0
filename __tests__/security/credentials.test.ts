import { inspect } from 'node:util';
import pg from 'pg';
import type { SequelizeOptions } from 'sequelize-typescript';
import { createDb } from '../../src';
import { DB_PASSWORD, expectNoSecrets, failureOf } from './support';

/**
 * The database password is hidden from inspect and JSON of the Sequelize
 * instance (and so of anything holding it: a model, the options a logging
 * function gets), and still reaches the driver.
 */

const READ_PASSWORD = 'Replica-Pw-3141';

/** A `pg` whose clients record the password they were given; nothing listens on port 1. */
function recordingPg(passwords: unknown[]) {
  class Client extends pg.Client {
    constructor(config: pg.ClientConfig) {
      passwords.push(config.password);
      super(config);
    }
  }
  return { ...pg, Client };
}

test('hidden from inspect and JSON of the instance, its config and its models', () => {
  const db = createDb({ url: `postgres://app:${DB_PASSWORD}@127.0.0.1:1/db`, logging: false });
  expect(db.sequelize.config.password).toBe(DB_PASSWORD);
  const internals = db.sequelize as unknown as { options: unknown; connectionManager: { config: unknown } };
  for (const holder of [
    db.sequelize,
    db.users,
    internals.options,
    db.sequelize.config,
    internals.connectionManager.config,
  ]) {
    expect(inspect(holder, { depth: 6 })).not.toContain(DB_PASSWORD);
  }
  expectNoSecrets(db.sequelize.config, { 'database password': DB_PASSWORD });
  expectNoSecrets(internals.connectionManager.config, { 'database password': DB_PASSWORD });
});

test('still given to the driver, for the primary and for replicas', async () => {
  const passwords: unknown[] = [];
  const db = createDb({
    url: `postgres://app:${DB_PASSWORD}@127.0.0.1:1/db`,
    logging: false,
    sequelize: {
      dialectModule: recordingPg(passwords),
      replication: {
        read: [{ host: '127.0.0.1', port: 1, password: READ_PASSWORD }],
        write: { host: '127.0.0.1', port: 1 },
      },
      pool: { max: 1, acquire: 2000 },
      // Known, so that Sequelize does not ask the primary for it before the first read.
      databaseVersion: '15.0.0',
    } as Partial<SequelizeOptions>,
  });
  try {
    await failureOf(db.sequelize.query('SELECT 1', { useMaster: true }));
    await failureOf(db.sequelize.query('SELECT 1', { type: 'SELECT' }));
  } finally {
    await db.sequelize.close();
  }
  expect(passwords).toContain(DB_PASSWORD);
  expect(passwords).toContain(READ_PASSWORD);
  const internals = db.sequelize as unknown as { connectionManager: { config: unknown } };
  expect(inspect(internals.connectionManager.config, { depth: 6 })).not.toContain(READ_PASSWORD);
});
