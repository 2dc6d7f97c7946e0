/**
 * Redaction of secret values (password hashes, tokens, the database password)
 * from the SQL that Sequelize logs and from the errors that queries raise.
 *
 * A value is secret when it is bound to, inserted into or compared with a
 * secret column. The column a value belongs to is read from the SQL itself:
 * in `INSERT INTO t ("a","b") VALUES (x, y)` by position, elsewhere as the
 * last column named before the value (`"passwordResetToken" = 'x'`,
 * `SET "password"=$1`, `"token" IN ('a', 'b')`), which is how Sequelize
 * writes every statement. Values found that way are then also replaced
 * wherever else they appear as text (an error's message, detail, stack, or
 * pg-mem's copy of the statement with the parameters written in). As defence
 * in depth, anything shaped like a bcrypt hash and the credentials of a URL
 * are redacted everywhere.
 */

import { REDACTED } from '../models/base/secrets';

export { REDACTED };

/** Column names that hold secrets whatever the model says: a renamed or new secret column is covered too. */
const SECRET_NAME = /password|token|secret/i;
const BCRYPT_HASH = /\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}/g;
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s]*@/gi;
/** Below this length a secret is only replaced where it is a whole value, not inside other text. */
const MIN_SUBSTRING = 4;

/** Which columns hold secrets: those the models declare, and any whose name says so. */
export function secretColumns(declared: Iterable<string>): (name: string) => boolean {
  const names = new Set(declared);
  return (name) => names.has(name) || SECRET_NAME.test(name);
}

// ---------------------------------------------------------------------------------------------------------------
// The SQL, token by token

type Token =
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'param'; start: number; end: number; index: number }
  | { kind: 'name'; start: number; end: number; name: string; call: boolean }
  | { kind: 'dollar'; start: number; end: number; bodyStart: number; bodyEnd: number }
  | { kind: 'word'; start: number; end: number; word: string }
  | { kind: 'punct'; start: number; end: number; text: string };

/** Words that are never a column, so that `"token" IN ('a')` or `"token" = ANY ('{a}')` still see the column. */
const KEYWORDS = new Set(
  (
    'select from where and or not in is null like ilike similar to between any all some array as on set values ' +
    'insert into update delete returning limit offset order by group having asc desc join left right inner outer ' +
    'full cross true false cast case when then else end distinct exists escape default conflict do nothing using ' +
    'with lateral union collate'
  ).split(' '),
);

function isWordStart(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z_\u0080-\uffff]/.test(char);
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(char);
}

/** A quoted string or identifier from `start` (the opening quote); returns its end and unescaped text. */
function quoted(sql: string, start: number, quote: string, backslashes: boolean): { end: number; value: string } {
  let value = '';
  let i = start + 1;
  while (i < sql.length) {
    // Whole runs up to the next quote (or backslash) at once: a statement may carry megabytes of text.
    const nextQuote = sql.indexOf(quote, i);
    const nextBackslash = backslashes ? sql.indexOf('\\', i) : -1;
    if (nextBackslash !== -1 && (nextQuote === -1 || nextBackslash < nextQuote)) {
      value += sql.slice(i, nextBackslash) + (sql[nextBackslash + 1] ?? '');
      i = nextBackslash + 2;
    } else if (nextQuote === -1) {
      // Unterminated (a statement cut short in a message): the rest is the value, so it is redacted whole.
      return { end: sql.length, value: value + sql.slice(i) };
    } else if (sql[nextQuote + 1] === quote) {
      value += sql.slice(i, nextQuote + 1);
      i = nextQuote + 2;
    } else {
      return { end: nextQuote + 1, value: value + sql.slice(i, nextQuote) };
    }
  }
  return { end: sql.length, value };
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i] as string;
    const next = sql[i + 1];
    const start = i;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (char === "'" || ((char === 'E' || char === 'e') && next === "'" && !isWordChar(sql[i - 1]))) {
      const backslashes = char !== "'";
      const { end, value } = quoted(sql, backslashes ? i + 1 : i, "'", backslashes);
      tokens.push({ kind: 'string', start, end, value });
      i = end;
    } else if (char === '"') {
      const { end, value } = quoted(sql, i, '"', false);
      i = end;
      while (/\s/.test(sql[i] ?? '')) i += 1;
      tokens.push({ kind: 'name', start, end, name: value, call: sql[i] === '(' });
      i = end;
    } else if (char === '$' && next !== undefined && /\d/.test(next)) {
      let end = i + 1;
      while (/\d/.test(sql[end] ?? '')) end += 1;
      tokens.push({ kind: 'param', start, end, index: Number(sql.slice(i + 1, end)) - 1 });
      i = end;
    } else if (char === '$' && (next === '$' || isWordStart(next))) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
      if (!tag) {
        tokens.push({ kind: 'punct', start, end: i + 1, text: char });
        i += 1;
        continue;
      }
      const close = sql.indexOf(tag, i + tag.length);
      const bodyEnd = close === -1 ? sql.length : close;
      const end = close === -1 ? sql.length : close + tag.length;
      tokens.push({ kind: 'dollar', start, end, bodyStart: i + tag.length, bodyEnd });
      i = end;
    } else if (isWordStart(char)) {
      let end = i + 1;
      while (isWordChar(sql[end])) end += 1;
      const word = sql.slice(i, end);
      let after = end;
      while (/\s/.test(sql[after] ?? '')) after += 1;
      if (KEYWORDS.has(word.toLowerCase())) tokens.push({ kind: 'word', start, end, word: word.toLowerCase() });
      else tokens.push({ kind: 'name', start, end, name: word, call: sql[after] === '(' });
      i = end;
    } else if (/\d/.test(char)) {
      let end = i + 1;
      while (/[\d.eE]/.test(sql[end] ?? '')) end += 1;
      tokens.push({ kind: 'word', start, end, word: sql.slice(i, end) });
      i = end;
    } else if (char === ':' && next === ':') {
      tokens.push({ kind: 'punct', start, end: i + 2, text: '::' });
      i += 2;
    } else {
      tokens.push({ kind: 'punct', start, end: i + 1, text: char });
      i += 1;
    }
  }
  return tokens;
}

/** `INSERT INTO name (a, b, ...) VALUES`: the columns in order, and the index of the VALUES token. */
function insertColumns(tokens: Token[], at: number): { columns: string[]; values: number } | undefined {
  let i = at + 2; // past INSERT INTO
  const nameAt = (k: number) => tokens[k]?.kind === 'name';
  if (!nameAt(i)) return undefined;
  i += 1;
  while (tokens[i]?.kind === 'punct' && (tokens[i] as { text: string }).text === '.' && nameAt(i + 1)) i += 2;
  if (!(tokens[i]?.kind === 'punct' && (tokens[i] as { text: string }).text === '(')) return undefined;
  const columns: string[] = [];
  i += 1;
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (token.kind === 'name') columns.push(token.name);
    else if (token.kind === 'punct' && token.text === ')') break;
    else if (!(token.kind === 'punct' && token.text === ',')) return undefined;
    i += 1;
  }
  const values = tokens[i + 1];
  if (values?.kind !== 'word' || values.word !== 'values') return undefined;
  return { columns, values: i + 1 };
}

export interface SqlRedaction {
  /** The statement with every secret literal replaced by '[REDACTED]'. */
  sql: string;
  /** Positions (from 0) of the bound parameters that hold secrets. */
  secretParameters: Set<number>;
  /** The secret literals found in the text, unescaped. */
  secrets: Set<string>;
}

/** Finds and replaces the secret values of one SQL statement (or several, or a log line holding one). */
export function redactSql(sql: string, isSecretColumn: (name: string) => boolean): SqlRedaction {
  const result: SqlRedaction = { sql, secretParameters: new Set(), secrets: new Set() };
  const tokens = tokenize(sql);
  const replacements: { start: number; end: number; text: string }[] = [];
  let lastColumn: string | undefined;
  let afterCast = false;
  // Inside the tuples of an INSERT: the columns, the nesting depth and the position within the tuple.
  let insert: { columns: string[]; depth: number; position: number } | undefined;

  const secretValue = (token: Token, column: string | undefined) => {
    if (token.kind === 'param') {
      if (column !== undefined && isSecretColumn(column)) result.secretParameters.add(token.index);
    } else if (token.kind === 'string') {
      const secret =
        (column !== undefined && isSecretColumn(column)) || new RegExp(BCRYPT_HASH.source).test(token.value);
      if (secret) {
        result.secrets.add(token.value);
        replacements.push({ start: token.start, end: token.end, text: `'${REDACTED}'` });
      }
    }
  };

  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.kind === 'dollar') {
      // A function body (Sequelize wraps findOrCreate's INSERT in one): redacted as SQL of its own.
      const inner = redactSql(sql.slice(token.bodyStart, token.bodyEnd), isSecretColumn);
      for (const index of inner.secretParameters) result.secretParameters.add(index);
      for (const secret of inner.secrets) result.secrets.add(secret);
      if (inner.sql !== sql.slice(token.bodyStart, token.bodyEnd)) {
        replacements.push({ start: token.bodyStart, end: token.bodyEnd, text: inner.sql });
      }
      continue;
    }
    if (insert) {
      if (token.kind === 'punct' && token.text === '(') {
        insert.depth += 1;
        if (insert.depth === 1) insert.position = 0;
        continue;
      }
      if (token.kind === 'punct' && token.text === ')') {
        insert.depth -= 1;
        continue;
      }
      if (insert.depth === 1 && token.kind === 'punct' && token.text === ',') {
        insert.position += 1;
        continue;
      }
      if (insert.depth >= 1) {
        secretValue(token, insert.columns[insert.position]);
        continue;
      }
      if (token.kind === 'punct' && token.text === ',') continue;
      insert = undefined;
    }
    if (token.kind === 'word' && token.word === 'insert' && tokens[i + 1]?.kind === 'word') {
      const found = insertColumns(tokens, i);
      if (found) {
        insert = { columns: found.columns, depth: 0, position: 0 };
        i = found.values;
        continue;
      }
    }
    if (token.kind === 'name') {
      // A function's name or a type after `::` is not the column a value belongs to.
      if (!token.call && !afterCast) lastColumn = token.name;
      afterCast = false;
      continue;
    }
    afterCast = token.kind === 'punct' && token.text === '::';
    secretValue(token, lastColumn);
  }

  if (replacements.length > 0) {
    let text = '';
    let at = 0;
    for (const replacement of replacements.sort((a, b) => a.start - b.start)) {
      text += sql.slice(at, replacement.start) + replacement.text;
      at = replacement.end;
    }
    result.sql = text + sql.slice(at);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Values and text

/** The forms a secret takes in text: as given, inside a SQL literal, inside a JSON string. */
function formsOf(secret: string): string[] {
  return [...new Set([secret, secret.replace(/'/g, "''"), JSON.stringify(secret).slice(1, -1)])];
}

/** Text with every known secret, bcrypt hash and URL password replaced. */
export function redactText(text: string, secrets: ReadonlySet<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SUBSTRING) {
      if (result === secret) return REDACTED;
      continue;
    }
    for (const form of formsOf(secret)) if (result.includes(form)) result = result.split(form).join(REDACTED);
  }
  return result.replace(BCRYPT_HASH, REDACTED).replace(URL_CREDENTIALS, '$1***@');
}

/** Whether a value is, or is shaped like, a secret. */
function isSecretValue(value: unknown, secrets: ReadonlySet<string>): boolean {
  if (typeof value !== 'string') return false;
  return secrets.has(value) || new RegExp(`^${BCRYPT_HASH.source}$`).test(value);
}

/** A copy of bound parameters (an array or named object) with the secret ones replaced. */
export function redactParameters<T>(
  parameters: T,
  secretPositions: ReadonlySet<number>,
  secrets: ReadonlySet<string>,
): T {
  if (Array.isArray(parameters)) {
    return parameters.map((value, index) =>
      secretPositions.has(index) || isSecretValue(value, secrets)
        ? REDACTED
        : typeof value === 'string'
          ? redactText(value, secrets)
          : value,
    ) as T;
  }
  if (parameters && typeof parameters === 'object' && Object.getPrototypeOf(parameters) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(parameters).map(([key, value]) => [key, isSecretValue(value, secrets) ? REDACTED : value]),
    ) as T;
  }
  return parameters;
}

function addSecret(secrets: Set<string>, value: unknown): void {
  if (typeof value === 'string' && value !== '') secrets.add(value);
  else if (typeof value === 'number' || typeof value === 'bigint') secrets.add(String(value));
  else if (value instanceof Date) secrets.add(value.toISOString());
}

/** The values bound at secret positions. */
export function boundSecrets(bind: unknown, positions: ReadonlySet<number>, secrets: Set<string>): void {
  if (!Array.isArray(bind)) return;
  for (const position of positions) addSecret(secrets, bind[position]);
}

interface InstanceLike {
  constructor: { secretFields?: readonly string[] };
  dataValues?: Record<string, unknown>;
  _previousDataValues?: Record<string, unknown>;
}

/** The secret values of a model instance: what it holds now and what it held before this change. */
export function instanceSecrets(instance: unknown, secrets: Set<string>): void {
  const row = instance as InstanceLike | undefined;
  const fields = row?.constructor?.secretFields;
  if (!row || !fields) return;
  for (const field of fields) {
    addSecret(secrets, row.dataValues?.[field]);
    addSecret(secrets, row._previousDataValues?.[field]);
  }
}

/** The values a `where` compares secret columns with, at any depth of operators. */
export function whereSecrets(where: unknown, isSecretColumn: (name: string) => boolean, secrets: Set<string>): void {
  const pending: { value: unknown; secret: boolean; depth: number }[] = [{ value: where, secret: false, depth: 0 }];
  while (pending.length > 0) {
    const { value, secret, depth } = pending.pop() as { value: unknown; secret: boolean; depth: number };
    if (depth > 100) continue;
    if (secret) addSecret(secrets, value);
    if (Array.isArray(value)) {
      for (const item of value) pending.push({ value: item, secret, depth: depth + 1 });
    } else if (value && typeof value === 'object' && !(value instanceof Date)) {
      for (const key of Reflect.ownKeys(value)) {
        const child = (value as Record<string | symbol, unknown>)[key];
        const named = typeof key === 'string' && isSecretColumn(key);
        pending.push({ value: child, secret: secret || named, depth: depth + 1 });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

interface ErrorLike {
  sql?: unknown;
  parameters?: unknown;
  parent?: unknown;
  original?: unknown;
  errors?: unknown;
  cause?: unknown;
  fields?: unknown;
  value?: unknown;
  path?: unknown;
  instance?: unknown;
  record?: unknown;
}

/** The error and the errors it carries (`parent`, `original`, `errors[]`, `cause`), each once. */
function errorGraph(root: unknown): ErrorLike[] {
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  const found: ErrorLike[] = [];
  while (pending.length > 0) {
    const node = pending.pop();
    if (!node || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    found.push(node as ErrorLike);
    const error = node as ErrorLike;
    pending.push(error.parent, error.original, error.cause);
    if (Array.isArray(error.errors)) pending.push(...error.errors);
    else if (error.errors && typeof error.errors === 'object') pending.push(error.errors);
  }
  return found;
}

const HANDLED = new Set([
  'sql',
  'parameters',
  'fields',
  'value',
  'instance',
  'record',
  'errors',
  'parent',
  'original',
  'cause',
]);

/** Hides a property from JSON.stringify and util.inspect while keeping it readable. */
function hide(target: object, key: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor?.enumerable && 'value' in descriptor) {
    Object.defineProperty(target, key, { ...descriptor, enumerable: false });
  }
}

export interface ErrorRedactionContext {
  isSecretColumn: (name: string) => boolean;
  /** Secret values known from the query's options (its instance, its where, the database password). */
  secrets: Set<string>;
  /** Bound parameters the query was given, when the error does not carry them. */
  bind?: unknown;
}

/**
 * Removes every secret from an error and the errors it carries, in place:
 * `sql`, `parameters`, messages, stacks and every other text, `fields` and
 * `value`s of secret columns, and the instances behind validation items
 * (kept, but no longer enumerable, so neither JSON nor inspect walks them).
 */
export function redactError<E>(error: E, context: ErrorRedactionContext): E {
  const { isSecretColumn } = context;
  const secrets = new Set(context.secrets);
  const nodes = errorGraph(error);
  const positions = new Map<ErrorLike, Set<number>>();
  // First every statement, so that a secret found in one is replaced in all the others' text.
  for (const node of nodes) {
    if (typeof node.sql !== 'string') continue;
    const found = redactSql(node.sql, isSecretColumn);
    for (const secret of found.secrets) secrets.add(secret);
    boundSecrets(node.parameters ?? context.bind, found.secretParameters, secrets);
    positions.set(node, found.secretParameters);
    node.sql = found.sql;
  }
  for (const node of nodes) {
    if (node.parameters !== undefined) {
      node.parameters = redactParameters(node.parameters, positions.get(node) ?? new Set(), secrets);
    }
    if (node.fields && typeof node.fields === 'object') {
      const fields = node.fields as Record<string, unknown>;
      for (const [key, value] of Object.entries(fields)) {
        fields[key] = isSecretColumn(key) && value != null ? REDACTED : redactAny(value, secrets);
      }
    }
    if (typeof node.path === 'string' && isSecretColumn(node.path) && node.value != null) node.value = REDACTED;
    else if (node.value !== undefined) node.value = redactAny(node.value, secrets);
    hide(node, 'instance');
    hide(node, 'record');
    for (const key of Object.getOwnPropertyNames(node)) {
      // Handled above or as nodes of their own; the row behind an item is the app's object, hidden, never rewritten.
      if (HANDLED.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(node, key);
      if (!descriptor || !('value' in descriptor) || !descriptor.writable) continue;
      if (typeof descriptor.value === 'string') {
        const redacted = redactText(descriptor.value, secrets);
        if (redacted !== descriptor.value) (node as Record<string, unknown>)[key] = redacted;
      } else if (isPlainContainer(descriptor.value)) {
        // A driver's own details (pg-mem's `data: { error, details }`): plain objects, rewritten in place.
        redactStringsIn(descriptor.value, secrets);
      }
    }
    // V8 keeps `stack` as an accessor on some errors: read and rewrite it through the property.
    const stack = (node as { stack?: unknown }).stack;
    if (typeof stack === 'string') {
      const redacted = redactText(stack, secrets);
      if (redacted !== stack)
        Object.defineProperty(node, 'stack', { value: redacted, writable: true, configurable: true });
    }
  }
  return error;
}

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return (
    Array.isArray(value) ||
    (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
  );
}

/** Redacts the strings of plain objects and arrays, in place, down to a bounded depth. */
function redactStringsIn(root: Record<string, unknown> | unknown[], secrets: ReadonlySet<string>): void {
  const pending: { value: Record<string, unknown> | unknown[]; depth: number }[] = [{ value: root, depth: 0 }];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const { value, depth } = pending.pop() as { value: Record<string, unknown> | unknown[]; depth: number };
    if (depth > 20 || seen.has(value)) continue;
    seen.add(value);
    const entries = Object.entries(value) as [string, unknown][];
    for (const [key, item] of entries) {
      if (typeof item === 'string') (value as Record<string, unknown>)[key] = redactAny(item, secrets);
      else if (isPlainContainer(item)) pending.push({ value: item, depth: depth + 1 });
    }
  }
}

function redactAny(value: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return isSecretValue(value, secrets) ? REDACTED : redactText(value, secrets);
  return value;
}

/**
 * A copy of query options fit to hand to a logging function: the bound
 * parameters, replacements and `where` values of secret columns replaced.
 * (A user instance in `instance` shows no secret through inspect or JSON.)
 */
export function redactOptions<O extends object>(
  options: O,
  secretPositions: ReadonlySet<number>,
  secrets: ReadonlySet<string>,
  isSecretColumn: (name: string) => boolean,
): O {
  const copy = { ...options } as Record<string, unknown>;
  if (copy.bind !== undefined) copy.bind = redactParameters(copy.bind, secretPositions, secrets);
  if (copy.replacements !== undefined) copy.replacements = redactParameters(copy.replacements, new Set(), secrets);
  if (copy.where !== undefined) copy.where = redactWhere(copy.where, isSecretColumn, secrets, 0);
  return copy as O;
}

function redactWhere(
  value: unknown,
  isSecretColumn: (name: string) => boolean,
  secrets: ReadonlySet<string>,
  depth: number,
  secret = false,
): unknown {
  if (depth > 100) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactWhere(item, isSecretColumn, secrets, depth + 1, secret));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string | symbol, unknown> = {};
    for (const key of Reflect.ownKeys(value)) {
      const named = typeof key === 'string' && isSecretColumn(key);
      copy[key] = redactWhere(
        (value as Record<string | symbol, unknown>)[key],
        isSecretColumn,
        secrets,
        depth + 1,
        secret || named,
      );
    }
    return copy;
  }
  if (secret && value !== null && value !== undefined && typeof value !== 'object') return REDACTED;
  return redactAny(value, secrets);
}
