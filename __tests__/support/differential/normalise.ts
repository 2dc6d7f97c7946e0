import { Model } from 'sequelize';

/** An error as the comparison sees it: its class and the fields it names, not the backend's wording. */
export interface ErrorShape {
  error: string;
  construct?: string;
  fields?: string[];
  items?: string[];
}

export function describeError(error: unknown): ErrorShape {
  const e = error as {
    name?: string;
    construct?: string;
    fields?: unknown;
    errors?: { path?: string | null; validatorKey?: string | null; type?: string | null }[];
  };
  const shape: ErrorShape = { error: e?.name ?? String(error) };
  if (e?.construct) shape.construct = e.construct;
  if (e?.fields && typeof e.fields === 'object') {
    shape.fields = (Array.isArray(e.fields) ? e.fields.map(String) : Object.keys(e.fields)).sort();
  }
  if (Array.isArray(e?.errors) && e.errors.length > 0) {
    shape.items = e.errors.map((item) => `${item.path}: ${item.validatorKey ?? item.type}`).sort();
  }
  return shape;
}

function byId(a: unknown, b: unknown): number {
  const left = String((a as { id: unknown }).id);
  const right = String((b as { id: unknown }).id);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * A result as plain data, comparable across backends: model instances become
 * their values (with their includes), dates ISO strings, errors their shape.
 * Arrays keep their order (the query's ORDER BY, or the program's), except the
 * arrays of an include inside a row, which no ORDER BY orders: sorted by id.
 */
export function normalise(value: unknown, inRow = false): unknown {
  if (value instanceof Model) return normalise(value.get({ plain: true }), true);
  if (value instanceof Error) return describeError(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (Array.isArray(value)) {
    const items = value.map((item) => normalise(item, inRow));
    const included = inRow && items.every((item) => item !== null && typeof item === 'object' && 'id' in item);
    return included ? items.sort(byId) : items;
  }
  if (value && typeof value === 'object') {
    if ('error' in value && Object.keys(value).length === 1) return describeError((value as { error: unknown }).error);
    return Object.fromEntries(
      Object.entries(value)
        // A user signing in through a provider gets a random password: its hash differs on every run.
        .filter(([key]) => key !== 'password')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, item]) => [key, normalise(item, inRow)]),
    );
  }
  return value;
}
