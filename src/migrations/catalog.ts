import type { Sequelize, Transaction } from 'sequelize';
import { MIGRATION_TABLE } from './runner';

export interface CatalogColumn {
  table: string;
  name: string;
  /** As PostgreSQL writes it (`format_type`): `character varying(32)`, `numeric(10,2)`, `text[]`, `enum_x`. */
  type: string;
  nullable: boolean;
  /** The default's SQL, or null. */
  default: string | null;
}

export interface CatalogIndex {
  table: string;
  name: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  predicate: string | null;
  /** The constraint the index backs (`p` primary key, `u` unique), which has to be dropped instead of the index. */
  constraint: 'p' | 'u' | null;
  /** `CREATE [UNIQUE] INDEX ...` as PostgreSQL prints it, without the namespace. */
  definition: string;
}

export interface CatalogForeignKey {
  table: string;
  name: string;
  columns: string[];
  target: string;
  targetColumns: string[];
  onDelete: string;
  onUpdate: string;
}

/** The tables of one namespace, read from PostgreSQL's catalog, with every name local to it. */
export interface Catalog {
  /** Columns in table order, then each table's column order. */
  columns: CatalogColumn[];
  /** ENUM type -> its labels in order. */
  enums: Record<string, string[]>;
  indexes: CatalogIndex[];
  foreignKeys: CatalogForeignKey[];
  /** CHECK constraints (the bounds of indexed text), with PostgreSQL's own definition. */
  checks: CatalogCheck[];
}

export interface CatalogCheck {
  table: string;
  name: string;
  /** `CHECK ((char_length(email) <= 2000))` */
  definition: string;
}

const ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** Reads the tables of one namespace (`public` by default); the migration table is left out. */
export async function readCatalog(
  sequelize: Sequelize,
  schema = 'public',
  transaction?: Transaction,
): Promise<Catalog> {
  const select = async <T>(sql: string) =>
    (await sequelize.query(sql, {
      type: 'SELECT',
      replacements: { schema, skip: MIGRATION_TABLE },
      // On the primary: a replica may not have the last migration yet.
      useMaster: true,
      ...(transaction ? { transaction } : {}),
    })) as T[];
  // Names outside the search path come qualified ('dev'::scratch.enum_x); the comparison is across namespaces.
  const local = (text: string) => text.split(`"${schema}".`).join('').split(`${schema}.`).join('');

  const columns = await select<{ table: string; name: string; type: string; nullable: boolean; default: string }>(`
    SELECT c.relname AS "table", a.attname AS "name", format_type(a.atttypid, a.atttypmod) AS "type",
      NOT a.attnotnull AS "nullable", pg_get_expr(d.adbin, d.adrelid) AS "default"
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      AND c.relname <> :skip
    ORDER BY c.relname, a.attnum`);

  const enums = await select<{ name: string; labels: string[] }>(`
    SELECT t.typname AS "name", array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS "labels"
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = :schema GROUP BY t.typname ORDER BY t.typname`);

  const indexes = await select<Omit<CatalogIndex, 'constraint'> & { constraint: string | null }>(`
    SELECT tc.relname AS "table", ic.relname AS "name",
      array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS "columns",
      i.indisunique AS "unique", i.indisprimary AS "primary", pg_get_expr(i.indpred, i.indrelid) AS "predicate",
      con.contype AS "constraint", pg_get_indexdef(i.indexrelid) AS "definition"
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class tc ON tc.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
      AND con.contype IN ('p', 'u')
    WHERE n.nspname = :schema AND tc.relname <> :skip
    ORDER BY tc.relname, ic.relname`);

  const foreignKeys = await select<Omit<CatalogForeignKey, 'onDelete' | 'onUpdate'> & { del: string; upd: string }>(`
    SELECT tc.relname AS "table", c.conname AS "name",
      array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS "columns",
      rc.relname AS "target",
      array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS "targetColumns",
      c.confdeltype AS "del", c.confupdtype AS "upd"
    FROM pg_constraint c
    JOIN pg_class tc ON tc.oid = c.conrelid
    JOIN pg_class rc ON rc.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    WHERE c.contype = 'f' AND n.nspname = :schema
    ORDER BY tc.relname, c.conname`);

  const checks = await select<CatalogCheck>(`
    SELECT tc.relname AS "table", c.conname AS "name", pg_get_constraintdef(c.oid) AS "definition"
    FROM pg_constraint c
    JOIN pg_class tc ON tc.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    WHERE c.contype = 'c' AND n.nspname = :schema AND tc.relname <> :skip
    ORDER BY tc.relname, c.conname`);

  return {
    columns: columns.map((column) => ({
      ...column,
      type: local(column.type),
      default: column.default === null ? null : local(column.default),
    })),
    enums: Object.fromEntries(enums.map((e) => [e.name, e.labels])),
    indexes: indexes.map((index) => ({
      ...index,
      predicate: index.predicate === null ? null : local(index.predicate),
      constraint: index.constraint === 'p' || index.constraint === 'u' ? index.constraint : null,
      definition: local(index.definition),
    })),
    foreignKeys: foreignKeys.map(({ del, upd, ...fk }) => ({
      ...fk,
      onDelete: ACTIONS[del] ?? 'NO ACTION',
      onUpdate: ACTIONS[upd] ?? 'NO ACTION',
    })),
    checks: checks.map((check) => ({ ...check, definition: local(check.definition) })),
  };
}
