import 'reflect-metadata';
import type { IMemoryDb } from 'pg-mem';
import SequelizeLib, { type Model, type SyncOptions } from 'sequelize';
import { Sequelize, type SequelizeOptions } from 'sequelize-typescript';
import { type PasswordHasher, useHasher } from '../auth/password';
import { InMemoryUnsupportedError } from '../memory/errors';
import { createMemoryDatabase, memoryDialectModule } from '../memory/pg-mem';
import { type ModelsByTable, models, modelsByTable, type TableName } from '../models';
import { type DbEnvironment, dbConfig, sequelizeOptions } from './config';
import { type ForeignKeyColumn, foreignKeyConstraints, normaliseQueryError } from './errors';
import { syncSchema } from './sync';

export interface CreateDbOptions {
  /** pg-mem instead of a server (the default when `NODE_ENV=test` and no `DATABASE_URL`). */
  inMemory?: boolean;
  /** A `postgres://` URL; defaults to the environment's configuration. */
  url?: string;
  /** Which configuration of `db-config` to use; defaults to `NODE_ENV`. */
  environment?: DbEnvironment;
  /** `false`, `true` (console) or a function; defaults to the environment's. */
  logging?: boolean | ((sql: string) => void);
  /** Replaces the bcryptjs hasher for the users of this database. */
  hasher?: PasswordHasher;
  /** Further Sequelize options (pool, timezone, ...). */
  sequelize?: Partial<SequelizeOptions>;
}

/**
 * A Sequelize instance whose `sync()` builds the schema in dependency order
 * (see `syncSchema`), and, on pg-mem, the in-memory database behind it.
 */
export class TbpSequelize extends Sequelize {
  /** The pg-mem database, when this instance is in memory. */
  declare readonly memory?: IMemoryDb;
  private schemaBackup?: ReturnType<IMemoryDb['backup']>;

  private foreignKeys?: Map<string, ForeignKeyColumn>;

  constructor(options: SequelizeOptions, memory?: IMemoryDb) {
    super(options);
    if (memory) Object.defineProperty(this, 'memory', { value: memory });
    // Every model query passes here: constraint errors get the field names that the backend left out.
    const query = this.query.bind(this);
    const foreignKeys = () => {
      this.foreignKeys ??= foreignKeyConstraints(this.modelManager.models);
      return this.foreignKeys;
    };
    this.query = (async (sql: unknown, queryOptions?: { instance?: Model }) => {
      try {
        return await query(sql as string, queryOptions as never);
      } catch (error) {
        // Sequelize wraps whatever the driver throws in a DatabaseError: a refusal of the in-memory mode is shown as itself.
        const parent = (error as { parent?: unknown }).parent;
        if (parent instanceof InMemoryUnsupportedError) throw parent;
        throw normaliseQueryError(error, queryOptions, foreignKeys);
      }
    }) as unknown as typeof this.query;
  }

  /**
   * Creates the schema. On pg-mem, which cannot drop and re-create a table
   * (it keeps the dropped constraints' names), the empty schema is backed up
   * after the first sync and a forced sync restores that backup instead.
   */
  override async sync(options: SyncOptions = {}): Promise<this> {
    if (!this.memory || options.alter) {
      await syncSchema(this, options);
    } else if (this.schemaBackup) {
      if (options.force) this.schemaBackup.restore();
    } else {
      await syncSchema(this, { ...options, force: false });
      this.schemaBackup = this.memory.backup();
    }
    return this;
  }
}

/** The registry: every model under its table name, the instance and the library. */
export type Db = { [K in TableName]: ModelsByTable[K] } & {
  sequelize: TbpSequelize;
  Sequelize: typeof SequelizeLib;
};

/**
 * Builds a Sequelize instance with every model and returns the registry.
 * Opens no connection. Each call has its own model classes, so two databases
 * in one process never see each other's rows or rebind each other's models.
 */
export function createDb(options: CreateDbOptions = {}): Db {
  const config = dbConfig(options.environment);
  const url = options.url ?? config.url;
  const inMemory = options.inMemory ?? (config.inMemory && !options.url);
  const base = sequelizeOptions({ ...config, url });
  if (options.logging !== undefined) {
    base.logging = options.logging === true ? (sql: string) => console.log(sql) : options.logging;
  }
  const memory = inMemory ? createMemoryDatabase() : undefined;
  const sequelizeOptionsAll: SequelizeOptions = {
    ...base,
    ...(memory ? { dialectModule: memoryDialectModule(memory), database: 'memory', host: undefined } : {}),
    ...options.sequelize,
    repositoryMode: true,
    models,
  };
  const sequelize = new TbpSequelize(sequelizeOptionsAll, memory);
  if (options.hasher) useHasher(sequelize, options.hasher);
  const db: Record<string, unknown> = { sequelize, Sequelize: SequelizeLib };
  // Each model is registered under its table name (its `modelName`); in repository mode this is the instance's own subclass.
  for (const table of Object.keys(modelsByTable)) db[table] = sequelize.model(table);
  return db as Db;
}
