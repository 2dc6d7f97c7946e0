import type { Model, ModelStatic } from 'sequelize';
import type { Db } from '../db/create-db';
import type { Environment } from '../models/base/columns';
import type { PublishSnapshotContent } from '../models/publish_snapshots';

/** The tables publishing copies, under the keys a snapshot uses for them. */
export type CopiedTableName = keyof PublishSnapshotContent;

export interface CopiedTable {
  name: CopiedTableName;
  model: ModelStatic<Model>;
  /** Every column, in the model's order. */
  columns: string[];
  /** The columns a copy takes from its source: everything but identity, lineage, environment and audit. */
  copied: string[];
  /** The DECIMAL columns, which PostgreSQL's driver reads as text. */
  decimal: Set<string>;
  /** The JSON columns (compared as text by the set-based copy). */
  json: Set<string>;
  /** Whether `slug` is unique per project and environment (pages), so a changed slug first moves aside. */
  uniqueSlug: boolean;
  /** How a row is named in a preview. */
  label(row: Row): string;
  /** The result counter of this table. */
  counter: 'pagesCopied' | 'transitionsCopied' | 'audiosCopied';
}

/** A row as read with `raw: true`. */
export type Row = Record<string, unknown> & { id: string; source_key: string | null };

export const NOT_COPIED = new Set([
  'id',
  'environment',
  'source_key',
  'importHash',
  'createdAt',
  'updatedAt',
  'deletedAt',
  'createdById',
  'updatedById',
]);

const LABELS: Record<CopiedTableName, (row: Row) => string> = {
  tour_pages: (row) => `${String(row.slug)} "${String(row.name)}"`,
  project_transition_settings: (row) => `${String(row.transition_type)} ${String(row.duration_ms)} ms`,
  project_audio_tracks: (row) => String(row.name ?? row.slug ?? row.url ?? row.id),
};

const COUNTERS = {
  tour_pages: 'pagesCopied',
  project_transition_settings: 'transitionsCopied',
  project_audio_tracks: 'audiosCopied',
} as const;

const described = new WeakMap<ModelStatic<Model>, CopiedTable>();

function describe(name: CopiedTableName, model: ModelStatic<Model>): CopiedTable {
  let table = described.get(model);
  if (!table) {
    const attributes = Object.values(model.getAttributes()) as { field?: string; type: { key: string } }[];
    const columns = attributes.map((attribute) => attribute.field as string);
    const indexes = (model.options.indexes ?? []) as { fields?: unknown[]; unique?: boolean; where?: unknown }[];
    table = {
      name,
      model,
      columns,
      copied: columns.filter((column) => !NOT_COPIED.has(column)),
      decimal: new Set(attributes.filter((a) => a.type.key === 'DECIMAL').map((a) => a.field as string)),
      json: new Set(attributes.filter((a) => a.type.key === 'JSON').map((a) => a.field as string)),
      uniqueSlug: indexes.some((index) => index.unique && !index.where && index.fields?.includes('slug')),
      label: LABELS[name],
      counter: COUNTERS[name],
    };
    described.set(model, table);
  }
  return table;
}

/** The copied tables of a database, in the order they are copied. */
export function copiedTables(db: Db): CopiedTable[] {
  return [
    describe('tour_pages', db.tour_pages as unknown as ModelStatic<Model>),
    describe('project_transition_settings', db.project_transition_settings as unknown as ModelStatic<Model>),
    describe('project_audio_tracks', db.project_audio_tracks as unknown as ModelStatic<Model>),
  ];
}

/** A row's lineage: the id of the original it descends from. */
export function lineageOf(row: Row): string {
  return row.source_key ?? row.id;
}

/** The steps content takes: save to stage (dev -> stage), publish (stage -> production). */
export const PUBLISH_STEPS = [
  { from: 'dev', to: 'stage', title: 'Save to stage' },
  { from: 'stage', to: 'production', title: 'Publish' },
] as const satisfies readonly { from: Environment; to: Environment; title: string }[];

/**
 * Raised for what a publish, preview or rollback refuses, with nothing
 * written: an unknown step, a missing or deleted project, another publish
 * holding the project longer than the wait allows, two source rows of one
 * lineage, a rollback without a snapshot. A copy that fails once started is
 * also recorded on its event.
 */
export class PublishError extends Error {
  override name = 'PublishError';
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function stepOf(from: Environment, to: Environment): (typeof PUBLISH_STEPS)[number] {
  const step = PUBLISH_STEPS.find((candidate) => candidate.from === from && candidate.to === to);
  if (!step) {
    const steps = PUBLISH_STEPS.map((candidate) => `${candidate.from} -> ${candidate.to}`).join(', ');
    throw new PublishError(`Cannot publish ${from} -> ${to}: the steps are ${steps}`);
  }
  return step;
}

export function duplicateLineage(table: CopiedTable, from: Environment): PublishError {
  return new PublishError(
    `Two ${table.name} rows in ${from} descend from the same original (source_key): a row can be copied only ` +
      `once; give one of them another source_key (or none) and publish again`,
  );
}
