import type { ModelStatic } from 'sequelize';
import type { Db, TableName } from '../../../src';
import { MODEL_TABLES, type ModelTable } from '../../models/rows';

/** What the generator knows of a column, read from the model's metadata. */
export interface ColumnInfo {
  name: string;
  kind: 'text' | 'integer' | 'decimal' | 'boolean' | 'enum' | 'date' | 'json' | 'uuid';
  nullable: boolean;
  /** Has a default: may be left out of a create. */
  optional: boolean;
  /** The table whose ids it holds (a foreign key), if any. */
  references?: TableName;
  values: readonly unknown[];
}

export interface TableInfo {
  table: ModelTable;
  /** Columns a create or update may set (not the key, the timestamps, or the secrets). */
  writable: ColumnInfo[];
  /** Columns a where or an order may read. */
  readable: ColumnInfo[];
  /** Foreign keys a factory fills in itself when they are missing (so they are always passed). */
  required: ColumnInfo[];
  associations: { name: string; target: TableName; type: string }[];
}

const KINDS: Record<string, ColumnInfo['kind']> = {
  TEXT: 'text',
  STRING: 'text',
  INTEGER: 'integer',
  DECIMAL: 'decimal',
  BOOLEAN: 'boolean',
  ENUM: 'enum',
  DATE: 'date',
  JSON: 'json',
  UUID: 'uuid',
};

const NOT_WRITTEN = new Set(['id', 'importHash', 'createdAt', 'updatedAt', 'deletedAt', 'password']);
/** Never returned by the default scope, so not compared, and not queried either. */
const SECRETS = new Set(['password', 'emailVerificationToken', 'passwordResetToken']);
/** Foreign keys the testing kit's factories fill with a new parent when they are not given. */
const FACTORY_PARENTS: Partial<Record<ModelTable, string[]>> = {
  project_memberships: ['projectId', 'userId'],
  production_presentation_access: ['projectId', 'userId'],
  tour_pages: ['projectId'],
  assets: ['projectId'],
  asset_variants: ['assetId'],
  project_element_defaults: ['projectId'],
  publish_events: ['projectId'],
  access_logs: ['projectId'],
  pwa_caches: ['projectId'],
  project_audio_tracks: ['projectId'],
  project_transition_settings: ['projectId'],
  project_ui_control_settings: ['projectId'],
  presigned_url_requests: ['projectId'],
};

const WORDS = ['alpha', 'beta', 'Gamma', 'delta_x', '50% off', 'ünï', "o'k", 'Alpha beta'];
const DATES = ['2024-01-01T00:00:00.000Z', '2024-06-15T12:30:00.000Z', '2031-12-31T23:59:59.000Z'].map(
  (iso) => new Date(iso),
);
const JSON_VALUES = [{ a: 1 }, [1, 'x', null], { nested: { b: true }, list: [] }, 'text', 3];

/** Values of a column that its validators accept, by the column's name where a validator needs a shape. */
function valuesOf(table: string, name: string, kind: ColumnInfo['kind'], attribute: RawAttribute): unknown[] {
  const validate = attribute.validate ?? {};
  switch (name) {
    case 'email':
      return ['ann@example.com', 'Bob@Example.com', 'cy@example.org'];
    case 'slug':
      return table === 'projects' ? ['home', 'tour_1', 'Tour-2'] : ['home', 'about', 'p-2'];
    case 'mime_type':
      return ['image/png', 'video/mp4', 'audio/mpeg; rate=44100'];
    case 'overlay_color':
      return ['#000', '#ffffff', '#0a0B0c80'];
    case 'cdn_url':
    case 'url':
    case 'publicUrl':
    case 'privateUrl':
      return ['https://cdn.example.com/a.png', 'https://cdn.example.com/b%20c.mp4'];
  }
  switch (kind) {
    case 'text':
      return WORDS;
    case 'integer': {
      const min = Number(validate.min?.args?.[0] ?? -3);
      const max = Number(validate.max?.args?.[0] ?? 40);
      return [min, min + 1, 7, 12, max].filter((n) => n >= min && n <= max);
    }
    case 'decimal': {
      const max = Number(validate.max?.args?.[0] ?? 100);
      return [0, 0.25, 1, 2.5, 99.75].filter((n) => n <= max);
    }
    case 'boolean':
      return [true, false];
    case 'enum':
      return attribute.type.values ?? [];
    case 'date':
      return DATES;
    case 'json':
      return JSON_VALUES;
    default:
      return [];
  }
}

/** The parts of Sequelize's attribute metadata the generator reads. */
interface RawAttribute {
  type: { key: string; values?: string[] };
  allowNull?: boolean;
  defaultValue?: unknown;
  validate?: Record<string, { args?: unknown[] }>;
}

const tables = new Map<ModelTable, TableInfo>();

function modelOf(db: Db, table: TableName): ModelStatic<never> {
  return db[table] as unknown as ModelStatic<never>;
}

/** The generator's view of a table, worked out once from the models' metadata. */
export function tableInfo(db: Db, table: ModelTable): TableInfo {
  const known = tables.get(table);
  if (known) return known;
  const model = modelOf(db, table);
  const references = new Map<string, TableName>();
  const associations: TableInfo['associations'] = [];
  for (const [name, association] of Object.entries(model.associations)) {
    const target = association.target.getTableName() as TableName;
    associations.push({ name, target, type: association.associationType });
    if (association.associationType === 'BelongsTo') {
      references.set((association as unknown as { foreignKey: string }).foreignKey, target);
    }
  }
  const columns: ColumnInfo[] = [];
  for (const [name, attribute] of Object.entries(model.rawAttributes as Record<string, RawAttribute>)) {
    const kind = KINDS[attribute.type.key];
    if (!kind) continue;
    const reference = name === 'id' ? table : references.get(name);
    columns.push({
      name,
      kind,
      nullable: attribute.allowNull !== false,
      optional: attribute.allowNull !== false || attribute.defaultValue !== undefined,
      ...(reference ? { references: reference } : {}),
      values: kind === 'uuid' ? [] : valuesOf(table, name, kind, attribute),
    });
  }
  const parents = new Set(FACTORY_PARENTS[table] ?? []);
  const info: TableInfo = {
    table,
    writable: columns.filter((column) => !NOT_WRITTEN.has(column.name) && !parents.has(column.name)),
    readable: columns.filter((column) => !SECRETS.has(column.name) && column.kind !== 'json'),
    required: columns.filter((column) => parents.has(column.name)),
    associations,
  };
  tables.set(table, info);
  return info;
}

export { MODEL_TABLES, type ModelTable };
