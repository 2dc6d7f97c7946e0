import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Migration } from './types';

const MIGRATION_FILE = /\.c?js$/;

/**
 * The migrations of a folder: every `.js`/`.cjs` file, sorted by name, each
 * a CommonJS module exporting `up` and `down` (and optionally `beforeUp` /
 * `beforeDown`), which receive `{ context: { sequelize, queryInterface,
 * transaction } }` as the package's migrations do. A migration's name is its
 * file name without the extension. Append them to the package's own:
 * `migrate(sequelize, { migrations: [...MIGRATIONS, ...loadMigrations('db/migrations')] })`.
 */
export function loadMigrations(folder: string): Migration[] {
  const absolute = resolve(folder);
  let files: string[];
  try {
    files = readdirSync(absolute).filter((file) => MIGRATION_FILE.test(file));
  } catch (error) {
    throw new Error(`Cannot read the migrations folder ${absolute}: ${(error as Error).message}`);
  }
  return files.sort().map((file) => {
    let loaded: Partial<Migration> & { default?: Partial<Migration> };
    try {
      loaded = require(join(absolute, file));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
      throw new Error(`${join(absolute, file)} is an ES module: give migrations the .cjs extension`);
    }
    const source = typeof loaded.up === 'function' ? loaded : loaded.default;
    if (typeof source?.up !== 'function' || typeof source.down !== 'function') {
      throw new Error(
        `${join(absolute, file)} is not a migration: it must export the functions up and down ` +
          '(module.exports = { async up({ context }) { ... }, async down({ context }) { ... } })',
      );
    }
    const migration: Migration = {
      name: file.replace(MIGRATION_FILE, ''),
      up: (params) => (source.up as Migration['up'])(params),
      down: (params) => (source.down as Migration['down'])(params),
    };
    if (typeof source.beforeUp === 'function') migration.beforeUp = source.beforeUp.bind(source);
    if (typeof source.beforeDown === 'function') migration.beforeDown = source.beforeDown.bind(source);
    return migration;
  });
}
