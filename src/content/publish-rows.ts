import { randomUUID } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { Db } from '../db/create-db';
import type { Environment } from '../models/base/columns';
import type { PublishSnapshotContent, SnapshotRow } from '../models/publish_snapshots';
import { type CopyPlan, planCopy, sameValue } from './publish-plan';
import type { CopyContext } from './publish-sql';
import { type CopiedTable, copiedTables, lineageOf, type Row } from './publish-tables';

/**
 * Publishing row by row, for pg-mem, which cannot run the set-based SQL
 * (no window functions, no ON CONFLICT on a partial index). Same rules
 * (`planCopy`), same results; a statement or two per row, which costs
 * nothing in memory.
 */

const TIMESTAMPS = new Set(['createdAt', 'updatedAt', 'deletedAt']);

/** Rows as plain objects, DECIMAL columns as numbers (as the models read them) on both backends. */
export async function readRows(
  table: CopiedTable,
  where: { projectId: string; environment: Environment },
  options: { transaction?: Transaction; withDeleted?: boolean },
): Promise<Row[]> {
  const rows = (await table.model.findAll({
    where,
    raw: true,
    paranoid: !options.withDeleted,
    transaction: options.transaction ?? null,
    order: [['id', 'ASC']],
  })) as unknown as Row[];
  if (table.decimal.size > 0) {
    for (const row of rows) {
      for (const column of table.decimal) if (row[column] != null) row[column] = Number(row[column]);
    }
  }
  return rows;
}

function copiedValues(table: CopiedTable, source: Row): Record<string, unknown> {
  return Object.fromEntries(table.copied.map((column) => [column, source[column]]));
}

/** Reads a table's sources and targets and works out the copy; writes nothing. */
export async function planTableRows(table: CopiedTable, context: CopyContext): Promise<CopyPlan & { sources: number }> {
  const { projectId, from, to, transaction } = context;
  const sources = await readRows(table, { projectId, environment: from }, { transaction });
  const targets = await readRows(table, { projectId, environment: to }, { transaction, withDeleted: true });
  return { ...planCopy(table, from, sources, targets), sources: sources.length };
}

/** Carries out a plan; returns how many source rows were copied. */
export async function applyTableRows(
  table: CopiedTable,
  plan: CopyPlan & { sources: number },
  context: CopyContext,
): Promise<number> {
  const { to, actorId, now, transaction } = context;
  const quiet = { transaction, hooks: false, validate: false } as const;
  if (plan.remove.length > 0) {
    await table.model.destroy({ ...quiet, where: { id: plan.remove.map(({ target }) => target.id) }, force: true });
  }
  for (const { source, target } of plan.update) {
    const moveSlug = table.uniqueSlug && target.slug !== source.slug;
    if (moveSlug || target.deletedAt != null) {
      await table.model.update(
        {
          deletedAt: null,
          updatedById: actorId,
          updatedAt: now,
          ...(moveSlug ? { slug: `publishing-${target.id}` } : {}),
        },
        { ...quiet, where: { id: target.id }, paranoid: false, silent: true },
      );
    }
  }
  for (const { source, target } of plan.update) {
    // Only a copy whose content differs is written, as the set-based upsert does.
    if (table.copied.every((column) => sameValue(source[column], target[column]))) continue;
    await table.model.update(
      { ...copiedValues(table, source), updatedById: actorId, updatedAt: now },
      { ...quiet, where: { id: target.id }, silent: true },
    );
  }
  if (plan.create.length > 0) {
    await table.model.bulkCreate(
      plan.create.map((source) => ({
        ...copiedValues(table, source),
        id: randomUUID(),
        environment: to,
        source_key: lineageOf(source),
        createdById: actorId,
        updatedById: actorId,
        createdAt: now,
        updatedAt: now,
      })),
      quiet,
    );
  }
  return plan.sources;
}

/** What the environment holds, in the snapshot's form: every column, timestamps as ISO 8601 text. */
async function rowsOf(db: Db, projectId: string, environment: Environment, transaction: Transaction) {
  const content = {} as PublishSnapshotContent;
  for (const table of copiedTables(db)) {
    const rows = await readRows(table, { projectId, environment }, { transaction, withDeleted: true });
    content[table.name] = rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [key, value instanceof Date ? value.toISOString() : value]),
      ),
    );
  }
  return content;
}

export async function takeSnapshotRows(
  db: Db,
  values: { id: string; projectId: string; environment: Environment; eventId: string; actorId: string | null },
  transaction: Transaction,
): Promise<void> {
  const { projectId, environment } = values;
  // Strictly after the newest one, so that retention keeps the right ones even within one millisecond.
  const newest = (await db.publish_snapshots.max('createdAt', { where: { projectId, environment }, transaction })) as
    | Date
    | string
    | null;
  const after = newest ? new Date(newest).getTime() + 1 : 0;
  const createdAt = new Date(Math.max(Date.now(), after));
  await db.publish_snapshots.create(
    {
      id: values.id,
      projectId,
      environment,
      publishEventId: values.eventId,
      ...(await rowsOf(db, projectId, environment, transaction)),
      createdById: values.actorId,
      updatedById: values.actorId,
      createdAt,
      updatedAt: createdAt,
    },
    { transaction, silent: true },
  );
}

export async function restoreSnapshotRows(
  db: Db,
  values: { snapshotId: string; projectId: string; environment: Environment; now: Date },
  transaction: Transaction,
): Promise<Record<CopiedTable['counter'], number>> {
  const { projectId, environment, now } = values;
  const snapshot = await db.publish_snapshots.findByPk(values.snapshotId, { transaction });
  const counts = { pagesCopied: 0, transitionsCopied: 0, audiosCopied: 0 };
  for (const table of copiedTables(db)) {
    await table.model.destroy({ where: { projectId, environment }, force: true, transaction, hooks: false });
    const rows = ((snapshot?.get(table.name) as SnapshotRow[] | undefined) ?? []).map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          key === 'updatedAt' ? now : TIMESTAMPS.has(key) && typeof value === 'string' ? new Date(value) : value,
        ]),
      ),
    );
    if (rows.length > 0) await table.model.bulkCreate(rows, { transaction, hooks: false, validate: false });
    counts[table.counter] = rows.filter((row) => row.deletedAt == null).length;
  }
  return counts;
}

export async function pruneSnapshotRows(
  db: Db,
  values: { projectId: string; environment: Environment; keep: number },
  transaction: Transaction,
): Promise<void> {
  const { projectId, environment, keep } = values;
  const all = await db.publish_snapshots.findAll({
    where: { projectId, environment },
    attributes: ['id'],
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
    paranoid: false,
    transaction,
  });
  const stale = all.slice(keep).map((snapshot) => snapshot.id);
  if (stale.length > 0) await db.publish_snapshots.destroy({ where: { id: stale }, force: true, transaction });
}
