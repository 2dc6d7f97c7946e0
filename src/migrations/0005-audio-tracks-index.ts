import type { Migration } from './types';

/**
 * 0005: an index on `project_audio_tracks ("projectId", environment, sort_order)`, as `tour_pages` has one.
 *
 * The spec lists no index for the table, and the only one on `projectId` was the partial lineage index (live
 * copies with a `source_key`), which a read of a project's tracks cannot use. So the presentation
 * (`loadPresentation`, one statement) read every project's tracks to find one project's: on the benchmark's
 * data (2,000 tracks) 3 ms of its 5 ms on the server, and growing with the table. A project's hard delete,
 * which cascades to its tracks, did the same. Written by `npm run migration:generate` from the model's index.
 */

const UP: string[] = [
  `CREATE INDEX project_audio_tracks_project_id_environment_sort_order ON project_audio_tracks USING btree ("projectId", environment, sort_order)`,
];

const DOWN: string[] = [`DROP INDEX "project_audio_tracks_project_id_environment_sort_order"`];

export const audioTracksIndex: Migration = {
  name: '0005-audio-tracks-index',
  async up({ context: { sequelize, transaction } }) {
    for (const sql of UP) await sequelize.query(sql, { transaction });
  },
  async down({ context: { sequelize, transaction } }) {
    for (const sql of DOWN) await sequelize.query(sql, { transaction });
  },
};
