import type { Sequelize } from 'sequelize';
import type { Catalog, CatalogColumn, CatalogForeignKey, CatalogIndex } from './catalog';
import { MIGRATIONS } from './list';
import { type AdjustModels, migrationsCatalog, modelsCatalog } from './scratch';
import type { Migration } from './types';

/**
 * The migration generator (`npm run migration:generate -- <name>`, for the
 * package's maintainers): the statements that take the schema the migrations
 * make to the schema the models make, and back, written as a migration file.
 * Built on the catalog reader of the drift check, so that a generated
 * migration leaves no drift by the same measure that `checkSchemaDrift` uses.
 */

/** One line of a generated statement list: SQL, or a comment for the reader. */
type Line = { sql: string } | { note: string };

export interface Transition {
  /** `ALTER TYPE ... ADD VALUE`: committed before the rest, which may use the new labels. */
  before: Line[];
  main: Line[];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const STRING_TYPE = /^(text|character varying(\(\d+\))?|character(\(\d+\))?)$/;
const SERIAL: Record<string, string> = { integer: 'serial', bigint: 'bigserial', smallint: 'smallserial' };

const tablesOf = (catalog: Catalog) => new Set(catalog.columns.map((column) => column.table));
const columnKey = (column: { table: string; name: string }) => `${column.table}.${column.name}`;

function indexKey(index: CatalogIndex): string {
  const kind = index.primary ? ' PRIMARY KEY' : index.unique ? ' UNIQUE' : '';
  return `${index.table} (${index.columns.join(', ')})${kind}${index.predicate ? ` WHERE ${index.predicate}` : ''}`;
}

function foreignKeyKey(fk: CatalogForeignKey): string {
  return `${fk.table} (${fk.columns.join(', ')}) -> ${fk.target} (${fk.targetColumns.join(', ')}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
}

/** A column's definition in CREATE TABLE / ADD COLUMN; `nextval` defaults become the serial type that makes them. */
function columnDefinition(column: CatalogColumn): string {
  const serial = column.default?.startsWith('nextval(') ? SERIAL[column.type] : undefined;
  const type = serial ?? column.type;
  const fallback = column.default !== null && !serial ? ` DEFAULT ${column.default}` : '';
  return `${quote(column.name)} ${type}${column.nullable ? '' : ' NOT NULL'}${fallback}`;
}

function enumTypeOf(column: CatalogColumn, enums: Record<string, string[]>): string | undefined {
  const name = column.type.replace(/^"(.*)"$/, '$1').replace(/""/g, '"');
  return name in enums ? name : undefined;
}

function createIndex(index: CatalogIndex): string {
  if (index.constraint === 'u') {
    return `ALTER TABLE ${quote(index.table)} ADD CONSTRAINT ${quote(index.name)} UNIQUE (${index.columns.map(quote).join(', ')})`;
  }
  if (index.constraint === 'p') {
    return `ALTER TABLE ${quote(index.table)} ADD CONSTRAINT ${quote(index.name)} PRIMARY KEY (${index.columns.map(quote).join(', ')})`;
  }
  return index.definition;
}

function dropIndex(index: CatalogIndex): string {
  return index.constraint
    ? `ALTER TABLE ${quote(index.table)} DROP CONSTRAINT ${quote(index.name)}`
    : `DROP INDEX ${quote(index.name)}`;
}

function addForeignKey(fk: CatalogForeignKey): string {
  return (
    `ALTER TABLE ${quote(fk.table)} ADD CONSTRAINT ${quote(fk.name)} FOREIGN KEY (${fk.columns.map(quote).join(', ')}) ` +
    `REFERENCES ${quote(fk.target)} (${fk.targetColumns.map(quote).join(', ')}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`
  );
}

/** Whether `older` keeps its order inside `newer`: labels were only added, so `ADD VALUE` can do it. */
function onlyAdded(older: readonly string[], newer: readonly string[]): boolean {
  let at = 0;
  for (const label of newer) if (label === older[at]) at += 1;
  return at === older.length;
}

/**
 * The statements that take a database from the schema `from` describes to
 * the one `to` describes. The order keeps every statement valid: foreign keys
 * and indexes that go are dropped first, then tables and columns that go;
 * ENUM types are created or rebuilt before the columns that use them; then
 * tables, columns, changes of columns, indexes and foreign keys are added;
 * ENUM types nothing uses any more go last.
 */
export function transition(from: Catalog, to: Catalog): Transition {
  const before: Line[] = [];
  const main: Line[] = [];
  const add = (sql: string) => main.push({ sql });
  const note = (text: string) => main.push({ note: text });
  const fromTables = tablesOf(from);
  const toTables = tablesOf(to);
  const droppedTables = [...fromTables].filter((table) => !toTables.has(table));
  const addedTables = [...toTables].filter((table) => !fromTables.has(table));
  const toColumns = new Map(to.columns.map((column) => [columnKey(column), column]));
  const fromColumns = new Map(from.columns.map((column) => [columnKey(column), column]));
  const keptTable = (table: string) => fromTables.has(table) && toTables.has(table);
  const droppedColumns = from.columns.filter((c) => keptTable(c.table) && !toColumns.has(columnKey(c)));
  const addedColumns = to.columns.filter((c) => keptTable(c.table) && !fromColumns.has(columnKey(c)));

  // Foreign keys and indexes that go, or change, are dropped while everything they name still exists.
  const toForeignKeys = new Set(to.foreignKeys.map(foreignKeyKey));
  const fromForeignKeys = new Set(from.foreignKeys.map(foreignKeyKey));
  for (const fk of from.foreignKeys) {
    if (toForeignKeys.has(foreignKeyKey(fk)) || droppedTables.includes(fk.table)) continue;
    add(`ALTER TABLE ${quote(fk.table)} DROP CONSTRAINT ${quote(fk.name)}`);
  }
  const toIndexes = new Set(to.indexes.map(indexKey));
  const fromIndexes = new Set(from.indexes.map(indexKey));
  for (const index of from.indexes) {
    if (toIndexes.has(indexKey(index)) || droppedTables.includes(index.table)) continue;
    add(dropIndex(index));
  }

  for (const table of droppedTables) {
    note(`Drops the table ${table} with its rows.`);
    add(`DROP TABLE ${quote(table)}`);
  }
  const droppedByTable = new Map<string, CatalogColumn[]>();
  for (const column of droppedColumns) {
    droppedByTable.set(column.table, [...(droppedByTable.get(column.table) ?? []), column]);
  }
  for (const [table, columns] of droppedByTable) {
    const added = addedColumns.filter((column) => column.table === table);
    if (added.length > 0) {
      note(
        `${table}: ${columns.map(({ name }) => name).join(', ')} dropped and ${added.map(({ name }) => name).join(', ')} added. ` +
          'If one is a rename, replace its DROP and ADD with ALTER TABLE ... RENAME COLUMN, which keeps the data.',
      );
    }
    for (const column of columns) add(`ALTER TABLE ${quote(table)} DROP COLUMN ${quote(column.name)}`);
  }

  // ENUM types: new ones, labels only added (ADD VALUE, committed first), others rebuilt.
  const defaults = new Map(from.columns.map((column) => [columnKey(column), column.default]));
  for (const [name, labels] of Object.entries(to.enums)) {
    const old = from.enums[name];
    if (!old) {
      add(`CREATE TYPE ${quote(name)} AS ENUM (${labels.map(literal).join(', ')})`);
    } else if (old.join('\u0000') === labels.join('\u0000')) {
      // unchanged
    } else if (onlyAdded(old, labels)) {
      labels.forEach((label, i) => {
        if (old.includes(label)) return;
        const position = i > 0 ? `AFTER ${literal(labels[i - 1] as string)}` : `BEFORE ${literal(labels[1] as string)}`;
        before.push({ sql: `ALTER TYPE ${quote(name)} ADD VALUE IF NOT EXISTS ${literal(label)} ${position}` });
      });
    } else {
      const removed = old.filter((label) => !labels.includes(label));
      note(
        `${name}: ${removed.length > 0 ? `${removed.join(', ')} removed` : 'labels reordered'}. PostgreSQL cannot ` +
          'remove a label, so the type is rebuilt; it fails while a row still holds a removed label.',
      );
      const old_ = `${name.slice(0, 58)}__old`;
      add(`ALTER TYPE ${quote(name)} RENAME TO ${quote(old_)}`);
      add(`CREATE TYPE ${quote(name)} AS ENUM (${labels.map(literal).join(', ')})`);
      const users = from.columns.filter(
        (column) =>
          enumTypeOf(column, from.enums) === name && keptTable(column.table) && toColumns.has(columnKey(column)),
      );
      for (const column of users) {
        const target = `ALTER TABLE ${quote(column.table)} ALTER COLUMN ${quote(column.name)}`;
        if (column.default !== null) {
          add(`${target} DROP DEFAULT`);
          defaults.set(columnKey(column), null);
        }
        add(`${target} TYPE ${quote(name)} USING ${quote(column.name)}::text::${quote(name)}`);
      }
      add(`DROP TYPE ${quote(old_)}`);
    }
  }

  for (const table of addedTables) {
    const columns = to.columns.filter((column) => column.table === table);
    const primary = to.indexes.find((index) => index.table === table && index.constraint === 'p');
    const parts = columns.map(columnDefinition);
    if (primary) {
      parts.push(`CONSTRAINT ${quote(primary.name)} PRIMARY KEY (${primary.columns.map(quote).join(', ')})`);
    }
    add(`CREATE TABLE ${quote(table)} (\n  ${parts.join(',\n  ')}\n)`);
  }
  for (const column of addedColumns) {
    if (!column.nullable && column.default === null) {
      note(`${column.table}.${column.name} is NOT NULL without a default: this fails on a table with rows.`);
    }
    add(`ALTER TABLE ${quote(column.table)} ADD COLUMN ${columnDefinition(column)}`);
  }

  // Columns on both sides: type, then default, then nullability.
  for (const column of to.columns) {
    const old = fromColumns.get(columnKey(column));
    if (!old || !keptTable(column.table)) continue;
    const target = `ALTER TABLE ${quote(column.table)} ALTER COLUMN ${quote(column.name)}`;
    let current = defaults.get(columnKey(column)) ?? null;
    if (old.type !== column.type) {
      if (current !== null) {
        add(`${target} DROP DEFAULT`);
        current = null;
      }
      const toEnum = enumTypeOf(column, to.enums);
      const using =
        STRING_TYPE.test(old.type) && STRING_TYPE.test(column.type)
          ? ''
          : ` USING ${quote(column.name)}::${toEnum ? 'text::' : ''}${column.type}`;
      note(`${column.table}.${column.name}: ${old.type} -> ${column.type}; fails on a value the new type cannot hold.`);
      add(`${target} TYPE ${column.type}${using}`);
    }
    if (current !== column.default) {
      add(column.default === null ? `${target} DROP DEFAULT` : `${target} SET DEFAULT ${column.default}`);
    }
    if (old.nullable !== column.nullable) {
      if (!column.nullable) note(`${column.table}.${column.name} becomes NOT NULL: this fails while a row holds NULL.`);
      add(`${target} ${column.nullable ? 'DROP' : 'SET'} NOT NULL`);
    }
  }

  for (const index of to.indexes) {
    if (fromIndexes.has(indexKey(index)) && keptTable(index.table)) continue;
    if (addedTables.includes(index.table) && index.constraint === 'p') continue;
    add(createIndex(index));
  }
  for (const fk of to.foreignKeys) {
    if (fromForeignKeys.has(foreignKeyKey(fk)) && keptTable(fk.table)) continue;
    add(addForeignKey(fk));
  }
  for (const name of Object.keys(from.enums)) {
    if (!(name in to.enums)) add(`DROP TYPE ${quote(name)}`);
  }
  return { before, main };
}

function renderLines(lines: Line[]): string {
  const template = (sql: string) => `\`${sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\``;
  return lines
    .map((line) => ('note' in line ? `  // ${line.note}` : `  ${template(line.sql).replace(/\n/g, '\n  ')},`))
    .join('\n');
}

const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The source of a migration file for `up` and `down`. */
export function renderMigration(name: string, up: Transition, down: Transition): string {
  const [number, ...words] = name.split('-');
  const constant = `migration${number}${camel(`-${words.join('-')}`)}`;
  const lists: string[] = [];
  const methods: string[] = [];
  const run = (list: string) => `    for (const sql of ${list}) await sequelize.query(sql, { transaction });`;
  const section = (list: string, lines: Line[], method: string, why?: string) => {
    if (lines.length === 0 && method.startsWith('before')) return;
    lists.push(`const ${list}: string[] = [\n${renderLines(lines)}\n];`);
    methods.push(
      `${why ? `  // ${why}\n` : ''}  async ${method}({ context: { sequelize, transaction } }) {\n${run(list)}\n  },`,
    );
  };
  const why =
    'ENUM labels added here are usable only once committed, so they are added before, in a transaction of their own.';
  section('BEFORE_UP', up.before, 'beforeUp', why);
  section('UP', up.main, 'up');
  section('BEFORE_DOWN', down.before, 'beforeDown', why);
  section('DOWN', down.main, 'down');
  return `import type { Migration } from './types';

/**
 * ${name}: generated by \`npm run migration:generate\` from the difference between the models and the schema
 * the migrations before it make. Read it before committing: the comments mark what needs a decision.
 */

${lists.join('\n\n')}

export const ${constant}: Migration = {
  name: '${name}',
${methods.join('\n')}
};
`;
}

export interface GenerateOptions {
  /** `NNNN-what-it-does`. */
  name: string;
  /** The migrations whose result is the starting point; the package's by default. */
  migrations?: readonly Migration[];
  /** Changes the models before their schema is read (the generator's tests use it). */
  adjustModels?: AdjustModels;
}

export interface GeneratedMigration {
  /** The file's source; `undefined` when the models and the migrations agree. */
  source: string | undefined;
  /** The name of the exported constant, for the list. */
  constant: string | undefined;
}

/** The next free `NNNN` after the numbered names given. */
export function nextNumber(names: readonly string[]): string {
  const numbers = names.map((name) => Number(/^(\d+)-/.exec(name)?.[1] ?? 0));
  return String(Math.max(0, ...numbers) + 1).padStart(4, '0');
}

/**
 * Runs the migrations and the models' `sync()` each in a scratch namespace of
 * the database of `sequelize` (nothing else in it is touched), and writes the
 * migration between the two.
 */
export async function generateMigration(sequelize: Sequelize, options: GenerateOptions): Promise<GeneratedMigration> {
  if (!/^\d{4}-[a-z0-9]+(-[a-z0-9]+)*$/.test(options.name)) {
    throw new Error(`A migration's name is NNNN-words-in-kebab-case, got "${options.name}"`);
  }
  const head = await migrationsCatalog(sequelize, options.migrations ?? MIGRATIONS);
  const models = await modelsCatalog(sequelize, options.adjustModels);
  const up = transition(head, models);
  if (up.before.length === 0 && up.main.length === 0) return { source: undefined, constant: undefined };
  const source = renderMigration(options.name, up, transition(models, head));
  return { source, constant: /export const (\w+)/.exec(source)?.[1] };
}
