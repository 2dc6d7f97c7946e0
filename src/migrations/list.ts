import { initialSchema } from './0001-initial-schema';
import { textBounds } from './0003-text-bounds';
import type { Migration } from './types';

/**
 * Every migration, in order. An explicit list rather than a folder glob, so
 * that the migrations run the same from `node_modules` and from a bundle.
 */
export const MIGRATIONS: readonly Migration[] = [initialSchema, textBounds];

export type { Migration, MigrationContext } from './types';
