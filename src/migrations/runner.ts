import type { Sequelize } from 'sequelize';
import type { Umzug, UmzugStorage } from 'umzug';
import { MIGRATIONS, type Migration } from './list';

/** The table that records which migrations ran; the name and shape sequelize-cli uses, so both tools agree. */
export const MIGRATION_TABLE = 'SequelizeMeta';

export interface MigrationOptions {
  /** Called as each migration starts and ends, for progress output. */
  onProgress?: ((event: { name: string; direction: 'up' | 'down'; phase: 'start' | 'end' }) => void) | undefined;
  /** The migrations to use; the package's own by default. */
  migrations?: readonly Migration[] | undefined;
}

async function ensureTable(sequelize: Sequelize): Promise<void> {
  // Asked first rather than `CREATE TABLE IF NOT EXISTS`, which pg-mem refuses once the table exists.
  if (await sequelize.getQueryInterface().tableExists(MIGRATION_TABLE)) return;
  await sequelize.query(`CREATE TABLE "${MIGRATION_TABLE}" ("name" VARCHAR(255) NOT NULL PRIMARY KEY)`);
}

async function executedNames(sequelize: Sequelize): Promise<string[]> {
  await ensureTable(sequelize);
  const rows = (await sequelize.query(`SELECT "name" FROM "${MIGRATION_TABLE}" ORDER BY "name"`, {
    type: 'SELECT',
    // A replica may not have the table or the last migration's record yet.
    useMaster: true,
  })) as { name: string }[];
  return rows.map((row) => row.name);
}

/**
 * Migrations record themselves inside their own transaction (see `umzugFor`),
 * so that a migration and its record commit or roll back together; the
 * storage only reads.
 */
function storage(sequelize: Sequelize): UmzugStorage {
  return {
    executed: () => executedNames(sequelize),
    logMigration: async () => undefined,
    unlogMigration: async () => undefined,
  };
}

function umzugFor(sequelize: Sequelize, options: MigrationOptions): Umzug<Sequelize> {
  const queryInterface = sequelize.getQueryInterface();
  const run = (migration: Migration, direction: 'up' | 'down') => async () => {
    options.onProgress?.({ name: migration.name, direction, phase: 'start' });
    await sequelize.transaction(async (transaction) => {
      await migration[direction]({ context: { sequelize, queryInterface, transaction } });
      const record =
        direction === 'up'
          ? `INSERT INTO "${MIGRATION_TABLE}" ("name") VALUES (:name)`
          : `DELETE FROM "${MIGRATION_TABLE}" WHERE "name" = :name`;
      await sequelize.query(record, { replacements: { name: migration.name }, transaction });
    });
    options.onProgress?.({ name: migration.name, direction, phase: 'end' });
  };
  // Loaded on first use: importing the package should not cost umzug's start-up.
  const { Umzug: UmzugClass } = require('umzug') as typeof import('umzug');
  return new UmzugClass({
    migrations: (options.migrations ?? MIGRATIONS).map((migration) => ({
      name: migration.name,
      up: run(migration, 'up'),
      down: run(migration, 'down'),
    })),
    context: sequelize,
    storage: storage(sequelize),
    logger: undefined,
  });
}

/** Runs every pending migration, each in its own transaction; returns the names it ran. */
export async function migrate(sequelize: Sequelize, options: MigrationOptions = {}): Promise<string[]> {
  await ensureTable(sequelize);
  const ran = await umzugFor(sequelize, options).up();
  return ran.map((migration) => migration.name);
}

/**
 * Reverts the last migration, or with `to: 0` all of them, or down to (and
 * including) the named one; returns the names it reverted.
 */
export async function rollback(
  sequelize: Sequelize,
  options: MigrationOptions & { to?: 0 | string } = {},
): Promise<string[]> {
  await ensureTable(sequelize);
  const umzug = umzugFor(sequelize, options);
  const reverted = options.to === undefined ? await umzug.down() : await umzug.down({ to: options.to });
  return reverted.map((migration) => migration.name);
}

/** The names of the migrations not yet run on this database. */
export async function pendingMigrations(sequelize: Sequelize, options: MigrationOptions = {}): Promise<string[]> {
  const pending = await umzugFor(sequelize, options).pending();
  return pending.map((migration) => migration.name);
}

/** The names of the migrations this database has run. */
export async function executedMigrations(sequelize: Sequelize): Promise<string[]> {
  return executedNames(sequelize);
}
