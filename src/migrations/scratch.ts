import { randomBytes } from 'node:crypto';
import type { Options, Sequelize } from 'sequelize';
import { TbpSequelize } from '../db/create-db';
import { syncSchema } from '../db/sync';
import { models } from '../models';
import { type Catalog, readCatalog } from './catalog';
import { MigrationFailedError } from './errors';
import type { Migration } from './types';

/** Changes the models of a reference instance before its schema is built (the generator's tests use it). */
export type AdjustModels = (reference: Sequelize) => void;

/**
 * A second connection to the database of `sequelize`, one connection only:
 * while a transaction holds it, a query that forgot to pass the transaction
 * waits and times out instead of running outside the scratch namespace.
 */
function referenceInstance(sequelize: Sequelize, schema: string): TbpSequelize {
  if ((sequelize as Partial<TbpSequelize>).memory) {
    throw new Error('Reading the schema needs PostgreSQL’s catalog, which pg-mem does not have: run it on PostgreSQL');
  }
  const { database, username, password, host, port } = sequelize.config;
  return new TbpSequelize({
    dialect: 'postgres',
    database,
    username,
    password: password ?? undefined,
    host,
    port: Number(port),
    // Sequelize keeps its options on the instance without declaring them in its types.
    dialectOptions: (sequelize as unknown as { options: Options }).options.dialectOptions,
    logging: false,
    pool: { max: 1, acquire: 15_000 },
    define: { schema },
    repositoryMode: true,
    models,
  });
}

/**
 * Runs `work` with a fresh namespace (`tbp_scratch_<random>`) of the same
 * database and a reference instance whose models live there; drops the
 * namespace afterwards, whatever happens.
 */
export async function withScratchNamespace<T>(
  sequelize: Sequelize,
  work: (reference: TbpSequelize, schema: string) => Promise<T>,
): Promise<T> {
  const schema = `tbp_scratch_${randomBytes(6).toString('hex')}`;
  const reference = referenceInstance(sequelize, schema);
  try {
    await reference.query(`CREATE SCHEMA "${schema}"`);
    return await work(reference, schema);
  } finally {
    await reference.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await reference.close();
  }
}

/** The schema the models make (their `sync()`), as the catalog describes it. */
export async function modelsCatalog(sequelize: Sequelize, adjust?: AdjustModels): Promise<Catalog> {
  return withScratchNamespace(sequelize, async (reference, schema) => {
    adjust?.(reference);
    await syncSchema(reference);
    return readCatalog(reference, schema);
  });
}

/**
 * Runs the `up` of each migration of `list` in a scratch namespace (each in a
 * transaction whose `search_path` is that namespace alone, so that nothing
 * reaches the live tables) and calls `after` with the catalog after each one;
 * returns the catalog after the last.
 */
export async function migrationsCatalog(
  sequelize: Sequelize,
  list: readonly Migration[],
  after?: (name: string, catalog: Catalog) => void | Promise<void>,
): Promise<Catalog> {
  return withScratchNamespace(sequelize, async (reference, schema) => {
    const queryInterface = reference.getQueryInterface();
    const inScratch = (migration: Migration, step: 'beforeUp' | 'up') =>
      reference.transaction(async (transaction) => {
        await reference.query(`SET LOCAL search_path TO "${schema}"`, { transaction });
        await migration[step]?.({ context: { sequelize: reference, queryInterface, transaction } });
      });
    let catalog = await readCatalog(reference, schema);
    for (const migration of list) {
      try {
        await inScratch(migration, 'beforeUp');
        await inScratch(migration, 'up');
      } catch (error) {
        throw new MigrationFailedError(migration.name, 'up', error);
      }
      catalog = await readCatalog(reference, schema);
      await after?.(migration.name, catalog);
    }
    return catalog;
  });
}
