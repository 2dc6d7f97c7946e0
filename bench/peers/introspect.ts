/**
 * Writes each peer's schema from the catalogue of a database the package
 * migrated, the way `drizzle-kit pull`, `prisma db pull` or kysely-codegen
 * would: `schema/drizzle.ts`, `schema/typeorm.ts`, `schema/kysely.ts` and
 * `schema.prisma`. Its output is committed; run it again after a migration:
 *
 *   npx ts-node --transpile-only bench/peers/introspect.ts postgres://postgres@127.0.0.1:5432/tbp_bench_peers
 *
 * (`prisma db pull` itself needs the schema engine, a native binary that
 * cannot be downloaded here; see README.md beside this file.)
 *
 * Relations come from the foreign keys. The side holding the key is named
 * after the key without its `Id` suffix (`projectId` -> `project`), the other
 * side `<child table>_<that name>` (`tour_pages_project`): the package's own
 * aliases where it has them.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

interface Column {
  name: string;
  dataType: string;
  udt: string;
  nullable: boolean;
  defaultSql: string | null;
  length: number | null;
}

interface ForeignKey {
  child: string;
  column: string;
  parent: string;
  parentColumn: string;
}

interface Catalogue {
  enums: Map<string, string[]>;
  tables: Map<string, Column[]>;
  primaryKeys: Map<string, string[]>;
  foreignKeys: ForeignKey[];
}

async function readCatalogue(url: string): Promise<Catalogue> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const enums = await client.query<{ name: string; labels: string[] }>(
      `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`,
    );
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      udt_name: string;
      is_nullable: string;
      column_default: string | null;
      character_maximum_length: number | null;
    }>(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length
       FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> 'SequelizeMeta'
       ORDER BY table_name, ordinal_position`,
    );
    const keys = await client.query<{
      contype: string;
      child: string;
      columns: string[];
      parent: string | null;
      parent_columns: string[] | null;
    }>(
      `SELECT c.contype, c.conrelid::regclass::text AS child,
              array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
              CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END AS parent,
              CASE WHEN c.contype = 'f' THEN array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) END AS parent_columns
       FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
       WHERE s.nspname = 'public' AND c.contype IN ('p', 'f')
       ORDER BY child, c.conname`,
    );
    const unquote = (name: string) => name.replace(/^"(.*)"$/, '$1');
    const tables = new Map<string, Column[]>();
    for (const row of columns.rows) {
      const list = tables.get(row.table_name) ?? [];
      list.push({
        name: row.column_name,
        dataType: row.data_type,
        udt: row.udt_name,
        nullable: row.is_nullable === 'YES',
        defaultSql: row.column_default,
        length: row.character_maximum_length,
      });
      tables.set(row.table_name, list);
    }
    const primaryKeys = new Map<string, string[]>();
    const foreignKeys: ForeignKey[] = [];
    for (const row of keys.rows) {
      const child = unquote(row.child);
      if (row.contype === 'p') primaryKeys.set(child, row.columns);
      else
        foreignKeys.push({
          child,
          column: row.columns[0] as string,
          parent: unquote(row.parent as string),
          parentColumn: (row.parent_columns as string[])[0] as string,
        });
    }
    return { enums: new Map(enums.rows.map((row) => [row.name, row.labels])), tables, primaryKeys, foreignKeys };
  } finally {
    await client.end();
  }
}

/** `'dev'::enum_x` -> 'dev', `false` -> false, `700` -> 700. */
function defaultValue(sql: string | null): string | number | boolean | undefined {
  if (sql === null) return undefined;
  const literal = sql.replace(/::[\w ."]+$/, '');
  if (literal === 'true' || literal === 'false') return literal === 'true';
  if (/^-?\d+(\.\d+)?$/.test(literal)) return Number(literal);
  const quoted = /^'(.*)'$/.exec(literal);
  if (quoted) return (quoted[1] as string).replace(/''/g, "'");
  throw new Error(`default not understood: ${sql}`);
}

const oneName = (column: string) => column.replace(/_?[Ii]d$/, '');
const manyName = (key: ForeignKey) => `${key.child}_${oneName(key.column)}`;
const relationName = (key: ForeignKey) => `${key.child}_${key.column}`;
const isTimestamp = (column: Column) => column.dataType === 'timestamp with time zone';
const isEnum = (column: Column) => column.dataType === 'USER-DEFINED';
const header = (what: string) =>
  `// Generated by bench/peers/introspect.ts from the migrated schema (${what}); do not edit.\n`;

// ---------------------------------------------------------------------------------------------- drizzle

function drizzle(catalogue: Catalogue): string {
  const lines = [
    header('drizzle-orm, node-postgres'),
    "import { randomUUID } from 'node:crypto';",
    "import { relations } from 'drizzle-orm';",
    "import { boolean, integer, json, numeric, pgEnum, pgTable, primaryKey, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';",
    '',
  ];
  for (const [name, labels] of catalogue.enums) {
    lines.push(`export const ${name} = pgEnum('${name}', [${labels.map((label) => `'${label}'`).join(', ')}]);`);
  }
  lines.push('');
  for (const [table, columns] of catalogue.tables) {
    const primary = catalogue.primaryKeys.get(table) ?? [];
    lines.push(`export const ${table} = pgTable(`, `  '${table}',`, '  {');
    for (const column of columns) {
      let builder: string;
      if (isEnum(column)) builder = `${column.udt}('${column.name}')`;
      else if (column.dataType === 'uuid') builder = `uuid('${column.name}')`;
      else if (column.dataType === 'character varying')
        builder = `varchar('${column.name}', { length: ${column.length} })`;
      else if (column.dataType === 'text') builder = `text('${column.name}')`;
      else if (column.dataType === 'integer') builder = `integer('${column.name}')`;
      else if (column.dataType === 'boolean') builder = `boolean('${column.name}')`;
      else if (column.dataType === 'numeric') builder = `numeric('${column.name}')`;
      else if (column.dataType === 'json') builder = `json('${column.name}')`;
      else if (isTimestamp(column)) builder = `timestamp('${column.name}', { withTimezone: true, mode: 'date' })`;
      else throw new Error(`${table}.${column.name}: type ${column.dataType} not mapped`);
      if (primary.length === 1 && primary[0] === column.name) builder += '.primaryKey()';
      else if (!column.nullable) builder += '.notNull()';
      const fallback = defaultValue(column.defaultSql);
      if (fallback !== undefined) builder += `.default(${JSON.stringify(fallback)})`;
      // The tables have no server-side defaults for these: the application fills them, as the package does.
      if (column.name === 'id' && column.dataType === 'uuid') builder += '.$defaultFn(() => randomUUID())';
      if (column.name === 'createdAt') builder += '.$defaultFn(() => new Date())';
      if (column.name === 'updatedAt') builder += '.$defaultFn(() => new Date()).$onUpdateFn(() => new Date())';
      lines.push(`    ${JSON.stringify(column.name)}: ${builder},`);
    }
    lines.push('  },');
    if (primary.length > 1) {
      lines.push(`  (t) => [primaryKey({ columns: [${primary.map((c) => `t[${JSON.stringify(c)}]`).join(', ')}] })],`);
    }
    lines.push(');', '');
  }
  for (const table of catalogue.tables.keys()) {
    const ones = catalogue.foreignKeys.filter((key) => key.child === table);
    const manys = catalogue.foreignKeys.filter((key) => key.parent === table);
    if (!ones.length && !manys.length) continue;
    const kinds = [ones.length ? 'one' : '', manys.length ? 'many' : ''].filter(Boolean).join(', ');
    lines.push(`export const ${table}Relations = relations(${table}, ({ ${kinds} }) => ({`);
    for (const key of ones) {
      lines.push(
        `  ${oneName(key.column)}: one(${key.parent}, { fields: [${table}[${JSON.stringify(key.column)}]], references: [${key.parent}[${JSON.stringify(key.parentColumn)}]], relationName: '${relationName(key)}' }),`,
      );
    }
    for (const key of manys) {
      lines.push(`  ${manyName(key)}: many(${key.child}, { relationName: '${relationName(key)}' }),`);
    }
    lines.push('}));', '');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- kysely

function tsType(catalogue: Catalogue, column: Column): string {
  if (isEnum(column)) return (catalogue.enums.get(column.udt) ?? []).map((label) => `'${label}'`).join(' | ');
  switch (column.dataType) {
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'json':
      return 'Json';
    case 'timestamp with time zone':
      return 'Date';
    // numeric comes back as a string from pg, so that no precision is lost.
    default:
      return 'string';
  }
}

function kysely(catalogue: Catalogue): string {
  const lines = [
    header('kysely'),
    "import type { ColumnType, Generated } from 'kysely';",
    '',
    'export type Json = ColumnType<unknown, string, string>;',
    '',
  ];
  const database: string[] = [];
  for (const [table, columns] of catalogue.tables) {
    lines.push(`export interface ${table}Table {`);
    for (const column of columns) {
      let type = tsType(catalogue, column);
      if (column.nullable) type = `${type} | null`;
      if (column.defaultSql !== null) type = `Generated<${type}>`;
      lines.push(`  ${JSON.stringify(column.name)}: ${type};`);
    }
    lines.push('}', '');
    database.push(`  ${JSON.stringify(table)}: ${table}Table;`);
  }
  lines.push('export interface Database {', ...database, '}', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- typeorm

function typeorm(catalogue: Catalogue): string {
  const lines = [header('typeorm, EntitySchema'), "import { EntitySchema } from 'typeorm';", ''];
  for (const [table, columns] of catalogue.tables) {
    lines.push(`export interface ${table}Entity {`);
    for (const column of columns) {
      let type = tsType(catalogue, column).replace('Json', 'unknown');
      if (column.nullable) type = `${type} | null`;
      lines.push(`  ${JSON.stringify(column.name)}: ${type};`);
    }
    for (const key of catalogue.foreignKeys.filter((k) => k.child === table)) {
      lines.push(`  ${oneName(key.column)}?: ${key.parent}Entity | null;`);
    }
    for (const key of catalogue.foreignKeys.filter((k) => k.parent === table)) {
      lines.push(`  ${manyName(key)}?: ${key.child}Entity[];`);
    }
    lines.push('}', '');
  }
  for (const [table, columns] of catalogue.tables) {
    const primary = catalogue.primaryKeys.get(table) ?? [];
    lines.push(`export const ${table} = new EntitySchema<${table}Entity>({`, `  name: '${table}',`, '  columns: {');
    for (const column of columns) {
      const options: string[] = [];
      if (column.name === 'createdAt') options.push('createDate: true');
      else if (column.name === 'updatedAt') options.push('updateDate: true');
      else if (column.name === 'deletedAt') options.push('deleteDate: true');
      if (isEnum(column)) {
        options.push(
          "type: 'enum'",
          `enumName: '${column.udt}'`,
          `enum: [${(catalogue.enums.get(column.udt) ?? []).map((label) => `'${label}'`).join(', ')}]`,
        );
      } else if (isTimestamp(column)) options.push("type: 'timestamptz'");
      else if (column.dataType === 'character varying') options.push("type: 'varchar'", `length: ${column.length}`);
      else options.push(`type: '${column.dataType}'`);
      if (primary.includes(column.name)) options.push('primary: true');
      if (column.nullable) options.push('nullable: true');
      const fallback = defaultValue(column.defaultSql);
      if (fallback !== undefined) options.push(`default: ${JSON.stringify(fallback)}`);
      // What the default scope of the package leaves out, TypeORM's `select: false` leaves out.
      if (table === 'users' && ['password', 'emailVerificationToken', 'passwordResetToken'].includes(column.name)) {
        options.push('select: false');
      }
      lines.push(`    ${JSON.stringify(column.name)}: { ${options.join(', ')} },`);
    }
    lines.push('  },');
    const ones = catalogue.foreignKeys.filter((key) => key.child === table);
    const manys = catalogue.foreignKeys.filter((key) => key.parent === table);
    if (ones.length || manys.length) {
      lines.push('  relations: {');
      for (const key of ones) {
        lines.push(
          `    ${oneName(key.column)}: { type: 'many-to-one', target: '${key.parent}', joinColumn: { name: '${key.column}' }, inverseSide: '${manyName(key)}', createForeignKeyConstraints: false },`,
        );
      }
      for (const key of manys) {
        lines.push(
          `    ${manyName(key)}: { type: 'one-to-many', target: '${key.child}', inverseSide: '${oneName(key.column)}' },`,
        );
      }
      lines.push('  },');
    }
    lines.push('});', '');
  }
  lines.push(`export const entities = [${[...catalogue.tables.keys()].join(', ')}];`, '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- prisma

function prismaType(catalogue: Catalogue, column: Column): string {
  if (isEnum(column)) return column.udt;
  switch (column.dataType) {
    case 'uuid':
      return 'String @db.Uuid';
    case 'character varying':
      return `String @db.VarChar(${column.length})`;
    case 'text':
      return 'String';
    case 'integer':
      return 'Int';
    case 'boolean':
      return 'Boolean';
    case 'numeric':
      return 'Decimal @db.Decimal';
    case 'json':
      return 'Json @db.Json';
    case 'timestamp with time zone':
      return 'DateTime @db.Timestamptz(6)';
    default:
      throw new Error(`${column.name}: type ${column.dataType} not mapped for prisma (${catalogue.tables.size})`);
  }
}

function prisma(catalogue: Catalogue): string {
  const lines = [
    header('prisma'),
    'generator client {',
    '  provider        = "prisma-client"',
    '  output          = "./generated/prisma"',
    '  moduleFormat    = "cjs"',
    '  previewFeatures = ["relationJoins"]',
    '}',
    '',
    'datasource db {',
    '  provider = "postgresql"',
    '}',
    '',
  ];
  for (const [name, labels] of catalogue.enums) {
    lines.push(`enum ${name} {`, ...labels.map((label) => `  ${label}`), '}', '');
  }
  for (const [table, columns] of catalogue.tables) {
    const primary = catalogue.primaryKeys.get(table) ?? [];
    lines.push(`model ${table} {`);
    for (const column of columns) {
      const [base, ...attributes] = prismaType(catalogue, column).split(' ');
      const parts = [column.name, `${base}${column.nullable ? '?' : ''}`];
      if (primary.length === 1 && primary[0] === column.name) parts.push('@id');
      const fallback = defaultValue(column.defaultSql);
      if (fallback !== undefined)
        parts.push(
          `@default(${typeof fallback === 'string' && !isEnum(column) ? JSON.stringify(fallback) : fallback})`,
        );
      if (column.name === 'id' && column.dataType === 'uuid') parts.push('@default(uuid())');
      if (column.name === 'createdAt') parts.push('@default(now())');
      if (column.name === 'updatedAt') parts.push('@updatedAt');
      parts.push(...attributes);
      lines.push(`  ${parts.join(' ')}`);
    }
    for (const key of catalogue.foreignKeys.filter((k) => k.child === table)) {
      const column = columns.find((c) => c.name === key.column) as Column;
      lines.push(
        `  ${oneName(key.column)} ${key.parent}${column.nullable ? '?' : ''} @relation("${relationName(key)}", fields: [${key.column}], references: [${key.parentColumn}])`,
      );
    }
    for (const key of catalogue.foreignKeys.filter((k) => k.parent === table)) {
      lines.push(`  ${manyName(key)} ${key.child}[] @relation("${relationName(key)}")`);
    }
    if (primary.length > 1) lines.push('', `  @@id([${primary.join(', ')}])`);
    lines.push('}', '');
  }
  return lines.join('\n');
}

/** The prisma CLI offline: no engine download, no update check. */
export function prismaEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: join(__dirname, 'no-schema-engine.sh'),
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  };
}

async function main() {
  const url = process.argv[2];
  if (!url) throw new Error('usage: introspect.ts postgres://.../database-migrated-by-the-package');
  const catalogue = await readCatalogue(url);
  writeFileSync(join(__dirname, 'schema', 'drizzle.ts'), drizzle(catalogue));
  writeFileSync(join(__dirname, 'schema', 'kysely.ts'), kysely(catalogue));
  writeFileSync(join(__dirname, 'schema', 'typeorm.ts'), typeorm(catalogue));
  writeFileSync(join(__dirname, 'schema.prisma'), prisma(catalogue));
  // In the repository's style, as each tool formats its own files.
  const root = join(__dirname, '..', '..');
  const format = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const child = spawnSync(command, args, { cwd: __dirname, stdio: 'inherit', env });
    if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  };
  format(join(root, 'node_modules', '.bin', 'biome'), ['check', '--write', '--unsafe', 'schema']);
  format(join(__dirname, 'node_modules', '.bin', 'prisma'), ['format', '--schema', 'schema.prisma'], prismaEnv());
  process.stdout.write(
    `wrote the schemas of ${catalogue.tables.size} tables, ${catalogue.enums.size} enums, ${catalogue.foreignKeys.length} foreign keys\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`introspect: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
