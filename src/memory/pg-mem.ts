import { createHash, randomUUID } from 'node:crypto';
import moment from 'moment';
import type { IMemoryDb } from 'pg-mem';

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
  const { DataType, newDb } = require('pg-mem') as typeof import('pg-mem');
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
type PgClient = new (...args: unknown[]) => { query(...args: unknown[]): unknown };

function literal(value: unknown): string {
  // pg's own conversion of a JavaScript value to the text PostgreSQL receives (loaded with pg-mem, on first use).
  const { prepareValue } = require('pg/lib/utils') as { prepareValue(value: unknown): unknown };
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return 'NULL';
  const text = Buffer.isBuffer(prepared) ? `\\x${prepared.toString('hex')}` : String(prepared);
  return `'${text.replace(/'/g, "''")}'`;
}

function inline(text: string, values: unknown[]): string {
  return text.replace(/\$(\d+)/g, (placeholder, index: string) => {
    const position = Number(index) - 1;
    if (position >= values.length) throw new Error(`no value for the query parameter ${placeholder}`);
    return literal(values[position]);
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

/**
 * The `pg` module to give Sequelize for a pg-mem database. pg-mem's adapter
 * writes parameters into the query as `E'...'` strings, which its own parser
 * then fails on for text holding both a backslash and a double quote; this
 * one writes them as standard strings ('...' with quotes doubled), which it
 * reads back exactly, as PostgreSQL does. Numbers in exponent form are
 * quoted too (see `quoteExponentNumbers`).
 */
export function memoryDialectModule(mem: IMemoryDb): object {
  const pg = mem.adapters.createPg() as { Client: PgClient } & Record<string, unknown>;
  class Client extends pg.Client {
    override query(config: unknown, values?: unknown, ...rest: unknown[]): unknown {
      if (typeof config === 'string') {
        const text = quoteExponentNumbers(config);
        if (Array.isArray(values) && values.length > 0) return super.query(inline(text, values), ...rest);
        return super.query(text, values, ...rest);
      }
      if (config && typeof config === 'object' && typeof (config as QueryConfig).text === 'string') {
        const { text, values: parameters, ...others } = config as QueryConfig;
        const quoted = quoteExponentNumbers(text);
        if (parameters && parameters.length > 0) {
          return super.query({ ...others, text: inline(quoted, parameters) }, values, ...rest);
        }
        return super.query({ ...others, text: quoted }, values, ...rest);
      }
      return super.query(config, values, ...rest);
    }
  }
  return { ...pg, Client };
}
