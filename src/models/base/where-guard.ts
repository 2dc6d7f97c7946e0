import { type ModelStatic, Op, Utils } from 'sequelize';
import { InvalidArgumentError, isUuid } from './invalid-argument';

/**
 * Checks a query's `where` (and its includes' `where`) before Sequelize
 * writes SQL from it. Sequelize writes a non-finite number as a bare word
 * (`"sort_order" = Infinity`, which PostgreSQL reads as a column), and
 * PostgreSQL refuses a malformed UUID with a driver error; both become an
 * InvalidArgumentError naming the attribute. Walked with a stack of its own
 * and to a bounded depth, so no `where` overflows the call stack.
 */

export const MAX_WHERE_DEPTH = 100;

type AnyModel = ModelStatic<never>;
type Attributes = Record<string, { type?: { key?: string }; field?: string }>;

interface Pending {
  value: unknown;
  /** The attribute the value is compared with, once a key has named one. */
  attribute?: { type?: { key?: string } };
  path: string;
  depth: number;
}

interface QueryOptions {
  where?: unknown;
  include?: unknown;
}

interface IncludeShape {
  model?: unknown;
  association?: unknown;
  as?: string;
  where?: unknown;
  include?: unknown;
}

function attributeNamed(attributes: Attributes | undefined, key: string): Pending['attribute'] {
  if (!attributes) return undefined;
  return attributes[key] ?? Object.values(attributes).find((attribute) => attribute.field === key);
}

function checkWhere(where: unknown, attributes: Attributes | undefined, prefix: string): void {
  const pending: Pending[] = [{ value: where, path: prefix, depth: 0 }];
  while (pending.length > 0) {
    const { value, attribute, path, depth } = pending.pop() as Pending;
    if (depth > MAX_WHERE_DEPTH) {
      throw new InvalidArgumentError(
        prefix,
        `must be nested at most ${MAX_WHERE_DEPTH} levels deep`,
        'a deeper object',
      );
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidArgumentError(path, 'must be a finite number', value);
      if (attribute?.type?.key === 'UUID') throw new InvalidArgumentError(path, 'must be a UUID', value);
      continue;
    }
    if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') {
      if (attribute?.type?.key === 'UUID' && !isUuid(value)) {
        throw new InvalidArgumentError(path, 'must be a UUID', value);
      }
      continue;
    }
    if (value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value)) continue;
    const next = (item: unknown, nextAttribute = attribute, nextPath = path) =>
      pending.push({ value: item, attribute: nextAttribute, path: nextPath, depth: depth + 1 });
    if (Array.isArray(value)) {
      for (const item of value) next(item);
    } else if (value instanceof Utils.SequelizeMethod) {
      // sequelize.where(fn(...), value), fn(..., value): the compared value, with no attribute to type it.
      if (value instanceof Utils.Where) next((value as unknown as { logic: unknown }).logic, undefined);
      else if (value instanceof Utils.Fn) next((value as unknown as { args: unknown }).args, undefined);
    } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
      for (const key of Reflect.ownKeys(value)) {
        // Op.col names a column, not a value.
        if (key === Op.col) continue;
        const item = (value as Record<string | symbol, unknown>)[key];
        if (typeof key === 'symbol') next(item);
        else if (attribute) next(item, attribute.type?.key === 'UUID' ? undefined : attribute, `${path}.${key}`);
        else next(item, attributeNamed(attributes, key), `${path}.${key}`);
      }
    }
  }
}

function targetOf(model: AnyModel, include: IncludeShape): AnyModel | undefined {
  if (typeof include.model === 'function') return include.model as AnyModel;
  const association = include.association;
  if (association && typeof association === 'object') return (association as { target?: AnyModel }).target;
  const alias = typeof association === 'string' ? association : include.as;
  return alias ? (model.associations[alias]?.target as AnyModel | undefined) : undefined;
}

/** Throws an InvalidArgumentError for a `where` of `options` (or of its includes, at any depth) that cannot become valid SQL. */
export function assertSafeWhere(model: AnyModel, options: QueryOptions | undefined): void {
  const pending: { model: AnyModel | undefined; options: QueryOptions; path: string; depth: number }[] = [];
  if (options) pending.push({ model, options, path: '', depth: 0 });
  while (pending.length > 0) {
    const current = pending.pop() as (typeof pending)[number];
    const attributes = current.model?.getAttributes() as Attributes | undefined;
    if (current.options.where !== undefined) checkWhere(current.options.where, attributes, `${current.path}where`);
    const includes = current.options.include;
    if (current.depth >= MAX_WHERE_DEPTH || !includes) continue;
    for (const include of Array.isArray(includes) ? includes : [includes]) {
      if (!include || typeof include !== 'object' || typeof include === 'function') continue;
      const shape = include as IncludeShape;
      const target = current.model ? targetOf(current.model, shape) : undefined;
      const name =
        shape.as ?? (typeof shape.association === 'string' ? shape.association : (target?.name ?? 'include'));
      pending.push({
        model: target,
        options: shape,
        path: `${current.path}include(${name}).`,
        depth: current.depth + 1,
      });
    }
  }
}
