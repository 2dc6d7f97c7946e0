/**
 * Plain Sequelize: the package's 23 tables as `sequelize.define` calls
 * (bench/plain-schema.ts writes them from the models' metadata: no hooks,
 * scopes, validators or decorators), the same Sequelize as the package's.
 */
import { join } from 'node:path';
import { Sequelize } from 'sequelize';
import { type Contender, POOL_SIZE } from './contender';
import { bulkCreateImport, type SequelizeModels, sequelizeOperations } from './sequelize-ops';

export const name = 'plain Sequelize';
/** What a cold start loads. */
export const file = __filename;

/** Written by the driver beside this module, so that it resolves the repository's sequelize. */
export const PLAIN_SCHEMA_FILE = join(__dirname, 'plain-schema.generated.js');

export function define(url: string) {
  const sequelize = new Sequelize(url, { logging: false, pool: { max: POOL_SIZE } });
  const models = require(PLAIN_SCHEMA_FILE).define(sequelize) as SequelizeModels;
  return { sequelize, models };
}

export async function setup(url: string): Promise<Contender> {
  const { sequelize, models } = define(url);
  return {
    name,
    close: () => sequelize.close(),
    ops: sequelizeOperations(models, bulkCreateImport(sequelize, models.tour_pages)),
  };
}
