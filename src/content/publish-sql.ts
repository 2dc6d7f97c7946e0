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
 * swapped theirs). One statement: the DELETE and the UPDATE touch disjoint
 * rows. Answers how many sources there are, and how many share a lineage.
 *
 * Every join here is an `IN (subquery)`, which PostgreSQL hashes: joined as
 * CTEs, the planner cannot see their sizes and may loop over one for each
 * row of the other.
 */
function prepareSql(table: CopiedTable): string {
  const t = tableSql(table.model);
  const slugMoves = table.uniqueSlug;
  const sameSlug = '(target.source_key, target.slug) IN (SELECT lineage, slug FROM src)';
  return `WITH src AS (
      SELECT COALESCE(s.source_key, s.id::text) AS lineage${slugMoves ? ', s.slug' : ''} FROM ${t} s
      WHERE s."projectId" = :projectId AND s.environment = :from AND s."deletedAt" IS NULL
    ), tgt AS (
      SELECT t.id, t.source_key, t."deletedAt", row_number() OVER (
        PARTITION BY t.source_key ORDER BY (t."deletedAt" IS NULL) DESC, t."updatedAt" DESC, t.id) AS rank
      FROM ${t} t WHERE t."projectId" = :projectId AND t.environment = :to
    ), kept AS (
      SELECT id, "deletedAt" FROM tgt WHERE rank = 1 AND source_key IN (SELECT lineage FROM src)
    ), gone AS (
      DELETE FROM ${t} WHERE id IN (SELECT id FROM tgt) AND id NOT IN (SELECT id FROM kept) RETURNING id
    ), moved AS (
      UPDATE ${t} target SET "deletedAt" = NULL, "updatedAt" = :now, "updatedById" = :actorId${
        slugMoves ? `, slug = CASE WHEN ${sameSlug} THEN target.slug ELSE 'publishing-' || target.id END` : ''
      }
      WHERE target.id IN (SELECT id FROM kept WHERE "deletedAt" IS NOT NULL)${
        slugMoves ? ` OR (target.id IN (SELECT id FROM kept) AND NOT ${sameSlug})` : ''
      }
      RETURNING target.id
    )
    SELECT (SELECT count(*) FROM src)::int AS sources,
      (SELECT count(*) - count(DISTINCT lineage) FROM src)::int AS duplicates,
      (SELECT count(*) FROM gone)::int AS removed, (SELECT count(*) FROM moved)::int AS moved`;
}

/**
 * Copies every live source row: a new row for a new lineage, an update of the
 * kept copy otherwise, when (and only when) a copied column differs, so that
 * a copy's `updatedAt` says when its content last changed. JSON documents are
 * compared as text: the copy then holds its source's exact bytes.
 */
function upsertSql(table: CopiedTable): string {
  const t = tableSql(table.model);
  const copied = table.copied.map(q);
  const updated = table.copied.filter((column) => column !== 'projectId').map(q);
  const compared = (alias: string) =>
    table.copied.map((column) => (table.json.has(column) ? `${alias}.${q(column)}::text` : `${alias}.${q(column)}`));
  return `INSERT INTO ${t} AS target (id, environment, source_key, ${copied.join(', ')},
      "createdById", "updatedById", "createdAt", "updatedAt")
    SELECT gen_random_uuid(), :to, COALESCE(s.source_key, s.id::text), ${copied.map((c) => `s.${c}`).join(', ')},
      :actorId, :actorId, :now, :now
    FROM ${t} s WHERE s."projectId" = :projectId AND s.environment = :from AND s."deletedAt" IS NULL
    ON CONFLICT ("projectId", environment, source_key) WHERE "deletedAt" IS NULL AND source_key IS NOT NULL
    DO UPDATE SET ${[...updated, q('updatedById'), q('updatedAt')].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
    WHERE (${compared('target').join(', ')}) IS DISTINCT FROM (${compared('EXCLUDED').join(', ')})`;
}

/** The SQLSTATE of a query's error (`55P03` lock timeout, ...). */
export function sqlState(error: unknown): string | undefined {
  const original = (error as { original?: { code?: string }; parent?: { code?: string } }) ?? {};
  return original.original?.code ?? original.parent?.code;
}

/** Copies one table; returns how many source rows were copied. */
export async function copyTable(db: Db, table: CopiedTable, context: CopyContext): Promise<number> {
  const { transaction, ...values } = context;
  const [prepared] = (await db.sequelize.query(prepareSql(table), {
    type: QueryTypes.SELECT,
    replacements: values,
    transaction,
  })) as { sources: number; duplicates: number }[];
  if (prepared?.duplicates) throw duplicateLineage(table, context.from);
  await modify(db, upsertSql(table), values, transaction);
  return prepared?.sources ?? 0;
}

/**
 * Keeps what the environment holds now, for a rollback: every row of each
 * copied table, soft-deleted ones too, in the snapshot's column of that table
 * (json, so that the rows' own JSON documents keep their exact text).
 * `clock_timestamp()`, not the transaction's start: publishes of one project
 * are serialised by the lock, so their snapshots are ordered by when each one
 * actually ran.
 */
export async function takeSnapshot(
  db: Db,
  values: { id: string; projectId: string; environment: Environment; eventId: string; actorId: string | null },
  transaction: Transaction,
): Promise<void> {
  const tables = copiedTables(db);
  const rows = tables.map(
    (table) =>
      `(SELECT COALESCE(json_agg(r ORDER BY r.id), '[]'::json) FROM ${tableSql(table.model)} r
        WHERE r."projectId" = :projectId AND r.environment = :environment)`,
  );
  await modify(
    db,
    `INSERT INTO ${tableSql(db.publish_snapshots as never)} (id, "projectId", environment, "publishEventId",
       ${tables.map((table) => q(table.name)).join(', ')}, "createdById", "updatedById", "createdAt", "updatedAt")
     VALUES (:id, :projectId, :environment, :eventId, ${rows.join(', ')}, :actorId, :actorId,
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
    const remove = `DELETE FROM ${t} WHERE "projectId" = :projectId AND environment = :environment`;
    await modify(db, remove, values, transaction);
    const columns = table.columns.map(q);
    const selected = table.columns.map((column) => (column === 'updatedAt' ? ':now' : `r.${q(column)}`));
    const [row] = (await db.sequelize.query(
      `WITH restored AS (
         INSERT INTO ${t} (${columns.join(', ')})
         SELECT ${selected.join(', ')}
         FROM ${tableSql(db.publish_snapshots as never)} s
           CROSS JOIN LATERAL json_populate_recordset(NULL::${t}, s.${q(table.name)}) r
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
