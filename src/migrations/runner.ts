import type { Sequelize, Transaction } from 'sequelize';
import type { Umzug, UmzugStorage } from 'umzug';
import { MigrationFailedError, RollbackRefusedError, UnknownMigrationsError } from './errors';
import { MIGRATIONS, type Migration } from './list';
import { lockMigrations } from './lock';
import type { MigrationContext } from './types';

/** The table that records which migrations ran; the name and shape sequelize-cli uses, so both tools agree. */
export const MIGRATION_TABLE = 'SequelizeMeta';

export interface MigrationProgress {
  name: string;
  direction: 'up' | 'down';
  phase: 'start' | 'end';
  /** On `end`: another process had already done it by the time this one held the lock. */
  skipped?: boolean | undefined;
}

export interface MigrationOptions {
  /** Called as each migration starts and ends, for progress output. */
  onProgress?: ((event: MigrationProgress) => void) | undefined;
  /**
   * The migrations, in the order they run: the package's own (`MIGRATIONS`) by
   * default. An app that has migrations of its own passes
   * `[...MIGRATIONS, ...its own]`, the package's first.
   */
  migrations?: readonly Migration[] | undefined;
}

export interface RollbackOptions extends MigrationOptions {
  /** `0`: every applied migration; a name: down to and including that one. Default: the last applied one. */
  to?: 0 | string | undefined;
}

/** One migration of the list, or one the database records that the list does not have. */
export interface MigrationState {
  name: string;
  state: 'up' | 'pending' | 'unknown';
}

function listOf(options: MigrationOptions): readonly Migration[] {
  const list = options.migrations ?? MIGRATIONS;
  const seen = new Set<string>();
  for (const migration of list) {
    if (typeof migration?.name !== 'string' || typeof migration.up !== 'function') {
      throw new TypeError(`Not a migration: ${JSON.stringify(migration)} (expected { name, up, down })`);
    }
    if (seen.has(migration.name)) throw new Error(`Two migrations are named ${migration.name}`);
    seen.add(migration.name);
  }
  return list;
}

function tableExists(sequelize: Sequelize, transaction?: Transaction): Promise<boolean> {
  return sequelize.getQueryInterface().tableExists(MIGRATION_TABLE, transaction ? { transaction } : {});
}

/** Creates the migration table if it is missing, under the lock, so that two processes never both create it. */
async function ensureTable(sequelize: Sequelize): Promise<void> {
  if (await tableExists(sequelize)) return;
  const create = `CREATE TABLE IF NOT EXISTS "${MIGRATION_TABLE}" ("name" VARCHAR(255) NOT NULL PRIMARY KEY)`;
  if ((sequelize as { memory?: unknown }).memory) {
    // pg-mem refuses `IF NOT EXISTS` once the table exists; it was just asked, and nobody else shares the memory.
    await sequelize.query(create.replace(' IF NOT EXISTS', ''));
    return;
  }
  // Without the lock, two processes creating it at once collide on its row type in pg_type.
  await sequelize.transaction(async (transaction) => {
    await lockMigrations(sequelize, transaction);
    await sequelize.query(create, { transaction });
  });
}

/** The names the database records, in name order; none (and nothing created) when it has no migration table. */
async function recordedNames(sequelize: Sequelize, transaction?: Transaction): Promise<string[]> {
  if (!(await tableExists(sequelize, transaction))) return [];
  const rows = (await sequelize.query(`SELECT "name" FROM "${MIGRATION_TABLE}" ORDER BY "name"`, {
    type: 'SELECT',
    ...(transaction ? { transaction } : {}),
    // A replica may not have the table or the last migration's record yet.
    useMaster: true,
  })) as { name: string }[];
  return rows.map((row) => row.name);
}

/** Takes the lock in `transaction` and reads, once it holds it, what has run. */
async function recordedUnderLock(sequelize: Sequelize, transaction: Transaction): Promise<Set<string>> {
  await lockMigrations(sequelize, transaction);
  return new Set(await recordedNames(sequelize, transaction));
}

/**
 * Migrations record themselves inside their own transaction (see `runnerFor`),
 * so that a migration and its record commit or roll back together; the
 * storage only reads.
 */
function storage(sequelize: Sequelize): UmzugStorage {
  return {
    executed: () => recordedNames(sequelize),
    logMigration: async () => undefined,
    unlogMigration: async () => undefined,
  };
}

/**
 * Each migration runs in its own transaction that first takes the migration
 * lock and then reads again what has run: a migration another process ran (or
 * reverted) meanwhile is skipped. A lock per migration rather than one for the
 * whole run, because a transaction-scoped lock lasts one transaction.
 */
function runnerFor(
  sequelize: Sequelize,
  list: readonly Migration[],
  options: MigrationOptions,
  done: string[],
): { umzug: Umzug<Sequelize>; revert(migration: Migration): Promise<void> } {
  const queryInterface = sequelize.getQueryInterface();
  const known = new Set(list.map((migration) => migration.name));
  const contextOf = (transaction: Transaction): { context: MigrationContext } => ({
    context: { sequelize, queryInterface, transaction },
  });

  const up = async (migration: Migration): Promise<boolean> => {
    if (migration.beforeUp) {
      const before = migration.beforeUp.bind(migration);
      const already = await sequelize.transaction(async (transaction) => {
        if ((await recordedUnderLock(sequelize, transaction)).has(migration.name)) return true;
        await before(contextOf(transaction));
        return false;
      });
      if (already) return false;
    }
    return sequelize.transaction(async (transaction) => {
      if ((await recordedUnderLock(sequelize, transaction)).has(migration.name)) return false;
      await migration.up(contextOf(transaction));
      await sequelize.query(`INSERT INTO "${MIGRATION_TABLE}" ("name") VALUES (:name)`, {
        replacements: { name: migration.name },
        transaction,
      });
      return true;
    });
  };

  /** Whether `migration` may still be reverted, read under the lock; throws when reverting it is unsafe. */
  const revertible = (migration: Migration, recorded: Set<string>): boolean => {
    if (!recorded.has(migration.name)) return false;
    const unknown = [...recorded].filter((name) => !known.has(name));
    if (unknown.length > 0) throw new UnknownMigrationsError(migration.name, unknown);
    const later = list.slice(list.indexOf(migration) + 1).filter((other) => recorded.has(other.name));
    if (later.length > 0) {
      throw new RollbackRefusedError(
        migration.name,
        `Refusing to revert ${migration.name}: ${later.map(({ name }) => name).join(', ')} ` +
          'ran after it (another process migrated meanwhile?); revert those first',
      );
    }
    return true;
  };

  const down = async (migration: Migration): Promise<boolean> => {
    if (migration.beforeDown) {
      const before = migration.beforeDown.bind(migration);
      const gone = await sequelize.transaction(async (transaction) => {
        if (!revertible(migration, await recordedUnderLock(sequelize, transaction))) return true;
        await before(contextOf(transaction));
        return false;
      });
      if (gone) return false;
    }
    return sequelize.transaction(async (transaction) => {
      if (!revertible(migration, await recordedUnderLock(sequelize, transaction))) return false;
      await migration.down(contextOf(transaction));
      await sequelize.query(`DELETE FROM "${MIGRATION_TABLE}" WHERE "name" = :name`, {
        replacements: { name: migration.name },
        transaction,
      });
      return true;
    });
  };

  const step = (migration: Migration, direction: 'up' | 'down') => async () => {
    options.onProgress?.({ name: migration.name, direction, phase: 'start' });
    let ran: boolean;
    try {
      ran = await (direction === 'up' ? up : down)(migration);
    } catch (error) {
      if (error instanceof RollbackRefusedError || error instanceof MigrationFailedError) throw error;
      throw new MigrationFailedError(migration.name, direction, error);
    }
    if (ran) done.push(migration.name);
    options.onProgress?.({ name: migration.name, direction, phase: 'end', ...(ran ? {} : { skipped: true }) });
  };

  // Loaded on first use: importing the package should not cost umzug's start-up.
  const { Umzug: UmzugClass } = require('umzug') as typeof import('umzug');
  const umzug = new UmzugClass({
    migrations: list.map((migration) => ({
      name: migration.name,
      up: step(migration, 'up'),
      down: step(migration, 'down'),
    })),
    context: sequelize,
    storage: storage(sequelize),
    logger: undefined,
  });
  // A rollback follows its own plan: umzug's `down` would stop at a migration another process reverted meanwhile.
  return { umzug, revert: (migration) => step(migration, 'down')() };
}

/** Umzug wraps what a migration throws in its own error ("Original error: ..."); ours already says it all. */
async function unwrapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw (error as Error).name === 'MigrationError' && cause instanceof Error ? cause : error;
  }
}

/**
 * Runs every pending migration, each in its own transaction under the
 * migration lock; returns the names of those this call ran (not those another
 * process ran meanwhile). Safe to call from every instance of an app at once.
 */
export async function migrate(sequelize: Sequelize, options: MigrationOptions = {}): Promise<string[]> {
  const list = listOf(options);
  await ensureTable(sequelize);
  const done: string[] = [];
  await unwrapped(() => runnerFor(sequelize, list, options, done).umzug.up());
  return done;
}

/**
 * The names `rollback` would revert with these options, last applied first,
 * as the database stands now (without the lock: for a confirmation prompt);
 * throws `UnknownMigrationsError` as `rollback` would.
 */
export async function rollbackPlan(sequelize: Sequelize, options: RollbackOptions = {}): Promise<string[]> {
  const recorded = await recordedNames(sequelize);
  const list = listOf(options);
  const known = new Set(list.map(({ name }) => name));
  const applied = list
    .filter((migration) => recorded.includes(migration.name))
    .map(({ name }) => name)
    .reverse();
  let plan: string[];
  if (options.to === 0) plan = applied;
  else if (options.to === undefined) plan = applied.slice(0, 1);
  else {
    const index = applied.indexOf(options.to);
    if (index < 0) {
      throw new Error(
        `Cannot roll back to ${options.to}: it is not an applied migration of the list (applied: ${applied.join(', ') || 'none'})`,
      );
    }
    plan = applied.slice(0, index + 1);
  }
  const unknown = recorded.filter((name) => !known.has(name));
  if (plan[0] !== undefined && unknown.length > 0) throw new UnknownMigrationsError(plan[0], unknown);
  return plan;
}

/**
 * Reverts the last migration, or with `to: 0` all of them, or down to (and
 * including) the named one; returns the names it reverted. Refused
 * (`UnknownMigrationsError`) while the database has applied migrations that
 * the list does not have.
 */
export async function rollback(sequelize: Sequelize, options: RollbackOptions = {}): Promise<string[]> {
  const list = listOf(options);
  const plan = await rollbackPlan(sequelize, options);
  if (plan.length === 0) return [];
  const done: string[] = [];
  const { revert } = runnerFor(sequelize, list, options, done);
  for (const name of plan) await revert(list.find((migration) => migration.name === name) as Migration);
  return done;
}

/** The names of the migrations of the list not yet run on this database. Creates nothing. */
export async function pendingMigrations(sequelize: Sequelize, options: MigrationOptions = {}): Promise<string[]> {
  const recorded = new Set(await recordedNames(sequelize));
  return listOf(options)
    .filter((migration) => !recorded.has(migration.name))
    .map(({ name }) => name);
}

/** The names of the migrations this database has run, in name order. Creates nothing. */
export async function executedMigrations(sequelize: Sequelize): Promise<string[]> {
  return recordedNames(sequelize);
}

/**
 * Every migration of the list, `up` or `pending`, in the list's order, then
 * those the database has run that the list does not have (`unknown`). Creates nothing.
 */
export async function migrationStatus(sequelize: Sequelize, options: MigrationOptions = {}): Promise<MigrationState[]> {
  const recorded = await recordedNames(sequelize);
  const list = listOf(options);
  const known = new Set(list.map(({ name }) => name));
  return [
    ...list.map(({ name }): MigrationState => ({ name, state: recorded.includes(name) ? 'up' : 'pending' })),
    ...recorded.filter((name) => !known.has(name)).map((name): MigrationState => ({ name, state: 'unknown' })),
  ];
}

/**
 * Records `names` as applied without running them (see `baseline`), under the
 * lock, and only while the database records none of `list`: otherwise
 * `refuse` names what it found.
 */
export async function recordBaseline(
  sequelize: Sequelize,
  names: readonly string[],
  list: readonly Migration[],
  refuse: (recorded: string[]) => Error,
): Promise<void> {
  await ensureTable(sequelize);
  await sequelize.transaction(async (transaction) => {
    const recorded = await recordedUnderLock(sequelize, transaction);
    const ours = list.map(({ name }) => name).filter((name) => recorded.has(name));
    if (ours.length > 0) throw refuse(ours);
    for (const name of names) {
      await sequelize.query(`INSERT INTO "${MIGRATION_TABLE}" ("name") VALUES (:name)`, {
        replacements: { name },
        transaction,
      });
    }
  });
}
