import type { InspectOptions, inspect as nodeInspect } from 'node:util';
import { Model, ValidationError, ValidationErrorItem } from 'sequelize';

/** What takes a secret's place in errors, logs and inspect output. */
export const REDACTED = '[REDACTED]';

function hideProperty(target: object, key: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor?.enumerable && 'value' in descriptor) {
    Object.defineProperty(target, key, { ...descriptor, enumerable: false });
  }
}

/**
 * Makes a validation error safe to log and serialise: an item about a secret
 * field keeps its message but not its value (a refused password's plain
 * text), and no item walks its instance into JSON or inspect output (the
 * instance stays readable as `item.instance`).
 */
export function hideSecretsOfValidation(error: unknown, secretFields: readonly string[]): void {
  if (!(error instanceof ValidationError)) return;
  for (const item of error.errors) {
    if (!(item instanceof ValidationErrorItem)) continue;
    if (item.path !== null && secretFields.includes(item.path) && item.value !== null && item.value !== undefined) {
      // Sequelize types `value` read-only, but it is a plain field set in the constructor.
      (item as { value: unknown }).value = REDACTED;
    }
    hideProperty(item, 'instance');
  }
}

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return (
    Array.isArray(value) ||
    (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
  );
}

/**
 * A copy of a row's values for JSON: included rows through their own
 * `toJSON`, dates and plain documents copied (as Sequelize's `toJSON` clones
 * them), anything else as it is.
 */
export function plainWithOwnJson(values: Record<string, unknown>): Record<string, unknown> {
  const copy = (value: unknown): unknown => {
    if (value instanceof Model) return value.toJSON();
    if (value instanceof Date) return new Date(value.getTime());
    if (Array.isArray(value)) return value.map(copy);
    if (isPlainContainer(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
    return value;
  };
  return copy(values) as Record<string, unknown>;
}

/**
 * What `util.inspect` (and so `console.log`) shows of a row with secrets: its
 * model's name and values, each secret that is loaded shown as `[REDACTED]`.
 * Sequelize's internals (`_previousDataValues`, which holds a password as it
 * was given until the row is saved) are left out.
 */
export function inspectWithoutSecrets(
  row: Model,
  secretFields: readonly string[],
  options: InspectOptions & { depth?: number | null },
  inspect: typeof nodeInspect,
): string {
  const values: Record<string, unknown> = { ...(row.dataValues as Record<string, unknown>) };
  for (const field of secretFields) {
    if (values[field] !== undefined && values[field] !== null) values[field] = REDACTED;
  }
  const depth = options.depth === null || options.depth === undefined ? options.depth : options.depth - 1;
  return `${(row.constructor as { name: string }).name} ${inspect(values, { ...options, depth })}`;
}
