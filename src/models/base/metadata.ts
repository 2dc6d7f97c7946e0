import type { ModelAttributeColumnOptions, ModelStatic } from 'sequelize';

/** Any model class, whatever its attributes: for code that reads the models' metadata. */
export type AnyModel = ModelStatic<never>;

/** A table as Sequelize names it: a plain name, or `{ tableName, schema }` when the models live in a schema. */
export type TableRef = string | { tableName: string; schema?: string };

/** What the package reads of a column's definition. */
export type ColumnShape = ModelAttributeColumnOptions & { type: { key?: string }; field?: string | undefined };

export function tableOf(model: AnyModel): TableRef {
  return model.getTableName() as TableRef;
}

/** The table's own name, without its schema. */
export function tableNameOf(model: AnyModel): string {
  const table = tableOf(model);
  return typeof table === 'string' ? table : table.tableName;
}

const columnsByModel = new WeakMap<object, [string, ColumnShape][]>();

/** Every attribute of the model with its definition, VIRTUAL ones included; computed once per model. */
// biome-ignore lint/suspicious/noExplicitAny: any model class, whatever its attribute types
export function attributesOf(model: ModelStatic<any>): [string, ColumnShape][] {
  let attributes = columnsByModel.get(model);
  if (!attributes) {
    attributes = Object.entries(model.getAttributes()) as [string, ColumnShape][];
    columnsByModel.set(model, attributes);
  }
  return attributes;
}

/** The attributes stored in the table: all but VIRTUAL ones. */
// biome-ignore lint/suspicious/noExplicitAny: any model class, whatever its attribute types
export function columnsOf(model: ModelStatic<any>): [string, ColumnShape][] {
  return attributesOf(model).filter(([, column]) => column.type.key !== 'VIRTUAL');
}
