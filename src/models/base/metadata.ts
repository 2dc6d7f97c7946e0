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

interface AssociationShape {
  associationType: string;
  source: AnyModel;
  target: AnyModel;
  foreignKey: string;
  through?: { model: AnyModel } | undefined;
  options: { onDelete?: string | undefined; onUpdate?: string | undefined };
}

/** The column that holds an association's foreign key: on the source, the target or the join table. */
export function foreignKeyColumnOf(association: unknown): ColumnShape | undefined {
  const { associationType, source, target, foreignKey, through } = association as AssociationShape;
  const holder =
    associationType === 'BelongsTo' ? source : associationType === 'BelongsToMany' ? through?.model : target;
  return holder ? attributesOf(holder).find(([name]) => name === foreignKey)?.[1] : undefined;
}

/**
 * Each ON DELETE / ON UPDATE rule is stated once, on the foreign-key column (what the database gets). Sequelize
 * also fills the associations' options with rules of its own guessing; this copies the column's rules there, so
 * that every reader of the metadata sees the database's rule.
 */
// biome-ignore lint/suspicious/noExplicitAny: any model class, whatever its attribute types
export function alignAssociationRules(models: Iterable<ModelStatic<any>>): void {
  for (const model of models) {
    for (const association of Object.values(model.associations)) {
      const column = foreignKeyColumnOf(association);
      if (!column?.onDelete) continue;
      const options = (association as unknown as AssociationShape).options;
      options.onDelete = column.onDelete;
      options.onUpdate = column.onUpdate;
    }
  }
}
