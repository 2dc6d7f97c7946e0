import { createHash, randomUUID } from 'node:crypto';
import moment from 'moment';
import type { IMemoryDb } from 'pg-mem';
import { caughtInsert, caughtInsertRow } from './caught-insert';
import { orderEnumsAsDeclared } from './enum-order';
import { registerLike } from './like';
import { refuseUnsupported } from './refusals';
import { prepareForPgMem, prepareShaped } from './rewrite';
import { type QueryResult, transactionGate } from './transactions';

/**
 * The glue that lets Sequelize drive pg-mem. Everything here works around a
 * gap of pg-mem, not of the package; the same behaviour holds on PostgreSQL.
 */

// Sequelize looks an ENUM type up in pg_type JOIN pg_enum, which pg-mem cannot join.
const ENUM_LOOKUP = /\bFROM\s+pg_type\s+t\s+JOIN\s+pg_enum\b/i;
// ...and creates it inside a `DO '...'` block, which pg-mem cannot parse.
const ENUM_CREATE_BLOCK = /^\s*DO\s+'BEGIN\s+(CREATE\s+TYPE\s+[\s\S]+?);\s*EXCEPTION\s+WHEN\s+duplicate_object/i;

export function createMemoryDatabase(): IMemoryDb {
  // Loaded here, not at import: an app on PostgreSQL never pays for pg-mem's start-up.
  const pgMem = require('pg-mem') as typeof import('pg-mem');
  const { DataType, newDb } = pgMem;
  orderEnumsAsDeclared(pgMem);
  // pg-mem parses Sequelize's timestamps ('2026-01-01 00:00:00.000 +00:00') through moment's Date fallback,
  // which is correct for that format but prints a deprecation warning on every insert.
  moment.suppressDeprecationWarnings = true;
  const mem = newDb({ autoCreateForeignKeyIndices: false });
  mem.public.registerFunction({
    name: 'gen_random_uuid',
    returns: DataType.uuid,
    implementation: randomUUID,
    impure: true,
  });
  registerLike(mem, DataType);
  // The migration lock: one process owns an in-memory database, so there is nobody to wait for.
  mem.public.registerFunction({
    name: 'pg_advisory_xact_lock',
    args: [DataType.bigint],
    returns: DataType.bool,
    implementation: () => true,
    impure: true,
  });
  // PostgreSQL's own byte functions, which the migrations use to digest tokens (0002-hashed-tokens).
  mem.public.registerFunction({
    name: 'convert_to',
    args: [DataType.text, DataType.text],
    returns: DataType.bytea,
    implementation: (text: string, encoding: string) => {
      if (!/^utf-?8$/i.test(encoding)) throw new Error(`convert_to: only UTF8 is implemented here, not ${encoding}`);
      return Buffer.from(text, 'utf8');
    },
  });
  mem.public.registerFunction({
    name: 'sha256',
    args: [DataType.bytea],
    returns: DataType.bytea,
    implementation: (bytes: Buffer) => createHash('sha256').update(bytes).digest(),
  });
  mem.public.registerFunction({
    name: 'encode',
    args: [DataType.bytea, DataType.text],
    returns: DataType.text,
    implementation: (bytes: Buffer, format: string) => {
      if (format !== 'hex' && format !== 'base64') throw new Error(`encode: format ${format} is not implemented here`);
      return Buffer.from(bytes).toString(format);
    },
  });
  // The length CHECKs (migration 0003, sync) count characters as PostgreSQL does: code points.
  mem.public.registerFunction({
    name: 'char_length',
    args: [DataType.text],
    returns: DataType.integer,
    implementation: (value: string) => {
      let count = 0;
      for (const _ of value) count += 1;
      return count;
    },
  });
  mem.public.interceptQueries((sql) => {
    if (ENUM_LOOKUP.test(sql)) return [];
    const block = ENUM_CREATE_BLOCK.exec(sql);
    if (block?.[1]) {
      try {
        mem.public.none(block[1].replace(/''/g, "'"));
      } catch (error) {
        if (!/already exists/i.test(String(error))) throw error;
      }
      return [];
    }
    return null;
  });
  return mem;
}

type QueryConfig = { text: string; values?: unknown[] } & Record<string, unknown>;
type Callback = (error: Error | null, result?: QueryResult) => void;
type PgClient = new (...args: unknown[]) => object;

/** The text PostgreSQL receives for a parameter (pg's own conversion; loaded with pg-mem, on first use); null for NULL. */
function parameterText(value: unknown): string | null {
  const { prepareValue } = (require('pg') as { utils: { prepareValue(value: unknown): unknown } }).utils;
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return null;
  return Buffer.isBuffer(prepared) ? `\\x${prepared.toString('hex')}` : String(prepared);
}

function inline(text: string, values: readonly (string | null)[]): string {
  return text.replace(/\$(\d+)/g, (placeholder, index: string) => {
    const position = Number(index) - 1;
    if (position >= values.length) throw new Error(`no value for the query parameter ${placeholder}`);
    const value = values[position];
    return value === null || value === undefined ? 'NULL' : `'${value.replace(/'/g, "''")}'`;
  });
}

const EXPONENT_NUMBER = /^\d+(?:\.\d*)?[eE][+-]?\d+/;

/**
 * pg-mem's parser cannot read a number in exponent form (`1e-7`, `1e+308`),
 * which Sequelize writes for very small or large numbers it puts into a
 * statement (bulkCreate does): such a number is quoted, as the parameters
 * are, and PostgreSQL's rules for a quoted literal make it the column's type.
 * Strings, quoted names and comments are skipped over.
 */
export function quoteExponentNumbers(sql: string): string {
  if (!/\d[eE][+-]?\d/.test(sql)) return sql;
  let result = '';
  let i = 0;
  while (i < sql.length) {
    const char = sql[i] as string;
    if (char === "'" || char === '"') {
      let end = i + 1;
      while (end < sql.length && !(sql[end] === char && sql[end + 1] !== char)) end += sql[end] === char ? 2 : 1;
      result += sql.slice(i, end + 1);
      i = end + 1;
    } else if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      result += sql.slice(i, stop);
      i = stop;
    } else if (/\d/.test(char) && !/[\w$.]/.test(sql[i - 1] ?? '')) {
      const number = EXPONENT_NUMBER.exec(sql.slice(i))?.[0];
      const plain = /^\d+(?:\.\d*)?/.exec(sql.slice(i))?.[0] as string;
      // A minus sign that is the number's own (after an operator, a comma or a bracket) goes inside the quotes.
      const signed = number && result.endsWith('-') && /(^|[(,=<>+*/\s])$/.test(result.slice(0, -1).trimEnd());
      if (signed) result = result.slice(0, -1);
      result += number ? `'${signed ? '-' : ''}${number}'` : plain;
      i += (number ?? plain).length;
    } else {
      result += char;
      i += 1;
    }
  }
  return result;
}

interface Call {
  /** The SQL as sent, with its $n placeholders. */
  sql: string;
  /** Each parameter's text (null for NULL). */
  parameters: (string | null)[];
  callback?: Callback;
}

/** What a pg `query(...)` call asks for. */
function queryCall(config: unknown, values: unknown, callback: unknown): Call {
  const done = [values, callback].find((candidate) => typeof candidate === 'function') as Callback | undefined;
  const { text, values: configValues } =
    typeof config === 'string' ? { text: config, values: undefined } : (config as QueryConfig);
  const parameters = (Array.isArray(values) ? values : (configValues ?? [])).map(parameterText);
  const sql = quoteExponentNumbers(text);
  return done ? { sql, parameters, callback: done } : { sql, parameters };
}

// PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1); pg-mem keeps all of them.
const MAX_IDENTIFIER_BYTES = 63;

/** A column name as PostgreSQL returns it: cut to 63 bytes, on a character boundary. */
function truncatedIdentifier(name: string): string {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8: short names need no look.
  if (name.length * 3 <= MAX_IDENTIFIER_BYTES) return name;
  const bytes = Buffer.from(name);
  if (bytes.length <= MAX_IDENTIFIER_BYTES) return name;
  let end = MAX_IDENTIFIER_BYTES;
  // biome-ignore lint/style/noNonNullAssertion: end stays within the buffer
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString();
}

function execute(mem: IMemoryDb, call: Call): QueryResult {
  const caught = caughtInsert(call.sql);
  if (!caught) return run(mem, call);
  try {
    const inserted = run(mem, { sql: caught.insert, parameters: [] });
    return { ...inserted, command: 'SELECT', rows: [caughtInsertRow(caught, inserted.rows[0], null)] };
  } catch (error) {
    const { code, data } = error as { code?: string; data?: { details?: string } };
    if (code !== '23505') throw error;
    return {
      command: 'SELECT',
      rowCount: 1,
      rows: [caughtInsertRow(caught, undefined, data?.details ?? '')],
      fields: [],
    };
  }
}

function run(mem: IMemoryDb, { sql, parameters }: Call): QueryResult {
  refuseUnsupported(sql);
  // Parameters are written into the SQL as standard strings ('...' with quotes doubled), which pg-mem reads
  // back exactly (its own adapter writes `E'...'` strings, which its parser gets wrong for text holding both a
  // backslash and a double quote), or, for a write, put into its parsed shape as the same literals.
  const intercepted = ENUM_LOOKUP.test(sql) || ENUM_CREATE_BLOCK.test(sql);
  const query =
    (intercepted ? undefined : prepareShaped(sql, parameters)) ??
    prepareForPgMem(parameters.length === 0 ? sql : inline(sql, parameters));
  const result = mem.public.query(query);
  return {
    command: result.command,
    rowCount: result.rowCount,
    // Copies without pg-mem's symbol-keyed bookkeeping, as its own pg adapter returns them, and with
    // PostgreSQL's column names: Sequelize's aliases of nested includes can exceed 63 bytes.
    rows: result.rows.map((row: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(row).map(([key, value]) => [truncatedIdentifier(key), value])),
    ),
    fields: [],
  };
}

/**
 * The `pg` module to give Sequelize for a pg-mem database. Every query passes
 * here: its parameters are bound (see `execute`), the SQL is rewritten where
 * pg-mem would answer differently from PostgreSQL (see rewrite.ts), and
 * transaction statements are answered by the database's transaction gate
 * (see transactions.ts).
 */
export function memoryDialectModule(mem: IMemoryDb): object {
  const pg = mem.adapters.createPg() as { Client: PgClient } & Record<string, unknown>;
  const gate = transactionGate(mem);
  class Client extends pg.Client {
    query(config: unknown, values?: unknown, callback?: unknown): Promise<QueryResult> | undefined {
      let call: Call;
      try {
        call = queryCall(config, values, callback);
      } catch (error) {
        return Promise.reject(error);
      }
      const result = gate.run(this, call.sql, () => execute(mem, call));
      if (!call.callback) return result;
      const done = call.callback;
      result.then(
        (answer) => done(null, answer),
        (error: Error) => done(error),
      );
      return undefined;
    }
  }
  return { ...pg, Client };
}

/** Forgets the open transaction of `mem`, if any, as its data is reset (see `createTestDb`'s `reset`). */
export function resetTransactions(mem: IMemoryDb): void {
  transactionGate(mem).abandon();
}
