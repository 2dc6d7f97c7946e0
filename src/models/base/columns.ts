import type { ModelAttributeColumnOptions } from 'sequelize';
import { DataType, type TableOptions } from './decorators';

/**
 * Column builders shared by the model files. (Sequelize runs custom
 * validators on NULL too, so each one lets NULL through to `allowNull`.) Each one returns the options of
 * one `@Column(...)`, with validators whose messages name the field in words a
 * user can read. They exist so that a rule such as "an ENUM validates in
 * JavaScript too" is written once, not in every model.
 */

export const ENVIRONMENTS = ['dev', 'stage', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const ASSET_KINDS = ['image', 'video', 'audio', 'file'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

/**
 * A column's options. `lengthCheck` is ours: the bound in characters that
 * the database enforces too, with a CHECK constraint (`sync()` adds it, and
 * migration 0003 for the columns of 0.1).
 */
type Column = Partial<ModelAttributeColumnOptions> & { lengthCheck?: number };
type Validators = NonNullable<ModelAttributeColumnOptions['validate']>;

interface Common<T> {
  allowNull?: boolean | undefined;
  defaultValue?: T | undefined;
  field?: string | undefined;
  unique?: boolean | undefined;
}

/** The options of every model: timestamps, soft delete, exact table names. */
export function table(tableName: string, options: Partial<TableOptions> = {}): TableOptions {
  return {
    tableName,
    modelName: tableName,
    timestamps: true,
    paranoid: true,
    freezeTableName: true,
    ...options,
  };
}

function column(type: Column['type'], label: string, options: Common<unknown>, validate: Validators): Column {
  const allowNull = options.allowNull ?? true;
  const result: Column = { type, allowNull, validate: { ...validate } };
  if (!allowNull) result.validate = { notNull: { msg: `${label} is required` }, ...result.validate };
  if (options.defaultValue !== undefined) result.defaultValue = options.defaultValue;
  if (options.field) result.field = options.field;
  if (options.unique) result.unique = true;
  return result;
}

/**
 * The most characters an indexed TEXT column takes. A B-tree index entry has
 * to fit in a third of a page (2,704 bytes): without a bound, a long value is
 * a driver error (`index row requires 120056 bytes`) instead of a
 * ValidationError. 2,000 leaves room for the other columns of a composite
 * index; the indexed columns also refuse what their format does not allow
 * (slugs are ASCII, emails are at most 320 bytes), so no value reaches the limit in bytes.
 */
export const INDEXED_TEXT_MAX = 2000;

interface TextOptions extends Common<string> {
  /** Length bounds in characters, inclusive. */
  len?: [number, number] | undefined;
  /** The column is in an index: bounded to INDEXED_TEXT_MAX characters (or `len`), in the model and by a CHECK. */
  indexed?: boolean | undefined;
  notEmpty?: boolean | undefined;
  /** A regular expression the value must match, with what it means. */
  pattern?: { is: RegExp; msg: string } | undefined;
}

function lengthMessage(label: string, [min, max]: [number, number]): string {
  return min > 0
    ? `${label} must be between ${min} and ${max} characters`
    : `${label} must be at most ${max} characters`;
}

/**
 * What PostgreSQL can store as text and give back unchanged: a string, with
 * no NUL character (TEXT refuses it) and no lone surrogate (the driver would
 * replace it). Numbers and other types are refused rather than converted.
 */
function textValue(label: string) {
  return (value: unknown) => {
    if (value === null || value === undefined) return;
    if (typeof value !== 'string') throw new Error(`${label} must be text`);
    if (value.includes('\u0000')) throw new Error(`${label} must not contain NUL characters`);
    if (!value.isWellFormed()) throw new Error(`${label} must be valid Unicode text`);
  };
}

/**
 * Length in characters as PostgreSQL counts them (code points). validator.js's
 * `len` discounts emoji presentation selectors, so a value it accepts could
 * still overflow a VARCHAR(n) in the database.
 */
function lengthWithin(label: string, bounds: [number, number]) {
  const [min, max] = bounds;
  return (value: unknown) => {
    if (typeof value !== 'string') return;
    let count = 0;
    for (const _ of value) count += 1;
    if (count < min || count > max) throw new Error(lengthMessage(label, bounds));
  };
}

/** A TEXT (or `STRING(n)` with `length`) column. */
export function text(label: string, options: TextOptions = {}, length?: number): Column {
  const validate: Validators = { isText: textValue(label) };
  if (options.notEmpty) validate.notEmpty = { msg: `${label} must not be empty` };
  // A STRING(n) gets its bound checked here too, so an over-long value is a ValidationError, not a driver error.
  const len =
    options.len ??
    (length !== undefined
      ? ([0, length] as [number, number])
      : options.indexed
        ? ([0, INDEXED_TEXT_MAX] as [number, number])
        : undefined);
  if (options.indexed && (!len || len[1] > INDEXED_TEXT_MAX)) {
    throw new Error(`${label}: an indexed column takes at most ${INDEXED_TEXT_MAX} characters`);
  }
  if (len) validate.lengthWithin = lengthWithin(label, len);
  if (options.pattern) validate.is = { args: options.pattern.is, msg: options.pattern.msg };
  const type = length === undefined ? DataType.TEXT : DataType.STRING(length);
  const result = column(type, label, options, validate);
  // A VARCHAR(n) is bounded by its type; a TEXT needs the CHECK.
  if (options.indexed && len && length === undefined) result.lengthCheck = len[1];
  return result;
}

/** An ENUM column that also validates in JavaScript, so a bad value is a ValidationError. */
export function enumeration<T extends string>(label: string, values: readonly T[], options: Common<T> = {}): Column {
  const validate: Validators = {
    isIn: { args: [values as unknown as string[]], msg: `${label} must be one of: ${values.join(', ')}` },
  };
  return column(DataType.ENUM(...values), label, options, validate);
}

interface NumberOptions extends Common<number> {
  min?: number | undefined;
  max?: number | undefined;
}

function rangeValidators(label: string, options: NumberOptions): Validators {
  const validate: Validators = {};
  if (options.min !== undefined)
    validate.min = { args: [options.min], msg: `${label} must be at least ${options.min}` };
  if (options.max !== undefined) validate.max = { args: [options.max], msg: `${label} must be at most ${options.max}` };
  return validate;
}

const INT4 = { min: -2147483648, max: 2147483647 };

/** An INTEGER column: a JavaScript integer within PostgreSQL's 32-bit range; numeric strings are refused. */
export function integer(label: string, options: NumberOptions = {}): Column {
  const validate: Validators = {
    isInteger(value: unknown) {
      if (value === null || value === undefined) return;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`${label} must be a whole number`);
      if (value < INT4.min || value > INT4.max) {
        throw new Error(`${label} must be between ${INT4.min} and ${INT4.max}`);
      }
    },
    ...rangeValidators(label, options),
  };
  return column(DataType.INTEGER, label, options, validate);
}

/**
 * A DECIMAL column read back as a JavaScript number. PostgreSQL's driver
 * returns NUMERIC as a string and pg-mem as a number; the getter makes both
 * backends agree with the declared `number` type.
 */
export function decimal(label: string, options: NumberOptions = {}): Column {
  const validate: Validators = {
    isFiniteNumber(value: unknown) {
      if (value === null || value === undefined) return;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${label} must be a finite number`);
    },
    ...rangeValidators(label, options),
  };
  const result = column(DataType.DECIMAL, label, options, validate);
  // Sequelize calls a custom getter with the attribute's name.
  result.get = function getDecimal(this: { getDataValue(key: string): unknown }, key?: unknown) {
    const value = this.getDataValue(key as string);
    // Only the database's text form is converted; anything else (a value not yet validated, a symbol, an
    // object) is returned as it is, for the validator to refuse by name rather than Number() to throw.
    return typeof value === 'string' ? Number(value) : value;
  } as Column['get'];
  return result;
}

export function boolean(label: string, options: Common<boolean> = {}): Column {
  const validate: Validators = {
    isBoolean(value: unknown) {
      if (value !== null && value !== undefined && typeof value !== 'boolean') {
        throw new Error(`${label} must be true or false`);
      }
    },
  };
  return column(DataType.BOOLEAN, label, options, validate);
}

const FIRST_DAY = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_DAY = Date.parse('9999-12-31T23:59:59.999Z');

/** A DATE (timestamptz) column: a valid date from year 1 to 9999, which every layer formats and parses alike. */
export function date(label: string, options: Common<unknown> = {}): Column {
  const result = column(DataType.DATE, label, options, {
    isValidDate(value: unknown) {
      if (value === null || value === undefined) return;
      // Sequelize has already turned strings and numbers into a Date (possibly an invalid one).
      const time = value instanceof Date ? value.getTime() : Number.NaN;
      if (Number.isNaN(time)) throw new Error(`${label} must be a valid date`);
      if (time < FIRST_DAY || time > LAST_DAY) throw new Error(`${label} must be between the years 1 and 9999`);
    },
  });
  // Sequelize's own DATE sanitizer runs `new Date(value)` on any value, which throws a TypeError for an
  // object without a prototype. This setter converts what it can (strings and numbers, as Sequelize does)
  // and leaves anything else for the validator to refuse by name.
  result.set = function setDate(
    this: { setDataValue(key: string, value: unknown): void },
    value: unknown,
    key?: unknown,
  ) {
    const converted = (typeof value === 'string' || typeof value === 'number') && value ? new Date(value) : value;
    this.setDataValue(key as string, converted);
  } as Column['set'];
  return result;
}

/** How deep a JSON document may nest (objects and arrays within each other). */
export const MAX_JSON_DEPTH = 100;

const TOO_DEEP = 'too deep';

interface JsonNode {
  value: unknown;
  depth: number;
  parent?: JsonNode;
  key?: string | number;
}

function pathOf(node: JsonNode): string {
  let path = '';
  for (let at: JsonNode | undefined = node; at?.parent; at = at.parent) {
    path = typeof at.key === 'number' ? `[${at.key}]${path}` : `.${at.key}${path}`;
  }
  return `the value${path}`;
}

/**
 * Why a value would not survive JSON storage unchanged (NaN, BigInt,
 * undefined, functions, dates, lone surrogates, which PostgreSQL's json type
 * refuses, or nesting deeper than MAX_JSON_DEPTH), or undefined when it
 * would. Walked with a stack of its own, so a document nested thousands of
 * levels deep is refused at level 101 instead of overflowing the call stack.
 */
function jsonProblem(root: unknown): string | undefined {
  const pending: JsonNode[] = [{ value: root, depth: 0 }];
  while (pending.length > 0) {
    const node = pending.pop() as JsonNode;
    const { value } = node;
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return `${pathOf(node)} is not a finite number`;
      continue;
    }
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return `${pathOf(node)} is not valid Unicode text`;
      continue;
    }
    const isArray = Array.isArray(value);
    if (!isArray && !(typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)) {
      return `${pathOf(node)} is not a JSON value`;
    }
    if (node.depth >= MAX_JSON_DEPTH) return TOO_DEEP;
    const children: JsonNode[] = [];
    if (isArray) {
      (value as unknown[]).forEach((item, index) => {
        children.push({ value: item, depth: node.depth + 1, parent: node, key: index });
      });
    } else {
      for (const key in value as object) {
        if (!key.isWellFormed()) return `a key of ${pathOf(node)} is not valid Unicode text`;
        children.push({ value: (value as Record<string, unknown>)[key], depth: node.depth + 1, parent: node, key });
      }
    }
    // Reversed onto the stack, so the problem reported is the first in document order.
    for (let i = children.length - 1; i >= 0; i -= 1) pending.push(children[i] as JsonNode);
  }
  return undefined;
}

/** A JSON document column. */
export function json(label: string, options: Common<unknown> = {}): Column {
  return column(DataType.JSON, label, options, {
    isJsonDocument(value: unknown) {
      if (value === null || value === undefined) return;
      const problem = jsonProblem(value);
      if (problem === TOO_DEEP) {
        throw new Error(`${label} must be a JSON document nested at most ${MAX_JSON_DEPTH} levels deep`);
      }
      if (problem) throw new Error(`${label} must be a JSON document: ${problem}`);
    },
  });
}

/** A UUID column (foreign keys); a malformed id is a ValidationError, not a driver error. */
export function uuid(label: string, options: Common<string> = {}): Column {
  return column(DataType.UUID, label, options, {
    isUUID: { args: 'all' as unknown as number, msg: `${label} must be a UUID` },
  });
}

/**
 * A foreign-key column with its ON DELETE rule. The rule sits on the column
 * because two associations can reach one key (`users.hasMany` and the child's
 * `belongsTo`) and Sequelize keeps whichever rule the column already has.
 */
export function foreignKey(label: string, onDelete: 'CASCADE' | 'SET NULL', options: Common<string> = {}): Column {
  return { ...uuid(label, options), onDelete, onUpdate: 'CASCADE' };
}

const HTTP_URL = /^https?:\/\/[^\s/$.?#][^\s]*$/i;

/** An http(s) URL; an empty string is accepted as "no URL", as the spec's `isUrlOrEmpty` does. */
export function httpUrl(label: string, options: TextOptions = {}): Column {
  const result = text(label, options);
  result.validate = {
    ...result.validate,
    isHttpUrl(value: unknown) {
      if (value === null || value === undefined || value === '') return;
      if (typeof value !== 'string' || !HTTP_URL.test(value)) throw new Error(`${label} must be a valid http(s) URL`);
    },
  };
  return result;
}

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/i;

/** A `type/subtype` MIME pattern for `text(..., { pattern })`. */
export function mimeType(label: string): { is: RegExp; msg: string } {
  return { is: MIME_TYPE, msg: `${label} must be a MIME type such as image/png` };
}

/** A CSS hex colour (`#rgb`, `#rrggbb`, `#rrggbbaa`), black by default. */
export function hexColour(label: string): Column {
  return text(label, {
    allowNull: false,
    defaultValue: '#000000',
    pattern: {
      is: /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i,
      msg: `${label} must be a CSS hex colour such as #000000`,
    },
  });
}
