import { randomBytes } from 'node:crypto';
import type { Options, Sequelize } from 'sequelize';
import { TbpSequelize } from '../db/create-db';
import { syncSchema } from '../db/sync';
import { models } from '../models';
import { MIGRATION_TABLE } from './runner';

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
  /** `table constraint` -> its definition (`CHECK ((char_length(email) <= 2000))`). */
  checks: Record<string, string>;
}

const ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** Reads the tables of one namespace (`public` by default) from the catalog; the migration table is left out. */
export async function readSchema(sequelize: Sequelize, schema = 'public'): Promise<SchemaSnapshot> {
  const select = async <T>(sql: string) =>
    (await sequelize.query(sql, { type: 'SELECT', replacements: { schema, skip: MIGRATION_TABLE } })) as T[];
  // Defaults name ENUM types with their schema ('dev'::public.enum_x); the comparison is across schemas.
  const local = (text: string) => text.split(`${schema}.`).join('').split(`"${schema}".`).join('');

  const columns = await select<{ table: string; column: string; type: string; nullable: string; default: string }>(`
    SELECT c.table_name AS "table", c.column_name AS "column",
      CASE WHEN c.data_type = 'USER-DEFINED' THEN c.udt_name
           WHEN c.character_maximum_length IS NOT NULL THEN c.data_type || '(' || c.character_maximum_length || ')'
           ELSE c.data_type END AS "type",
      c.is_nullable AS "nullable", c.column_default AS "default"
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = :schema AND t.table_type = 'BASE TABLE' AND c.table_name <> :skip`);

  const enums = await select<{ name: string; labels: string[] }>(`
    SELECT t.typname AS "name", array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS "labels"
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = :schema GROUP BY t.typname`);

  const indexes = await select<{
    table: string;
    name: string;
    columns: string[];
    unique: boolean;
    primary: boolean;
    predicate: string | null;
  }>(`
    SELECT tc.relname AS "table", ic.relname AS "name",
      array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS "columns",
      i.indisunique AS "unique", i.indisprimary AS "primary", pg_get_expr(i.indpred, i.indrelid) AS "predicate"
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class tc ON tc.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    WHERE n.nspname = :schema AND tc.relname <> :skip`);

  const foreignKeys = await select<{
    table: string;
    columns: string[];
    target: string;
    targetColumns: string[];
    onDelete: string;
    onUpdate: string;
  }>(`
    SELECT tc.relname AS "table",
      array(SELECT a.attname FROM unnest(c.conkey) AS k(attnum)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)::text[] AS "columns",
      rc.relname AS "target",
      array(SELECT a.attname FROM unnest(c.confkey) AS k(attnum)
            JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum)::text[] AS "targetColumns",
      c.confdeltype AS "onDelete", c.confupdtype AS "onUpdate"
    FROM pg_constraint c
    JOIN pg_class tc ON tc.oid = c.conrelid
    JOIN pg_class rc ON rc.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    WHERE c.contype = 'f' AND n.nspname = :schema`);

  const checks = await select<{ table: string; name: string; definition: string }>(`
    SELECT tc.relname AS "table", c.conname AS "name", pg_get_constraintdef(c.oid) AS "definition"
    FROM pg_constraint c
    JOIN pg_class tc ON tc.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    WHERE c.contype = 'c' AND n.nspname = :schema AND tc.relname <> :skip`);

  const snapshot: SchemaSnapshot = { columns: {}, enums: {}, indexes: {}, foreignKeys: {}, checks: {} };
  for (const c of columns) {
    const fallback = c.default === null ? '' : ` DEFAULT ${local(c.default)}`;
    snapshot.columns[`${c.table}.${c.column}`] = `${c.type} ${c.nullable === 'YES' ? 'NULL' : 'NOT NULL'}${fallback}`;
  }
  for (const e of enums) snapshot.enums[e.name] = e.labels;
  for (const i of indexes) {
    const kind = `${i.primary ? ' PRIMARY KEY' : i.unique ? ' UNIQUE' : ''}`;
    const where = i.predicate ? ` WHERE ${local(i.predicate)}` : '';
    snapshot.indexes[`${i.table} (${i.columns.join(', ')})${kind}${where}`] = i.name;
  }
  for (const f of foreignKeys) {
    const key = `${f.table} (${f.columns.join(', ')}) -> ${f.target} (${f.targetColumns.join(', ')})`;
    snapshot.foreignKeys[key] = `ON DELETE ${ACTIONS[f.onDelete]} ON UPDATE ${ACTIONS[f.onUpdate]}`;
  }
  for (const c of checks) snapshot.checks[`${c.table} ${c.name}`] = local(c.definition);
  return snapshot;
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

/** Raised by `assertNoSchemaDrift` with the differences in its message. */
export class SchemaDriftError extends Error {
  override name = 'SchemaDriftError';
  constructor(readonly differences: string[]) {
    super(`The database schema differs from the models:\n${differences.join('\n')}`);
  }
}

/**
 * Compares a live PostgreSQL database with the models: builds the models'
 * schema with `sync()` in a scratch namespace of the same database, reads both
 * from the catalog, drops the scratch namespace, and returns the differences
 * (empty when none). An app can refuse to start on a drifted schema.
 */
export async function checkSchemaDrift(sequelize: Sequelize, options: { schema?: string } = {}): Promise<string[]> {
  if ((sequelize as Partial<TbpSequelize>).memory) {
    throw new Error('checkSchemaDrift reads PostgreSQL’s catalog, which pg-mem does not have: run it on PostgreSQL');
  }
  const scratch = `tbp_drift_${randomBytes(6).toString('hex')}`;
  const { database, username, password, host, port } = sequelize.config;
  const reference = new TbpSequelize({
    dialect: 'postgres',
    database,
    username,
    password: password ?? undefined,
    host,
    port: Number(port),
    // Sequelize keeps its options on the instance without declaring them in its types.
    dialectOptions: (sequelize as unknown as { options: Options }).options.dialectOptions,
    logging: false,
    pool: { max: 1 },
    define: { schema: scratch },
    repositoryMode: true,
    models,
  });
  try {
    await reference.query(`CREATE SCHEMA "${scratch}"`);
    await syncSchema(reference);
    return diffSchemas(await readSchema(reference, scratch), await readSchema(sequelize, options.schema));
  } finally {
    await reference.query(`DROP SCHEMA IF EXISTS "${scratch}" CASCADE`).catch(() => undefined);
    await reference.close();
  }
}

/** Throws a SchemaDriftError naming every difference between the database and the models. */
export async function assertNoSchemaDrift(sequelize: Sequelize, options: { schema?: string } = {}): Promise<void> {
  const differences = await checkSchemaDrift(sequelize, options);
  if (differences.length > 0) throw new SchemaDriftError(differences);
}
