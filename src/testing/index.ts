import type { SequelizeOptions } from 'sequelize-typescript';
import { type CreateDbOptions, createDb, type Db } from '../db/create-db';
import { createMemoryDatabase, memoryDialectModule, resetTransactions } from '../memory/pg-mem';
import { migrate } from '../migrations/runner';

export { build, type Factories, type Overrides, unique } from './factories';

/** An in-memory database with the current schema, for a consumer's unit tests. */
export type TestDb = Db & {
  /** Empties every table again (a pg-mem restore: microseconds, no re-sync), forgetting a transaction left open. */
  reset(): void;
  /** Closes the instance. */
  close(): Promise<void>;
};

/**
 * A pg-mem database migrated to the current schema, with every model:
 *
 *     const db = await createTestDb();
 *     afterEach(() => db.reset());
 *     afterAll(() => db.close());
 *
 * Pass `hasher` to trade bcrypt's cost for speed in tests that create many users.
 */
export async function createTestDb(options: Pick<CreateDbOptions, 'hasher' | 'logging'> = {}): Promise<TestDb> {
  const db = createDb({ inMemory: true, logging: options.logging ?? false, hasher: options.hasher });
  await migrate(db.sequelize);
  const memory = db.sequelize.memory;
  if (!memory) throw new Error('createTestDb: the database is not in memory');
  const empty = memory.backup();
  return Object.assign(db, {
    reset: () => {
      resetTransactions(memory);
      empty.restore();
    },
    close: () => db.sequelize.close(),
  });
}

/**
 * Sequelize options for a fresh pg-mem database, for frameworks that build
 * their own instance (`SequelizeModule.forRoot({ ...inMemorySequelizeOptions(), models })`);
 * create the schema with `migrate(sequelize)` once the instance exists.
 */
export function inMemorySequelizeOptions(): Pick<
  SequelizeOptions,
  'dialect' | 'dialectModule' | 'database' | 'logging' | 'minifyAliases'
> {
  return {
    dialect: 'postgres',
    // As `sequelizeOptions` does, for the same reason: PostgreSQL (and pg-mem here) cut column names at 63 bytes.
    minifyAliases: true,
    dialectModule: memoryDialectModule(createMemoryDatabase()),
    database: 'memory',
    logging: false,
  };
}
