import 'reflect-metadata';
import type { IMemoryDb } from 'pg-mem';
import SequelizeLib, { type Model, type SyncOptions } from 'sequelize';
import { type PasswordHasher, useHasher } from '../auth/password';
import { type ModelsByTable, models, modelsByTable, type TableName } from '../models';
import { Sequelize, type SequelizeOptions } from '../models/base/decorators';
import { readsOnlyTransaction } from '../models/base/fast-find';
import { alignAssociationRules } from '../models/base/metadata';
import { withActor } from './actor';
import {
  DbConfigError,
  type DbEnvironment,
  dbConfig,
  mergeServerSettings,
  type ServerSettings,
  sequelizeOptions,
  withServerSettings,
} from './config';
import { hideCredentials } from './credentials';
import { withDeferredRefresh } from './deferred-refresh';
import { type ForeignKeyColumn, foreignKeyConstraints, normaliseQueryError } from './errors';
import { redactLogging } from './logging';
import { usePreparedStatements } from './prepared';
import { onPrimary } from './primary';
import { applyQueryPolicy } from './query-policy';
import {
  boundSecrets,
  instanceSecrets,
  redactError,
  redactOptions,
  redactSql,
  redactText,
  secretColumns,
  whereSecrets,
} from './redact';
import { syncSchema } from './sync';
import { clientTimeoutMs } from './timeouts';

/** Also the `ServerSettings` (replicas, pools, timeouts, read retries), over those of the environment. */
export interface CreateDbOptions extends ServerSettings {
  /** pg-mem instead of a server (the default when `NODE_ENV=test` and no `DATABASE_URL`). */
  inMemory?: boolean | undefined;
  /** A `postgres://` URL; defaults to the environment's configuration. */
  url?: string | undefined;
  /** Which configuration of `db-config` to use; defaults to `NODE_ENV`. */
  environment?: DbEnvironment | undefined;
  /** `false`, `true` (console) or a function; defaults to the environment's. Secret values are redacted. */
  logging?: boolean | ((sql: string) => void) | undefined;
  /** Replaces the bcryptjs hasher for the users of this database. */
  hasher?: PasswordHasher | undefined;
  /** Further Sequelize options (pool, timezone, ...). */
  sequelize?: Partial<SequelizeOptions> | undefined;
}

interface QueryOptionsShape {
  instance?: Model;
  where?: unknown;
  bind?: unknown;
}

/**
 * A Sequelize instance whose `sync()` builds the schema in dependency order
 * (see `syncSchema`), and, on pg-mem, the in-memory database behind it. The
 * errors of its queries and the SQL it logs carry no secret (see `redact.ts`).
 */
export class TbpSequelize extends Sequelize {
  /** The pg-mem database, when this instance is in memory. */
  declare readonly memory?: IMemoryDb;
  private schemaBackup?: ReturnType<IMemoryDb['backup']>;

  private foreignKeys?: Map<string, ForeignKeyColumn>;
  private secretColumnTest?: (name: string) => boolean;

  constructor(options: SequelizeOptions, memory?: IMemoryDb) {
    super(options);
    hideCredentials(this);
    if (memory) Object.defineProperty(this, 'memory', { value: memory });
    // Every model query passes here: constraint errors get the field names that the backend left out, and
    // lose the secrets that Sequelize and the driver copy into them (bound values, the statement, the row).
    const query = this.query.bind(this);
    const foreignKeys = () => {
      this.foreignKeys ??= foreignKeyConstraints(this.modelManager.models);
      return this.foreignKeys;
    };
    this.query = (async (sql: unknown, queryOptions?: QueryOptionsShape) => {
      try {
        return await query(sql as string, queryOptions as never);
      } catch (error) {
        // Sequelize wraps whatever the driver throws in a DatabaseError: a refusal of the in-memory mode is shown as itself.
        // (By name: the memory module is loaded only with an in-memory database.)
        const parent = (error as { parent?: Error }).parent;
        if (parent?.name === 'InMemoryUnsupportedError') throw parent;
        throw this.withoutSecrets(normaliseQueryError(error, queryOptions, foreignKeys), sql, queryOptions);
      }
    }) as unknown as typeof this.query;
    redactLogging(this, (message, logOptions) => this.redactLogLine(message, logOptions as QueryOptionsShape));
  }

  /** Whether a column (by its name in the database) holds secrets: the models' `secretFields`, or a name that says so. */
  isSecretColumn(name: string): boolean {
    if (!this.secretColumnTest) {
      const declared = (this.modelManager.models as unknown as ModelWithSecrets[]).flatMap((model) =>
        (model.secretFields ?? []).map((field) => model.getAttributes()[field]?.field ?? field),
      );
      this.secretColumnTest = secretColumns(declared);
    }
    return this.secretColumnTest(name);
  }

  /** The secret values a query's options name: its instance's, its where's, and the database password. */
  private knownSecrets(options: QueryOptionsShape | undefined): Set<string> {
    const secrets = new Set<string>();
    instanceSecrets(options?.instance, secrets);
    if (options?.where !== undefined) whereSecrets(options.where, (name) => this.isSecretColumn(name), secrets);
    if (this.config.password) secrets.add(this.config.password);
    return secrets;
  }

  private withoutSecrets(error: unknown, sql: unknown, options: QueryOptionsShape | undefined): unknown {
    const isSecretColumn = (name: string) => this.isSecretColumn(name);
    const secrets = this.knownSecrets(options);
    const text = typeof sql === 'string' ? sql : (sql as { query?: unknown } | undefined)?.query;
    if (typeof text === 'string')
      boundSecrets(options?.bind, redactSql(text, isSecretColumn).secretParameters, secrets);
    return redactError(error, { isSecretColumn, secrets, bind: options?.bind });
  }

  private redactLogLine(
    message: string,
    options: QueryOptionsShape | undefined,
  ): { message: string; options?: object } {
    const isSecretColumn = (name: string) => this.isSecretColumn(name);
    const secrets = this.knownSecrets(options);
    const found = redactSql(message, isSecretColumn);
    for (const secret of found.secrets) secrets.add(secret);
    boundSecrets(options?.bind, found.secretParameters, secrets);
    return {
      message: redactText(found.sql, secrets),
      ...(options ? { options: redactOptions(options, found.secretParameters, secrets, isSecretColumn) } : {}),
    };
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

type ModelWithSecrets = { secretFields?: readonly string[]; getAttributes(): Record<string, { field?: string }> };

/** The registry: every model under its table name, the instance and the library. */
export type Db = { [K in TableName]: ModelsByTable[K] } & {
  sequelize: TbpSequelize;
  Sequelize: typeof SequelizeLib;
  /**
   * Runs `fn` on behalf of `userId`: its writes fill `createdById` and
   * `updatedById` (see `withActor`). Throws `InvalidIdError` for an id that is not a UUID.
   */
  withActor<T>(userId: string, fn: () => T): T;
  /**
   * Runs `fn` with every query of this database on the primary, for reads that must see a write just made
   * (with read replicas, a read outside a transaction goes to a replica, which may lag). Without replicas it only
   * runs `fn`. See docs/scaling.md.
   */
  onPrimary<T>(fn: () => T | Promise<T>): Promise<T>;
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
  if (inMemory && options.readUrls?.length) {
    throw new DbConfigError('readUrls needs a PostgreSQL server: an in-memory database has no replicas');
  }
  // pg-mem has no server to time out, pool or replicate: the environment's server settings do not apply to it.
  const settings = inMemory ? {} : mergeServerSettings(config, options, options.url === undefined);
  const { hooks: serverHooks, ...base } = sequelizeOptions(withServerSettings({ ...config, url }, settings));
  if (options.logging !== undefined) {
    base.logging = options.logging === true ? (sql: string) => console.log(sql) : options.logging;
  }
  // The pg-mem glue (and pg-mem, moment, ...) is loaded only for an in-memory database.
  const glue = inMemory ? (require('../memory/pg-mem') as typeof import('../memory/pg-mem')) : undefined;
  const memory = glue?.createMemoryDatabase();
  const sequelizeOptionsAll: SequelizeOptions = {
    ...base,
    ...(glue && memory ? { dialectModule: glue.memoryDialectModule(memory), database: 'memory', host: undefined } : {}),
    ...options.sequelize,
    repositoryMode: true,
    models,
  };
  const sequelize = withDeferredRefresh(() => new TbpSequelize(sequelizeOptionsAll, memory));
  // Added, not passed as the `hooks` option: hooks of the caller's `sequelize` options would replace them.
  for (const [name, hook] of Object.entries(serverHooks ?? {})) {
    sequelize.addHook(name as never, hook as never);
    // The timeouts' hook reads only the query's transaction, which findByPk's fast path passes as the finder does.
    if (name === 'beforeQuery') readsOnlyTransaction(hook as object);
  }
  if (!inMemory) {
    const { statementTimeoutMs, readRetry } = settings;
    applyQueryPolicy(sequelize, {
      readRetry,
      clientTimeoutMs: statementTimeoutMs && clientTimeoutMs(statementTimeoutMs),
    });
  }
  if (!inMemory && settings.preparedStatements) usePreparedStatements(sequelize);
  alignAssociationRules(Object.values(sequelize.models));
  if (options.hasher) useHasher(sequelize, options.hasher);
  const db: Record<string, unknown> = {
    sequelize,
    Sequelize: SequelizeLib,
    withActor: <T>(userId: string, fn: () => T): T => withActor(sequelize, userId, fn),
    onPrimary: <T>(fn: () => T | Promise<T>) => onPrimary(sequelize, fn),
  };
  // Each model is registered under its table name (its `modelName`); in repository mode this is the instance's own subclass.
  for (const table of Object.keys(modelsByTable)) db[table] = sequelize.model(table);
  return db as Db;
}
