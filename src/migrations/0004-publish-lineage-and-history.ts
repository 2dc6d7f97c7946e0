import type { Migration } from './types';

/**
 * 0004: publishing that holds under concurrency, with history.
 *
 * - One live copy per lineage: a partial unique index on
 *   (projectId, environment, source_key) of the three tables publishing
 *   copies. Two publishes that raced before it could leave two live copies
 *   of one original; those are repaired first, keeping the most recently
 *   written copy (then the most recently created, then the highest id) and
 *   soft-deleting the others, so nothing is lost for good.
 * - `publish_events.status` gains `abandoned`, and `rollbackOfId`.
 * - `publish_snapshots`: what an environment held before each publish.
 */

const COPIED_TABLES = ['tour_pages', 'project_transition_settings', 'project_audio_tracks'] as const;

/**
 * Soft-deletes every live copy that has a newer live sibling of the same
 * lineage. A self-join rather than a window function or a correlated
 * subquery, so that it runs on pg-mem too.
 */
function repairDuplicates(table: string): string {
  return `UPDATE ${table} SET "deletedAt" = now() WHERE id IN (
    SELECT older.id FROM ${table} older JOIN ${table} newer
      ON newer."projectId" = older."projectId" AND newer.environment = older.environment
      AND newer.source_key = older.source_key AND newer.id <> older.id
    WHERE older."deletedAt" IS NULL AND newer."deletedAt" IS NULL
      AND (newer."updatedAt" > older."updatedAt"
        OR (newer."updatedAt" = older."updatedAt" AND newer."createdAt" > older."createdAt")
        OR (newer."updatedAt" = older."updatedAt" AND newer."createdAt" = older."createdAt" AND newer.id > older.id)))`;
}

const lineageIndex = (table: string) =>
  `CREATE UNIQUE INDEX ${table}_project_id_environment_source_key ON ${table} ("projectId", environment, source_key) WHERE ("deletedAt" IS NULL AND source_key IS NOT NULL)`;

const SNAPSHOTS = [
  `CREATE TYPE enum_publish_snapshots_environment AS ENUM (
    'dev',
    'stage',
    'production'
)`,
  `CREATE TABLE publish_snapshots (
    id uuid NOT NULL,
    "importHash" character varying(255),
    "createdById" uuid,
    "updatedById" uuid,
    "projectId" uuid NOT NULL,
    environment enum_publish_snapshots_environment NOT NULL,
    "publishEventId" uuid NOT NULL,
    tour_pages json DEFAULT '[]'::json NOT NULL,
    project_transition_settings json DEFAULT '[]'::json NOT NULL,
    project_audio_tracks json DEFAULT '[]'::json NOT NULL,
    "createdAt" timestamp with time zone NOT NULL,
    "updatedAt" timestamp with time zone NOT NULL,
    "deletedAt" timestamp with time zone
)`,
  `ALTER TABLE publish_snapshots ADD CONSTRAINT "publish_snapshots_importHash_key" UNIQUE ("importHash")`,
  `ALTER TABLE publish_snapshots ADD CONSTRAINT publish_snapshots_pkey PRIMARY KEY (id)`,
  `CREATE INDEX publish_snapshots_project_id_environment_created_at ON publish_snapshots ("projectId", environment, "createdAt")`,
  `CREATE UNIQUE INDEX publish_snapshots_publish_event_id ON publish_snapshots ("publishEventId")`,
  `CREATE INDEX publish_snapshots_deleted_at ON publish_snapshots ("deletedAt")`,
  `ALTER TABLE publish_snapshots ADD CONSTRAINT "publish_snapshots_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES users(id) ON UPDATE CASCADE ON DELETE SET NULL`,
  `ALTER TABLE publish_snapshots ADD CONSTRAINT "publish_snapshots_updatedById_fkey" FOREIGN KEY ("updatedById") REFERENCES users(id) ON UPDATE CASCADE ON DELETE SET NULL`,
  `ALTER TABLE publish_snapshots ADD CONSTRAINT "publish_snapshots_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES projects(id) ON UPDATE CASCADE ON DELETE CASCADE`,
  `ALTER TABLE publish_snapshots ADD CONSTRAINT "publish_snapshots_publishEventId_fkey" FOREIGN KEY ("publishEventId") REFERENCES publish_events(id) ON UPDATE CASCADE ON DELETE CASCADE`,
];

export const publishLineageAndHistory: Migration = {
  name: '0004-publish-lineage-and-history',
  async up({ context: { sequelize, transaction } }) {
    const run = (sql: string) => sequelize.query(sql, { transaction });
    for (const table of COPIED_TABLES) {
      await run(repairDuplicates(table));
      await run(lineageIndex(table));
    }
    // PostgreSQL 12+ adds an ENUM value inside a transaction; the value is only usable once this one commits,
    // and nothing here uses it.
    await run(`ALTER TYPE enum_publish_events_status ADD VALUE 'abandoned'`);
    await run(`ALTER TABLE publish_events ADD COLUMN "rollbackOfId" uuid`);
    for (const sql of SNAPSHOTS) await run(sql);
  },
  async down({ context: { sequelize, transaction } }) {
    const run = (sql: string) => sequelize.query(sql, { transaction });
    await run('DROP TABLE IF EXISTS publish_snapshots CASCADE');
    await run('DROP TYPE IF EXISTS enum_publish_snapshots_environment');
    await run('ALTER TABLE publish_events DROP COLUMN "rollbackOfId"');
    await run(`UPDATE publish_events SET status = 'failed' WHERE status = 'abandoned'`);
    // An ENUM value cannot be dropped: the type is rebuilt without it. pg-mem cannot change a column's type;
    // there the label stays, unused, in a database that lives as long as the process.
    if (!(sequelize as { memory?: unknown }).memory) {
      await run('ALTER TYPE enum_publish_events_status RENAME TO enum_publish_events_status_0004');
      await run(`CREATE TYPE enum_publish_events_status AS ENUM ('queued', 'running', 'success', 'failed')`);
      await run(`ALTER TABLE publish_events
        ALTER COLUMN status DROP DEFAULT,
        ALTER COLUMN status TYPE enum_publish_events_status USING status::text::enum_publish_events_status,
        ALTER COLUMN status SET DEFAULT 'queued'::enum_publish_events_status`);
      await run('DROP TYPE enum_publish_events_status_0004');
    }
    // The copies soft-deleted by the repair stay deleted: which of two live copies was right cannot be told.
    for (const table of COPIED_TABLES) await run(`DROP INDEX IF EXISTS ${table}_project_id_environment_source_key`);
  },
};
