import {
  DatabaseError,
  ForeignKeyConstraintError,
  type Model,
  type ModelStatic,
  UniqueConstraintError,
  ValidationErrorItem,
} from 'sequelize';
import { constraintName, foreignKeysOf } from './sync';

/** A foreign-key column, under the name of its constraint (`table_column_fkey`). */
export interface ForeignKeyColumn {
  table: string;
  column: string;
}

/** The foreign-key constraints of a set of models, by the name PostgreSQL gives them. */
export function foreignKeyConstraints(models: Iterable<unknown>): Map<string, ForeignKeyColumn> {
  const constraints = new Map<string, ForeignKeyColumn>();
  for (const model of models) {
    for (const fk of foreignKeysOf(model as ModelStatic<never>)) {
      const table = typeof fk.table === 'string' ? fk.table : fk.table.tableName;
      constraints.set(constraintName(fk), { table, column: fk.column });
    }
  }
  return constraints;
}

/**
 * Makes constraint errors name their fields on both backends.
 *
 * - PostgreSQL: Sequelize fills a unique violation's fields from the error's
 *   detail but leaves a foreign-key violation's `fields` null; the same detail
 *   (`Key (projectId)=(...) is not present in table "projects"`) names them.
 * - pg-mem: its errors carry no detail and no code for foreign keys; its
 *   messages name the unique columns (`returning "a,b" - duplicate key`) and the
 *   violated foreign key's constraint, which the package names `table_column_fkey`.
 */
export function normaliseQueryError(
  error: unknown,
  options: { instance?: Model } | undefined,
  foreignKeys: () => ReadonlyMap<string, ForeignKeyColumn>,
): unknown {
  if (error instanceof UniqueConstraintError && Object.keys(error.fields ?? {}).length === 0) {
    return uniqueFromMessage(error, options?.instance);
  }
  if (error instanceof ForeignKeyConstraintError && !error.fields) {
    return foreignKeyFromDetail(error);
  }
  if (error instanceof DatabaseError && !(error instanceof ForeignKeyConstraintError)) {
    return foreignKeyFromMessage(error, options?.instance, foreignKeys) ?? error;
  }
  return error;
}

type DatabaseErrorParent = NonNullable<ConstructorParameters<typeof ForeignKeyConstraintError>[0]>['parent'];
type Relationship = NonNullable<ConstructorParameters<typeof ForeignKeyConstraintError>[0]>['reltype'];

/** Sequelize declares `reltype` as an enum that its main module does not export; its values are these strings. */
function relationship(value: 'parent' | 'child'): Relationship {
  return value as unknown as Relationship;
}

function messageOf(error: DatabaseError | UniqueConstraintError): string {
  return String((error.parent as { message?: string } | undefined)?.message ?? error.message);
}

function fieldValue(instance: Model | undefined, field: string): string {
  const value = instance?.get(field) as unknown;
  return value instanceof Date ? value.toISOString() : String(value);
}

function uniqueFromMessage(error: UniqueConstraintError, instance: Model | undefined): UniqueConstraintError {
  const columns = /returning "([^"]+)" - duplicate key/.exec(messageOf(error))?.[1];
  if (!columns) return error;
  const fields = Object.fromEntries(columns.split(',').map((field) => [field, fieldValue(instance, field)]));
  const errors = Object.entries(fields).map(
    ([field, value]) =>
      new ValidationErrorItem(
        `${field} must be unique`,
        'unique violation',
        field,
        value,
        instance as Model,
        'not_unique',
        'unique',
        [],
      ),
  );
  return new UniqueConstraintError({
    message: 'Validation error',
    errors,
    fields,
    parent: error.parent,
    original: error.original,
  });
}

const DETAIL = /Key \((.+?)\)=\((.*?)\) is (not present in|still referenced from) table "([^"]+)"/;

function foreignKeyFromDetail(error: ForeignKeyConstraintError): ForeignKeyConstraintError {
  const detail = (error.parent as { detail?: string } | undefined)?.detail;
  const match = detail ? DETAIL.exec(detail) : null;
  if (!match) return error;
  const [, columns = '', values = ''] = match;
  const names = columns.split(', ').map((name) => name.replace(/"/g, ''));
  const fields = Object.fromEntries(names.map((name, i) => [name, values.split(', ')[i] ?? '']));
  return new ForeignKeyConstraintError({
    message: `${error.message}: ${detail}`,
    fields,
    table: error.table,
    index: error.index,
    value: values,
    reltype: relationship(match[3] === 'not present in' ? 'child' : 'parent'),
    parent: error.parent as DatabaseErrorParent,
  });
}

const MEMORY_FOREIGN_KEY = /violates foreign key constraint on table "([^"]+)"/;

function foreignKeyFromMessage(
  error: DatabaseError,
  instance: Model | undefined,
  foreignKeys: () => ReadonlyMap<string, ForeignKeyColumn>,
): ForeignKeyConstraintError | undefined {
  const constraint = MEMORY_FOREIGN_KEY.exec(messageOf(error))?.[1];
  const key = constraint ? foreignKeys().get(constraint) : undefined;
  if (!constraint || !key) return undefined;
  return new ForeignKeyConstraintError({
    message: `insert or update on table "${key.table}" violates foreign key constraint "${constraint}"`,
    fields: { [key.column]: fieldValue(instance, key.column) },
    table: key.table,
    index: constraint,
    value: instance?.get(key.column),
    reltype: relationship('child'),
    parent: error.parent as DatabaseErrorParent,
  });
}
