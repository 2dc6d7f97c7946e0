import type { ModelAttributeColumnOptions, QueryInterface, SyncOptions } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { type AnyModel, attributesOf, type TableRef, tableOf } from '../models/base/metadata';

/** A foreign key that has to wait until the table it points at exists. */
export interface DeferredForeignKey {
  table: TableRef;
  column: string;
  references: { table: TableRef; column: string };
  onDelete: string;
  onUpdate: string;
}

function plainName(table: TableRef): string {
  return typeof table === 'string' ? table : table.tableName;
}

function schemaOf(table: TableRef): string | undefined {
  return typeof table === 'string' ? undefined : table.schema;
}

function columnDefinitionsOf(model: AnyModel): ModelAttributeColumnOptions[] {
  return attributesOf(model).map(([, column]) => column);
}

function referencedTable(reference: unknown): TableRef | undefined {
  if (typeof reference === 'string') return reference;
  if (reference && typeof reference === 'object') {
    const model = (reference as { model?: unknown }).model;
    if (typeof model === 'string') return model;
    if (model && typeof model === 'object') return model as TableRef;
  }
  return undefined;
}

/** The foreign keys of a model, as its attributes declare them. */
export function foreignKeysOf(model: AnyModel): DeferredForeignKey[] {
  return columnDefinitionsOf(model).flatMap((attribute) => {
    const target = referencedTable(attribute.references);
    if (!target) return [];
    return [
      {
        table: tableOf(model),
        column: attribute.field ?? '',
        references: { table: target, column: (attribute.references as { key?: string }).key ?? 'id' },
        onDelete: attribute.onDelete ?? 'NO ACTION',
        onUpdate: attribute.onUpdate ?? 'NO ACTION',
      },
    ];
  });
}

/**
 * The models in creation order: a model comes after the tables its foreign
 * keys point at, except where the references form a cycle (users -> roles ->
 * users through `createdById`); those keys are deferred.
 */
export function creationOrder(sequelize: Sequelize): { model: AnyModel; deferred: DeferredForeignKey[] }[] {
  const pending = new Map<string, AnyModel>();
  for (const model of sequelize.modelManager.models as AnyModel[]) pending.set(plainName(tableOf(model)), model);
  const created = new Set<string>();
  const order: { model: AnyModel; deferred: DeferredForeignKey[] }[] = [];
  const ready = (model: AnyModel) =>
    foreignKeysOf(model).every((fk) => {
      const target = plainName(fk.references.table);
      return created.has(target) || target === plainName(fk.table);
    });
  while (pending.size > 0) {
    // Prefer a table whose references all exist; in a cycle, take the first table left and defer its keys.
    const candidates = [...pending.values()];
    const next = candidates.find(ready) ?? (candidates[0] as AnyModel);
    const deferred = ready(next) ? [] : foreignKeysOf(next);
    order.push({ model: next, deferred });
    created.add(plainName(tableOf(next)));
    pending.delete(plainName(tableOf(next)));
  }
  return order;
}

/** The name PostgreSQL gives a foreign key declared inline, which the deferred ones take too: `table_column_fkey`. */
export function constraintName(fk: DeferredForeignKey): string {
  return `${plainName(fk.table)}_${fk.column}_fkey`;
}

async function addForeignKey(queryInterface: QueryInterface, fk: DeferredForeignKey): Promise<void> {
  await queryInterface.addConstraint(fk.table as string, {
    type: 'foreign key',
    name: constraintName(fk),
    fields: [fk.column],
    references: { table: fk.references.table as string, field: fk.references.column },
    onDelete: fk.onDelete,
    onUpdate: fk.onUpdate,
  });
}

function quoted(queryInterface: QueryInterface, table: TableRef, name = plainName(table)): string {
  const schema = schemaOf(table);
  const local = queryInterface.quoteIdentifier(name);
  return schema ? `${queryInterface.quoteIdentifier(schema)}.${local}` : local;
}

/** A bound on a TEXT column's length that the database enforces (see `lengthCheck` in the column builders). */
export interface LengthCheck {
  table: TableRef;
  column: string;
  max: number;
}

/** The length CHECKs of a model, from its attributes. */
export function lengthChecksOf(model: AnyModel): LengthCheck[] {
  return columnDefinitionsOf(model).flatMap((attribute) => {
    const max = (attribute as { lengthCheck?: number }).lengthCheck;
    return max === undefined ? [] : [{ table: tableOf(model), column: attribute.field ?? '', max }];
  });
}

/** The name of a length CHECK: `table_column_length`. */
export function lengthCheckName(check: LengthCheck): string {
  return `${plainName(check.table)}_${check.column}_length`;
}

/** The statement that adds a length CHECK; migration 0003 writes the same ones, so both schemas compare equal. */
export function addLengthCheckSql(queryInterface: QueryInterface, check: LengthCheck): string {
  const column = queryInterface.quoteIdentifier(check.column);
  return `ALTER TABLE ${quoted(queryInterface, check.table)} ADD CONSTRAINT ${queryInterface.quoteIdentifier(
    lengthCheckName(check),
  )} CHECK (char_length(${column}) <= ${check.max})`;
}

/** Drops every table of the models and their ENUM types. */
export async function dropSchema(sequelize: Sequelize): Promise<void> {
  const queryInterface = sequelize.getQueryInterface();
  const order = creationOrder(sequelize).reverse();
  for (const { model } of order) {
    await sequelize.query(`DROP TABLE IF EXISTS ${quoted(queryInterface, tableOf(model))} CASCADE`);
  }
  for (const { model } of order) {
    for (const attribute of columnDefinitionsOf(model)) {
      if ((attribute.type as { key?: string }).key !== 'ENUM') continue;
      const table = tableOf(model);
      await sequelize.query(
        `DROP TYPE IF EXISTS ${quoted(queryInterface, table, `enum_${plainName(table)}_${attribute.field}`)}`,
      );
    }
  }
}

/**
 * Creates the tables, indexes, foreign keys and length CHECKs of the registered models.
 * Sequelize's own `sync()` meets the users <-> roles cycle with an `alter`
 * pass over every table; this one creates each table once and adds the few
 * cyclic keys afterwards, on PostgreSQL and on pg-mem alike.
 */
export async function syncSchema(sequelize: Sequelize, options: SyncOptions = {}): Promise<void> {
  if (options.alter) {
    throw new Error('sync({ alter }) is not supported: change a database with a migration (see migrate())');
  }
  if (options.force) await dropSchema(sequelize);
  const queryInterface = sequelize.getQueryInterface();
  const plan = creationOrder(sequelize);
  const existing = new Set<string>();
  for (const { model } of plan) {
    if (await queryInterface.tableExists(tableOf(model) as string)) existing.add(plainName(tableOf(model)));
  }
  for (const { model, deferred } of plan) {
    // `withoutForeignKeyConstraints` is an option of Model.sync that Sequelize's types do not list.
    const modelOptions = { ...options, force: false, alter: false, withoutForeignKeyConstraints: deferred.length > 0 };
    await model.sync(modelOptions as SyncOptions);
  }
  for (const { model, deferred } of plan) {
    if (existing.has(plainName(tableOf(model)))) continue;
    for (const fk of deferred) await addForeignKey(queryInterface, fk);
    for (const check of lengthChecksOf(model)) await sequelize.query(addLengthCheckSql(queryInterface, check));
  }
}
