import { type Model, type ModelStatic, QueryTypes, type Transaction } from 'sequelize';
import type { Db } from '../db/create-db';
import type { Environment } from '../models/base/columns';
import { lockSql } from '../models/base/project-lock';
import { type CopiedTable, copiedTables, duplicateLineage } from './publish-tables';

/**
 * Publishing on PostgreSQL, set-based: a fixed number of statements whatever
 * the number of rows (two per copied table, one snapshot, two per table for a
 * rollback), with the rows never leaving the server. The rules are those of
 * `planCopy` (publish-plan.ts), which the row-by-row path for pg-mem follows;
 * a test runs one scenario on both and expects the same end state.
 */

const q = (name: string) => `"${name}"`;

/** A model's table, quoted, with its schema when the models live in one. */
export function tableSql(model: ModelStatic<Model>): string {
  const name = model.getTableName() as string | { toString(): string };
  return typeof name === 'string' ? q(name) : name.toString();
}

export interface CopyContext {
  projectId: string;
  from: Environment;
  to: Environment;
  actorId: string | null;
  now: Date;
  transaction: Transaction;
}

async function modify(db: Db, sql: string, replacements: object, transaction: Transaction): Promise<number> {
  // BULKUPDATE without `returning` answers the row count, whatever the statement.
  const count = await db.sequelize.query(sql, {
    type: QueryTypes.BULKUPDATE,
    replacements: replacements as Record<string, unknown>,
    transaction,
  });
  return count as unknown as number;
}

/**
 * Clears the way in the target: removes the rows that are no copy of a live
 * source (and all but one copy of a lineage), restores the soft-deleted copy
 * that is kept, and moves a copy whose slug changes to a placeholder slug, so
 * that the upsert can give slugs out in any order (two pages may have
 * swapped theirs). One statement: the DELETE and the UPDATE touch disjoint rows.
 */
function prepareSql(table: CopiedTable): string {
  const t = tableSql(table.model);
  const sourceSlug = table.uniqueSlug ? 's.slug' : 'NULL::text';
  const moveSlug = table.uniqueSlug
    ? `, slug = CASE WHEN kept.slug IS DISTINCT FROM src.slug THEN 'publishing-' || kept.id ELSE kept.slug END`
    : '';
  const slugChanged = table.uniqueSlug ? ' OR kept.slug IS DISTINCT FROM src.slug' : '';
  return `WITH src AS (
      SELECT COALESCE(s.source_key, s.id::text) AS lineage, ${sourceSlug} AS slug FROM ${t} s
      WHERE s."projectId" = :projectId AND s.environment = :from AND s."deletedAt" IS NULL
    ), tgt AS (
      SELECT t.id, t.source_key, row_number() OVER (
        PARTITION BY t.source_key ORDER BY (t."deletedAt" IS NULL) DESC, t."updatedAt" DESC, t.id) AS rank
      FROM ${t} t WHERE t."projectId" = :projectId AND t.environment = :to
    ), gone AS (
      DELETE FROM ${t} d USING tgt
      WHERE d.id = tgt.id
        AND (tgt.source_key IS NULL OR tgt.rank > 1 OR tgt.source_key NOT IN (SELECT lineage FROM src))
      RETURNING d.id
    )
    UPDATE ${t} kept SET "deletedAt" = NULL${moveSlug}
    FROM tgt JOIN src ON src.lineage = tgt.source_key
    WHERE kept.id = tgt.id AND tgt.rank = 1 AND (kept."deletedAt" IS NOT NULL${slugChanged})`;
}

/** Copies every live source row: a new row for a new lineage, an update of the kept copy otherwise. */
function upsertSql(table: CopiedTable): string {
  const t = tableSql(table.model);
  const copied = table.copied.map(q);
  const updated = table.copied.filter((column) => column !== 'projectId').map(q);
  return `INSERT INTO ${t} (id, environment, source_key, ${copied.join(', ')},
      "createdById", "updatedById", "createdAt", "updatedAt")
    SELECT gen_random_uuid(), :to, COALESCE(s.source_key, s.id::text), ${copied.map((c) => `s.${c}`).join(', ')},
      :actorId, :actorId, :now, :now
    FROM ${t} s WHERE s."projectId" = :projectId AND s.environment = :from AND s."deletedAt" IS NULL
    ON CONFLICT ("projectId", environment, source_key) WHERE "deletedAt" IS NULL AND source_key IS NOT NULL
    DO UPDATE SET ${[...updated, q('updatedById'), q('updatedAt')].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
}

const CARDINALITY_VIOLATION = '21000';

/** The SQLSTATE of a query's error (`55P03` lock timeout, `21000` cardinality violation, ...). */
export function sqlState(error: unknown): string | undefined {
  const original = (error as { original?: { code?: string }; parent?: { code?: string } }) ?? {};
  return original.original?.code ?? original.parent?.code;
}

/** Copies one table; returns how many source rows were copied. */
export async function copyTable(db: Db, table: CopiedTable, context: CopyContext): Promise<number> {
  const { transaction, ...values } = context;
  await modify(db, prepareSql(table), values, transaction);
  try {
    return await modify(db, upsertSql(table), values, transaction);
  } catch (error) {
    // ON CONFLICT meeting one target row twice: two sources share a lineage.
    if (sqlState(error) === CARDINALITY_VIOLATION) throw duplicateLineage(table, context.from);
    throw error;
  }
}

/** The target's rows of the three tables, soft-deleted ones too, as one JSON document (json keeps the UI schemas' text). */
function contentSql(db: Db): string {
  const parts = copiedTables(db).map(
    (table) =>
      `'${table.name}', (SELECT COALESCE(json_agg(r ORDER BY r.id), '[]'::json) FROM ${tableSql(table.model)} r
        WHERE r."projectId" = :projectId AND r.environment = :environment)`,
  );
  return `json_build_object(${parts.join(', ')})`;
}

/**
 * Keeps what the environment holds now, for a rollback. `clock_timestamp()`,
 * not the transaction's start: publishes of one project are serialised by the
 * lock, so their snapshots are ordered by when each one actually ran.
 */
export async function takeSnapshot(
  db: Db,
  values: { id: string; projectId: string; environment: Environment; eventId: string; actorId: string | null },
  transaction: Transaction,
): Promise<void> {
  await modify(
    db,
    `INSERT INTO ${tableSql(db.publish_snapshots as never)} (id, "projectId", environment, "publishEventId", content,
       "createdById", "updatedById", "createdAt", "updatedAt")
     VALUES (:id, :projectId, :environment, :eventId, ${contentSql(db)}, :actorId, :actorId,
       clock_timestamp(), clock_timestamp())`,
    values,
    transaction,
  );
}

/**
 * Puts the rows of a snapshot back exactly: every row of the environment is
 * removed, and the snapshot's rows are inserted with their ids, lineage and
 * columns as they were; only `updatedAt` says when. Returns the live rows
 * restored per table.
 */
export async function restoreSnapshot(
  db: Db,
  values: { snapshotId: string; projectId: string; environment: Environment; now: Date },
  transaction: Transaction,
): Promise<Record<CopiedTable['counter'], number>> {
  const counts = { pagesCopied: 0, transitionsCopied: 0, audiosCopied: 0 };
  for (const table of copiedTables(db)) {
    const t = tableSql(table.model);
    await modify(
      db,
      `DELETE FROM ${t} WHERE "projectId" = :projectId AND environment = :environment`,
      values,
      transaction,
    );
    const columns = table.columns.map(q);
    const selected = table.columns.map((column) => (column === 'updatedAt' ? ':now' : `r.${q(column)}`));
    const [row] = (await db.sequelize.query(
      `WITH restored AS (
         INSERT INTO ${t} (${columns.join(', ')})
         SELECT ${selected.join(', ')}
         FROM ${tableSql(db.publish_snapshots as never)} s
           CROSS JOIN LATERAL json_array_elements(s.content -> '${table.name}') e
           CROSS JOIN LATERAL json_populate_record(NULL::${t}, e) r
         WHERE s.id = :snapshotId
         RETURNING "deletedAt")
       SELECT count(*) FILTER (WHERE "deletedAt" IS NULL)::int AS live FROM restored`,
      { type: QueryTypes.SELECT, replacements: values, transaction },
    )) as { live: number }[];
    counts[table.counter] = row?.live ?? 0;
  }
  return counts;
}

/** Removes all but the newest `keep` snapshots of a project's environment. */
export async function pruneSnapshots(
  db: Db,
  values: { projectId: string; environment: Environment; keep: number },
  transaction: Transaction,
): Promise<void> {
  const t = tableSql(db.publish_snapshots as never);
  await modify(
    db,
    `DELETE FROM ${t} WHERE "projectId" = :projectId AND environment = :environment AND id NOT IN (
       SELECT id FROM ${t} WHERE "projectId" = :projectId AND environment = :environment
       ORDER BY "createdAt" DESC, id DESC LIMIT :keep)`,
    values,
    transaction,
  );
}

export const ABANDONED_MESSAGE =
  'The publisher stopped before recording an outcome (its process or its database connection ended)';

/**
 * Marks `abandoned` the project's `running` events whose publisher is gone.
 * A publisher holds its event's lock from before the event is written until
 * its outcome commits, so a `running` event whose lock can be taken has
 * nobody behind it. The lock taken here is held until this transaction ends.
 */
export function abandonSql(db: Db): string {
  return `UPDATE ${tableSql(db.publish_events as never)} SET status = 'abandoned', finished_at = :now, "updatedAt" = :now,
      error_message = COALESCE(error_message, :abandonedMessage)
    WHERE "projectId" = :projectId AND status = 'running'
      AND CASE WHEN status = 'running' THEN ${lockSql('publishEvent', 'id::text', 'try')} ELSE false END
    RETURNING id`;
}

/** Inside the project's lock: the project as it is now, and the abandoned events marked on the way. */
export async function checkProject(
  db: Db,
  values: { projectId: string; now: Date },
  transaction: Transaction,
): Promise<{ exists: boolean; deleted: boolean; abandoned: string[] }> {
  const rows = (await db.sequelize.query(
    `WITH abandoned AS (${abandonSql(db)})
     SELECT (SELECT "deletedAt" IS NOT NULL FROM ${tableSql(db.projects as never)} WHERE id = :projectId) AS deleted,
       (SELECT coalesce(array_agg(id::text), '{}') FROM abandoned) AS abandoned`,
    { type: QueryTypes.SELECT, replacements: { ...values, abandonedMessage: ABANDONED_MESSAGE }, transaction },
  )) as { deleted: boolean | null; abandoned: string[] }[];
  const row = rows[0];
  return { exists: row?.deleted != null, deleted: row?.deleted === true, abandoned: row?.abandoned ?? [] };
}
