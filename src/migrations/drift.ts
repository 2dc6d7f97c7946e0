import type { Sequelize } from 'sequelize';
import { type Catalog, readCatalog } from './catalog';
import { modelsCatalog } from './scratch';

/** A database schema as PostgreSQL's catalog describes it, in a form two schemas can be compared in. */
export interface SchemaSnapshot {
  /** `table.column` -> `type NULL|NOT NULL [DEFAULT ...]` */
  columns: Record<string, string>;
  /** ENUM type -> its labels in order. */
  enums: Record<string, string[]>;
  /** `table (columns) [UNIQUE] [PRIMARY KEY] [WHERE ...]` -> index name. */
  indexes: Record<string, string>;
  /** `table (column) -> table (column)` -> `ON DELETE ... ON UPDATE ...`. */
  foreignKeys: Record<string, string>;
  /** `table.constraint` -> its definition (`CHECK ((char_length(email) <= 2000))`). */
  checks: Record<string, string>;
}

/** The comparable form of a catalog. */
export function snapshotOf(catalog: Catalog): SchemaSnapshot {
  const snapshot: SchemaSnapshot = { columns: {}, enums: {}, indexes: {}, foreignKeys: {}, checks: {} };
  for (const c of catalog.columns) {
    const fallback = c.default === null ? '' : ` DEFAULT ${c.default}`;
    snapshot.columns[`${c.table}.${c.name}`] = `${c.type} ${c.nullable ? 'NULL' : 'NOT NULL'}${fallback}`;
  }
  for (const [name, labels] of Object.entries(catalog.enums)) snapshot.enums[name] = labels;
  for (const i of catalog.indexes) {
    const kind = `${i.primary ? ' PRIMARY KEY' : i.unique ? ' UNIQUE' : ''}`;
    const where = i.predicate ? ` WHERE ${i.predicate}` : '';
    snapshot.indexes[`${i.table} (${i.columns.join(', ')})${kind}${where}`] = i.name;
  }
  for (const f of catalog.foreignKeys) {
    const key = `${f.table} (${f.columns.join(', ')}) -> ${f.target} (${f.targetColumns.join(', ')})`;
    snapshot.foreignKeys[key] = `ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`;
  }
  for (const c of catalog.checks) snapshot.checks[`${c.table}.${c.name}`] = c.definition;
  return snapshot;
}

/** Reads the tables of one namespace (`public` by default) from the catalog; the migration table is left out. */
export async function readSchema(sequelize: Sequelize, schema = 'public'): Promise<SchemaSnapshot> {
  return snapshotOf(await readCatalog(sequelize, schema));
}

function diffRecords(kind: string, expected: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const show = (value: unknown) => (Array.isArray(value) ? value.join(', ') : String(value));
  for (const key of Object.keys(expected).sort()) {
    if (!(key in actual)) lines.push(`- ${kind} ${key}: ${show(expected[key])}  (missing from the database)`);
    else if (show(expected[key]) !== show(actual[key]) && kind !== 'index') {
      lines.push(`~ ${kind} ${key}: expected ${show(expected[key])}, found ${show(actual[key])}`);
    }
  }
  for (const key of Object.keys(actual).sort()) {
    if (!(key in expected)) lines.push(`+ ${kind} ${key}: ${show(actual[key])}  (not in the models)`);
  }
  return lines;
}

/**
 * The differences between what the models expect and what a database has,
 * one readable line each (`-` missing, `+` unexpected, `~` different); empty
 * when they match. Index names are not compared, their definitions are; CHECK constraints are compared by name and definition.
 */
export function diffSchemas(expected: SchemaSnapshot, actual: SchemaSnapshot): string[] {
  return [
    ...diffRecords('column', expected.columns, actual.columns),
    ...diffRecords('enum', expected.enums, actual.enums),
    ...diffRecords('index', expected.indexes, actual.indexes),
    ...diffRecords('foreign key', expected.foreignKeys, actual.foreignKeys),
    ...diffRecords('check', expected.checks ?? {}, actual.checks ?? {}),
  ];
}

/**
 * Tables (`'app_notes'`) or columns (`'users.app_flag'`) to leave out of the
 * comparison, or a predicate that is asked for every table (`column`
 * undefined) and every column.
 */
export type DriftIgnore = readonly string[] | ((table: string, column?: string) => boolean);

export interface DriftOptions {
  /** The namespace of the live tables; `public` by default. */
  schema?: string;
  /** What to leave out of the comparison, on both sides (the app's own columns on a package table, say). */
  ignore?: DriftIgnore;
}

export interface SchemaDriftReport {
  /** The differences in the package's tables and types, as `diffSchemas` words them; empty when none. */
  differences: string[];
  /** Tables and ENUM types in the database that are not the package's (the app's own), left alone: `table app_notes`. */
  notOurs: string[];
}

const tableOfKey = (key: string) => key.slice(0, key.indexOf(key.includes(' (') ? ' (' : '.'));
const columnsOfKey = (key: string) => /^[^(]*\(([^)]*)\)/.exec(key)?.[1]?.split(', ') ?? [];

/**
 * Keeps what the comparison is about: the tables of `expected` (the package's)
 * minus the ignored ones; the database's other tables, and ENUM types only
 * they use, are returned apart as not ours.
 */
export function compareOwned(
  expected: SchemaSnapshot,
  actual: SchemaSnapshot,
  ignore?: DriftIgnore,
): SchemaDriftReport {
  const ignored =
    typeof ignore === 'function'
      ? ignore
      : (table: string, column?: string) =>
          (ignore ?? []).includes(table) || (column !== undefined && (ignore ?? []).includes(`${table}.${column}`));
  const ours = new Set(Object.keys(expected.columns).map(tableOfKey));
  const keepColumn = (key: string) => {
    const table = tableOfKey(key);
    return !ignored(table) && !ignored(table, key.slice(table.length + 1));
  };
  const keepKeyed = (key: string) => {
    const table = tableOfKey(key);
    return !ignored(table) && !columnsOfKey(key).some((column) => ignored(table, column));
  };
  const owned = (record: Record<string, string>, keep: (key: string) => boolean) =>
    Object.fromEntries(Object.entries(record).filter(([key]) => ours.has(tableOfKey(key)) && keep(key)));

  const filtered = (snapshot: SchemaSnapshot): SchemaSnapshot => {
    const columns = owned(snapshot.columns, keepColumn);
    // An ENUM type is ours when the package declares it or one of our columns uses it.
    const used = new Set(Object.values(columns).map((definition) => definition.split(' ')[0]?.replace(/"/g, '')));
    return {
      columns,
      enums: Object.fromEntries(
        Object.entries(snapshot.enums).filter(([name]) => name in expected.enums || used.has(name)),
      ),
      indexes: owned(snapshot.indexes, keepKeyed),
      foreignKeys: owned(snapshot.foreignKeys, keepKeyed),
      checks: owned(snapshot.checks, (key) => !ignored(tableOfKey(key))),
    };
  };
  const mine = filtered(expected);
  const theirs = filtered(actual);
  const foreignTables = [...new Set(Object.keys(actual.columns).map(tableOfKey))]
    .filter((table) => !ours.has(table) && !ignored(table))
    .sort();
  const foreignTypes = Object.keys(actual.enums)
    .filter((name) => !(name in theirs.enums))
    .sort();
  return {
    differences: diffSchemas(mine, theirs),
    notOurs: [...foreignTables.map((table) => `table ${table}`), ...foreignTypes.map((name) => `enum type ${name}`)],
  };
}

/**
 * Compares a live PostgreSQL database with the models: builds the models'
 * schema with `sync()` in a scratch namespace of the same database, reads both
 * from the catalog, drops the scratch namespace. Only the package's tables are
 * compared; the app's own tables are listed apart (`notOurs`).
 */
export async function schemaDrift(sequelize: Sequelize, options: DriftOptions = {}): Promise<SchemaDriftReport> {
  if ((sequelize as { memory?: unknown }).memory) {
    throw new Error('checkSchemaDrift reads PostgreSQL’s catalog, which pg-mem does not have: run it on PostgreSQL');
  }
  const expected = snapshotOf(await modelsCatalog(sequelize));
  return compareOwned(expected, await readSchema(sequelize, options.schema), options.ignore);
}

/** The differences between the package's tables in the database and the models; empty when none (see `schemaDrift`). */
export async function checkSchemaDrift(sequelize: Sequelize, options: DriftOptions = {}): Promise<string[]> {
  return (await schemaDrift(sequelize, options)).differences;
}

/** Raised by `assertNoSchemaDrift` with the differences in its message. */
export class SchemaDriftError extends Error {
  override name = 'SchemaDriftError';
  constructor(readonly differences: string[]) {
    super(`The database schema differs from the models:\n${differences.join('\n')}`);
  }
}

/** Throws a SchemaDriftError naming every difference between the database and the models. */
export async function assertNoSchemaDrift(sequelize: Sequelize, options: DriftOptions = {}): Promise<void> {
  const differences = await checkSchemaDrift(sequelize, options);
  if (differences.length > 0) throw new SchemaDriftError(differences);
}
