import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { CopyStreamQuery } from 'pg-copy-streams';
import {
  DatabaseError,
  type Model,
  type ModelStatic,
  QueryTypes,
  type Sequelize,
  type Transaction,
  ValidationError,
} from 'sequelize';
import { currentActorId } from '../db/actor';
import { stampNewRow } from '../models/base/audit';
import { type ColumnShape, columnsOf } from '../models/base/metadata';

// pg's own conversion of a value to the text PostgreSQL receives for a bound parameter (dates, buffers, arrays).
const { prepareValue } = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils;

export interface ImportOptions {
  /** Rows per INSERT statement on pg-mem (default 1000); PostgreSQL gets every row through one COPY. */
  batchSize?: number | undefined;
  /** Runs in this transaction instead of one of its own. */
  transaction?: Transaction | undefined;
}

export interface ImportResult {
  /** Rows written. */
  inserted: number;
  /** Rows left out because a row with their `importHash` already exists (or came earlier in the same import). */
  skipped: number;
}

/** Raised when a row of an import is invalid: a ValidationError with the row's items, naming the row. */
export class ImportValidationError extends ValidationError {
  constructor(
    readonly row: number,
    invalid: ValidationError,
  ) {
    super(`Row ${row} of the import is invalid: ${invalid.message}`, invalid.errors);
    this.name = 'ImportValidationError';
  }
}

/**
 * Imports many rows at once, deduplicated by `importHash`: a row whose hash is
 * already in the table is skipped, not an error. Every row is validated first
 * (with the model's validation hooks, so users' passwords are hashed) and the
 * whole import is one transaction, so a bad row leaves nothing written. The
 * INSERTs ask back only the ids written (not `RETURNING *` into model instances,
 * which costs bulkCreate about a third of its time) and end in
 * `ON CONFLICT ("importHash") DO NOTHING`, so any other conflict (a duplicate
 * slug, say) still fails the import.
 */
export async function importRows<M extends Model>(
  model: ModelStatic<M>,
  rows: readonly object[],
  options: ImportOptions = {},
): Promise<ImportResult> {
  const attributes = columnsOf(model);
  const sequelize = model.sequelize;
  if (!sequelize) throw new Error(`importRows: ${model.name} is not registered on a Sequelize instance`);
  // The INSERTs below bypass the model's hooks: the actor's audit columns are set here, as create() would.
  const actor = attributes.some(([name]) => name === 'createdById') ? currentActorId(sequelize) : undefined;
  const now = new Date();
  const timestamps = ['createdAt', 'updatedAt'].filter((name) => attributes.some(([attribute]) => attribute === name));
  const records: unknown[][] = [];
  for (const [index, row] of rows.entries()) {
    const instance = model.build(row as never);
    // As save() does before validating: the timestamps are set.
    for (const name of timestamps) {
      if (instance.getDataValue(name as never) == null) instance.setDataValue(name as never, now as never);
    }
    if (actor) stampNewRow(instance, actor);
    try {
      // The models' validate() takes a synchronous fast path for rows that are certainly valid.
      await instance.validate();
    } catch (error) {
      if (error instanceof ValidationError) throw new ImportValidationError(index, error);
      throw error;
    }
    records.push(
      attributes.map(([name, attribute]) => {
        const value = instance.getDataValue(name as never) as unknown;
        if (value === undefined || value === null) return null;
        return attribute.type.key === 'JSON' ? JSON.stringify(value) : value;
      }),
    );
  }

  const queryInterface = sequelize.getQueryInterface();
  const table = queryInterface.quoteIdentifier(model.getTableName() as string);
  const quoted = attributes.map(([name, attribute]) => queryInterface.quoteIdentifier(attribute.field ?? name));
  const target: ImportTarget = { sequelize, attributes, table, quoted, records };
  const write = async (transaction: Transaction) => {
    const client = (sequelize as { memory?: unknown }).memory ? undefined : copyClientOf(transaction);
    return client ? copyAll(target, client, transaction) : insertAll(target, transaction, options.batchSize);
  };
  const inserted = options.transaction ? await write(options.transaction) : await sequelize.transaction(write);
  return { inserted, skipped: records.length - inserted };
}

interface ImportTarget {
  sequelize: Sequelize;
  attributes: [string, ColumnShape][];
  table: string;
  quoted: string[];
  records: unknown[][];
}

/** The columns to write: those some row has a value for, and those with a default (as the INSERT path decides per batch). */
function usedColumns(target: ImportTarget, records: unknown[][]): number[] {
  return target.attributes.flatMap(([, attribute], i) =>
    attribute.defaultValue !== undefined || records.some((record) => record[i] !== null) ? [i] : [],
  );
}

/** pg-mem's path (it has no COPY): multi-row INSERTs with bound parameters. */
async function insertAll(target: ImportTarget, transaction: Transaction, size: number | undefined): Promise<number> {
  const { sequelize, attributes, table, quoted, records } = target;
  const idColumn = attributes.findIndex(([name]) => name === 'id');
  const batchSize = Math.max(1, Math.min(size ?? 1000, Math.floor(65535 / attributes.length)));
  let inserted = 0;
  for (let start = 0; start < records.length; start += batchSize) {
    const batch = records.slice(start, start + batchSize);
    // A column NULL in every row of the batch, with no default, is left out: the database writes NULL
    // all the same, and the statement carries fewer parameters.
    const used = usedColumns(target, batch);
    const bind: unknown[] = [];
    const tuples = batch.map((record) => `(${used.map((i) => `$${bind.push(record[i])}`).join(', ')})`);
    const columns = used.map((i) => quoted[i]).join(', ');
    // RETURNING the key alone counts the rows written. (pg-mem also returns the rows a conflict kept:
    // only ids of this batch count, once each.)
    const sql = `INSERT INTO ${table} (${columns}) VALUES ${tuples.join(', ')} ON CONFLICT ("importHash") DO NOTHING RETURNING "id"`;
    const written = (await sequelize.query(sql, { bind, type: QueryTypes.SELECT, transaction })) as { id: string }[];
    const ours = new Set(batch.map((record) => record[idColumn]));
    inserted += new Set(written.map((row) => row.id).filter((id) => ours.has(id))).size;
  }
  return inserted;
}

// ---------------------------------------------------------------------------------------------- COPY

/** What the COPY path needs of the transaction's pg client. */
interface CopyClient {
  query(stream: CopyStreamQuery): CopyStreamQuery;
}

/**
 * The pg client under a Sequelize transaction (its `connection`, which
 * Sequelize's typings leave out): COPY streams through it, inside the
 * transaction, so it works through PgBouncer in transaction mode too.
 */
export function copyClientOf(transaction: Transaction): CopyClient | undefined {
  const connection = (transaction as unknown as { connection?: unknown }).connection;
  return connection && typeof (connection as { query?: unknown }).query === 'function'
    ? (connection as CopyClient)
    : undefined;
}

let importTables = 0;

/**
 * PostgreSQL's path: the rows stream into a temporary table with COPY (no
 * statement of 65,535 parameters, no SQL to parse per row), dropped at commit,
 * then one `INSERT ... SELECT ... ON CONFLICT ("importHash") DO NOTHING` moves
 * them into the table, where constraints, foreign keys and indexes are checked
 * as for any INSERT (and a violation is Sequelize's error, through
 * sequelize.query). Rows whose importHash came earlier in the same import are
 * left out here, so which one wins does not depend on the order the INSERT
 * reads them in.
 */
async function copyAll(target: ImportTarget, client: CopyClient, transaction: Transaction): Promise<number> {
  const { sequelize, attributes, table, quoted } = target;
  const hashColumn = attributes.findIndex(([name]) => name === 'importHash');
  const seen = new Set<unknown>();
  const records = target.records.filter((record) => {
    const hash = record[hashColumn];
    if (hash === null || hash === undefined) return true;
    if (seen.has(hash)) return false;
    seen.add(hash);
    return true;
  });
  if (records.length === 0) return 0;
  const used = usedColumns(target, records);
  const columns = used.map((i) => quoted[i]).join(', ');
  importTables += 1;
  const temporary = `"tbp_import_${process.pid}_${importTables}"`;
  await sequelize.query(
    `CREATE TEMP TABLE ${temporary} ON COMMIT DROP AS SELECT ${columns} FROM ${table} WITH NO DATA`,
    { transaction, type: QueryTypes.RAW },
  );
  const copy = `COPY ${temporary} (${columns}) FROM STDIN`;
  // Logged as Sequelize logs its own statements (the rows are not).
  const { logging } = (sequelize as unknown as { options: { logging?: unknown } }).options;
  const id = (transaction as unknown as { id?: string }).id ?? 'default';
  if (typeof logging === 'function') logging(`Executing (${id}): ${copy} (${records.length} rows)`);
  const { from } = require('pg-copy-streams') as typeof import('pg-copy-streams');
  try {
    await pipeline(Readable.from(copyLines(records, used)), client.query(from(copy)));
  } catch (error) {
    throw copyError(error);
  }
  // An INSERT answers [rows, the number of rows written].
  const [, written] = (await sequelize.query(
    `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${temporary} ON CONFLICT ("importHash") DO NOTHING`,
    { transaction, type: QueryTypes.INSERT },
  )) as [unknown, number];
  return written;
}

/** The rows in COPY's text format, some hundred kilobytes a chunk. */
function* copyLines(records: unknown[][], used: number[]): Generator<string> {
  let chunk = '';
  for (const record of records) {
    let line = '';
    for (let k = 0; k < used.length; k += 1) {
      if (k > 0) line += '\t';
      line += copyValue(record[used[k] as number]);
    }
    chunk += `${line}\n`;
    if (chunk.length > 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value as COPY's text format has it: `\N` for NULL, pg's own conversion for the rest, backslash escapes. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : String(prepareValue(value));
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] as string) : text;
}

/**
 * An error of the COPY itself (the rows were validated, so a type the table
 * refuses): a DatabaseError naming the row and column, never the value (it
 * may be a password hash or a token).
 */
function copyError(error: unknown): Error {
  const pgError = error as { message?: string; code?: string; where?: string };
  const at = /line (\d+)(?:, column ([^:]+))?/.exec(pgError.where ?? '');
  const place = at ? ` at row ${Number(at[1]) - 1}${at[2] ? `, column ${at[2]}` : ''}` : '';
  const cause = new Error(`importRows: COPY failed${place} (SQLSTATE ${pgError.code ?? 'unknown'})`) as Error & {
    sql: string;
    parameters: unknown[];
  };
  cause.sql = 'COPY ... FROM STDIN';
  cause.parameters = [];
  return new DatabaseError(cause as never);
}
