import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadMigrations } from '../migrations/load';
import type { Migration } from '../migrations/types';
import { UsageError } from './io';

/** The names the CLI looks for, in the current directory, in this order. */
export const CONFIG_FILES = ['tbp-models.config.js', 'tbp-models.config.cjs'] as const;

/** What `tbp-models.config.js` may export. */
export interface TbpModelsConfig {
  /** The app's migrations: a folder (relative to the config file) of `.js`/`.cjs` files, or the migrations themselves. */
  migrations?: string | readonly Migration[];
}

function readConfig(cwd: string): { file: string; config: TbpModelsConfig } | undefined {
  for (const name of CONFIG_FILES) {
    const file = join(cwd, name);
    if (!existsSync(file)) continue;
    let loaded: unknown;
    try {
      loaded = require(file);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_REQUIRE_ESM') {
        throw new Error(`${file} is an ES module (the package is "type": "module"): name it tbp-models.config.cjs`);
      }
      throw error;
    }
    const config = ((loaded as { default?: unknown }).default ?? loaded) as TbpModelsConfig;
    const unknown = Object.keys(config ?? {}).filter((key) => key !== 'migrations');
    if (unknown.length > 0) throw new Error(`${file}: unknown setting(s) ${unknown.join(', ')} (known: migrations)`);
    return { file, config };
  }
  return undefined;
}

/**
 * The app's migrations for a command: the folder of `--migrations`, else the
 * `migrations` of `tbp-models.config.js` (or `.cjs`) in the current directory,
 * else none. They run after the package's own.
 */
export function appMigrations(flag: string | undefined, cwd: string): Migration[] {
  if (flag !== undefined) {
    if (flag === '') throw new UsageError('--migrations needs a folder');
    return loadMigrations(resolve(cwd, flag));
  }
  const found = readConfig(cwd);
  const migrations = found?.config.migrations;
  if (!found || migrations === undefined) return [];
  if (typeof migrations === 'string') return loadMigrations(resolve(dirname(found.file), migrations));
  if (!Array.isArray(migrations))
    throw new Error(`${found.file}: migrations must be a folder or an array of migrations`);
  return [...migrations];
}
