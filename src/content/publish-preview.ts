import type { Db } from '../db/create-db';
import type { Environment } from '../models/base/columns';
import { planCopy, type RemoveReason, sameValue } from './publish-plan';
import { readRows } from './publish-rows';
import { type CopiedTableName, copiedTables, lineageOf, PublishError, stepOf, UUID } from './publish-tables';

export interface PreviewCreate {
  /** The id of the original the copy will descend from (its `source_key`). */
  lineage: string;
  label: string;
  /** The columns the copy takes from its source. */
  values: Record<string, unknown>;
}

export interface PreviewUpdate {
  id: string;
  lineage: string;
  label: string;
  /** Only the columns that change; `deletedAt` when a soft-deleted copy comes back. */
  changes: Record<string, { from: unknown; to: unknown }>;
}

export interface PreviewRemove {
  id: string;
  lineage: string | null;
  label: string;
  reason: RemoveReason;
  /** Already soft-deleted: the publish removes it for good, nobody sees a difference. */
  deleted: boolean;
}

export interface PreviewTable {
  create: PreviewCreate[];
  update: PreviewUpdate[];
  remove: PreviewRemove[];
  /** Copies already equal to their source. */
  unchanged: number;
}

export interface PublishPreview {
  projectId: string;
  from: Environment;
  to: Environment;
  tables: Record<CopiedTableName, PreviewTable>;
  /** Whether the publish would change anything a reader of the target can see. */
  changes: boolean;
}

/**
 * What `publishEnvironment(db, projectId, from, to)` would do now, written
 * nowhere: per table, the copies it would create (with their values), update
 * (with the changed columns, before and after) and remove (with why). The
 * rules are the publish's own (`planCopy`). Refuses what the publish refuses,
 * with the same `PublishError`.
 */
export async function previewPublish(
  db: Db,
  projectId: string,
  from: Environment,
  to: Environment,
): Promise<PublishPreview> {
  stepOf(from, to);
  if (!UUID.test(projectId)) throw new PublishError(`No project with id ${projectId}`);
  // One transaction: with read replicas, the preview reads the primary, as the publish will.
  return db.sequelize.transaction(async (transaction) => {
    const project = await db.projects.findByPk(projectId, {
      paranoid: false,
      attributes: ['id', 'deletedAt'],
      transaction,
    });
    if (!project) throw new PublishError(`No project with id ${projectId}`);
    if (project.deletedAt) throw new PublishError(`Project ${projectId} is deleted: restore it before publishing`);
    const tables = {} as Record<CopiedTableName, PreviewTable>;
    for (const table of copiedTables(db)) {
      const sources = await readRows(table, { projectId, environment: from }, { transaction });
      const targets = await readRows(table, { projectId, environment: to }, { transaction, withDeleted: true });
      const plan = planCopy(table, from, sources, targets);
      const result: PreviewTable = { create: [], update: [], remove: [], unchanged: 0 };
      for (const source of plan.create) {
        const values = Object.fromEntries(table.copied.map((column) => [column, source[column]]));
        result.create.push({ lineage: lineageOf(source), label: table.label(source), values });
      }
      for (const { source, target } of plan.update) {
        const changes: PreviewUpdate['changes'] = {};
        for (const column of table.copied) {
          if (!sameValue(source[column], target[column]))
            changes[column] = { from: target[column], to: source[column] };
        }
        if (target.deletedAt != null) changes.deletedAt = { from: target.deletedAt, to: null };
        if (Object.keys(changes).length === 0) result.unchanged += 1;
        else result.update.push({ id: target.id, lineage: lineageOf(source), label: table.label(source), changes });
      }
      for (const { target, reason } of plan.remove) {
        result.remove.push({
          id: target.id,
          lineage: target.source_key,
          label: table.label(target),
          reason,
          deleted: target.deletedAt != null,
        });
      }
      tables[table.name] = result;
    }
    const changes = Object.values(tables).some(
      (table) => table.create.length + table.update.length + table.remove.filter((row) => !row.deleted).length > 0,
    );
    return { projectId, from, to, tables, changes };
  });
}

const TITLES: Record<CopiedTableName, string> = {
  tour_pages: 'Pages',
  project_transition_settings: 'Transition settings',
  project_audio_tracks: 'Audio tracks',
};

/** A value as a preview line shows it: JSON, cut to `width` characters. */
function shown(value: unknown, width = 60): string {
  const text = value instanceof Date ? value.toISOString() : (JSON.stringify(value) ?? 'undefined');
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/**
 * A preview as text, for a terminal (`tbp-models publish --dry-run`): a
 * heading, then per table a count line and one line per row, `+` created,
 * `~` updated (with each changed column, before -> after), `-` removed.
 */
export function formatPublishPreview(
  preview: PublishPreview,
  project?: { name: string; slug: string } | undefined,
): string {
  const named = project ? `${project.name} (${project.slug})` : preview.projectId;
  const lines = [`Publish ${preview.from} -> ${preview.to} of ${named}: preview, nothing written`];
  for (const [name, table] of Object.entries(preview.tables) as [CopiedTableName, PreviewTable][]) {
    const counts = [
      table.create.length > 0 ? `${table.create.length} to create` : '',
      table.update.length > 0 ? `${table.update.length} to update` : '',
      table.remove.length > 0 ? `${table.remove.length} to remove` : '',
      table.unchanged > 0 ? `${table.unchanged} unchanged` : '',
    ].filter(Boolean);
    lines.push(`${TITLES[name]}: ${counts.length > 0 ? counts.join(', ') : 'none'}`);
    for (const row of table.create) lines.push(`  + ${row.label}`);
    for (const row of table.update) {
      const changes = Object.entries(row.changes).map(
        ([column, { from, to }]) => `${column} ${shown(from, 40)} -> ${shown(to, 40)}`,
      );
      lines.push(`  ~ ${row.label}: ${changes.join('; ')}`);
    }
    for (const row of table.remove) {
      lines.push(`  - ${row.label} (${row.reason}${row.deleted ? ', already deleted' : ''})`);
    }
  }
  if (!preview.changes) lines.push(`${preview.to} already matches ${preview.from}: publishing would change nothing.`);
  return `${lines.join('\n')}\n`;
}
