import type { ModelAttributeColumnOptions, ModelStatic, QueryInterface, SyncOptions, Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';

/** A foreign key that has to wait until the table it points at exists. */
interface DeferredForeignKey {
  table: string;
  column: string;
  references: { table: string; column: string };
  onDelete: string;
  onUpdate: string;
}

type AnyModel = ModelStatic<never>;

function attributesOf(model: AnyModel): ModelAttributeColumnOptions[] {
  return Object.values(model.getAttributes()) as ModelAttributeColumnOptions[];
}

function referencedTable(reference: unknown): string | undefined {
  if (typeof reference === 'string') return reference;
  if (reference && typeof reference === 'object') {
    const model = (reference as { model?: unknown }).model;
    if (typeof model === 'string') return model;
    if (model && typeof model === 'object') return (model as { tableName: string }).tableName;
  }
  return undefined;
}

function foreignKeysOf(model: AnyModel): DeferredForeignKey[] {
  const table = model.getTableName() as string;
  return attributesOf(model).flatMap((attribute) => {
    const target = referencedTable(attribute.references);
    if (!target) return [];
    const key = (attribute.references as { key?: string }).key ?? 'id';
    return [
      {
        table,
        column: attribute.field ?? '',
        references: { table: target, column: key },
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
  for (const model of sequelize.modelManager.models as AnyModel[]) pending.set(model.getTableName() as string, model);
  const created = new Set<string>();
  const order: { model: AnyModel; deferred: DeferredForeignKey[] }[] = [];
  const ready = (model: AnyModel) =>
    foreignKeysOf(model).every((fk) => created.has(fk.references.table) || fk.references.table === fk.table);
  while (pending.size > 0) {
    // Prefer a table whose references all exist; in a cycle, take the first table left and defer its keys.
    const next = [...pending.values()].find(ready) ?? ([...pending.values()][0] as AnyModel);
    const table = next.getTableName() as string;
    const deferred = ready(next) ? [] : foreignKeysOf(next);
    order.push({ model: next, deferred });
    created.add(table);
    pending.delete(table);
  }
  return order;
}

async function addForeignKey(queryInterface: QueryInterface, fk: DeferredForeignKey) {
  await queryInterface.addConstraint(fk.table, {
    type: 'foreign key',
    name: `${fk.table}_${fk.column}_fkey`,
    fields: [fk.column],
    references: { table: fk.references.table, field: fk.references.column },
    onDelete: fk.onDelete,
    onUpdate: fk.onUpdate,
  });
}

/** Drops every table of the models and their ENUM types. */
export async function dropSchema(sequelize: Sequelize, options: { transaction?: Transaction } = {}): Promise<void> {
  const queryInterface = sequelize.getQueryInterface();
  const order = creationOrder(sequelize).reverse();
  for (const { model } of order) {
    await sequelize.query(
      `DROP TABLE IF EXISTS ${queryInterface.quoteIdentifier(model.getTableName() as string)} CASCADE`,
      {
        transaction: options.transaction,
      },
    );
  }
  for (const { model } of order) {
    for (const attribute of attributesOf(model)) {
      if ((attribute.type as { key?: string }).key !== 'ENUM') continue;
      const typeName = `enum_${model.getTableName() as string}_${attribute.field}`;
      await sequelize.query(`DROP TYPE IF EXISTS ${queryInterface.quoteIdentifier(typeName)}`, {
        transaction: options.transaction,
      });
    }
  }
}

/**
 * Creates the tables, indexes and foreign keys of the registered models.
 * Sequelize's own `sync()` meets the users <-> roles cycle with an `alter`
 * pass over every table; this one creates each table once and adds the few
 * cyclic keys afterwards, on PostgreSQL and on pg-mem alike.
 */
export async function syncSchema(sequelize: Sequelize, options: SyncOptions = {}): Promise<void> {
  if (options.force) await dropSchema(sequelize);
  const queryInterface = sequelize.getQueryInterface();
  const plan = creationOrder(sequelize);
  const existing = new Set<string>();
  for (const { model } of plan) {
    const table = model.getTableName() as string;
    if (await queryInterface.tableExists(table)) existing.add(table);
  }
  for (const { model, deferred } of plan) {
    // `withoutForeignKeyConstraints` is an option of Model.sync that Sequelize's types do not list.
    const modelOptions = { ...options, force: false, alter: false, withoutForeignKeyConstraints: deferred.length > 0 };
    await model.sync(modelOptions as SyncOptions);
  }
  for (const { model, deferred } of plan) {
    if (existing.has(model.getTableName() as string)) continue;
    for (const fk of deferred) await addForeignKey(queryInterface, fk);
  }
}
