import { initialSchema } from './0001-initial-schema';
import { hashedTokens } from './0002-hashed-tokens';
import { textBounds } from './0003-text-bounds';
import { publishLineageAndHistory } from './0004-publish-lineage-and-history';
import { audioTracksIndex } from './0005-audio-tracks-index';
import type { Migration } from './types';

/**
 * Every migration, in order. An explicit list rather than a folder glob, so
 * that the migrations run the same from `node_modules` and from a bundle.
 */
export const MIGRATIONS: readonly Migration[] = [
  initialSchema,
  hashedTokens,
  textBounds,
  publishLineageAndHistory,
  audioTracksIndex,
];

export type { Migration, MigrationContext } from './types';
