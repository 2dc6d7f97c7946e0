import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
import { connectionOf } from '../db/connection';
import { stampNewRow } from '../models/base/audit';
import { type ColumnShape, columnsOf } from '../models/base/metadata';

/**
 * pg's own conversion of a value to the text PostgreSQL receives for a bound
 * parameter (dates, buffers, arrays). Loaded with the first import that needs
 * it, not with the package: pg's first load also loads Node's fetch (~14 ms).
 */
function prepareValue(value: unknown): unknown {
  const pg = require('pg') as { utils: { prepareValue(value: unknown): unknown } };
  return pg.utils.prepareValue(value);
}

export interface ImportOptions {
  /** Rows per statement: per INSERT on pg-mem, per COPY and INSERT ... SELECT on PostgreSQL (default 1000). */
  batchSize?: number | undefined;
  /** Runs in this transaction (in a savepoint of it on PostgreSQL) instead of one of its own. */
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
 * already in the table, or came earlier in the same import, is skipped, not an
 * error. Every row is built and validated as `create()` would (the model's
 * validation hooks run, so users' passwords are hashed; timestamps and the
 * actor's audit columns are set), and the whole import is one transaction (a
 * savepoint inside the caller's), so a bad row leaves nothing written. Any
 * conflict other than the import hash (a duplicate slug, say) fails the import.
 *
 * On PostgreSQL the rows stream with COPY into a temporary table as they are
 * validated (the server takes in one chunk while the next is validated), and
 * one `INSERT ... SELECT ... ON CONFLICT ("importHash") DO NOTHING` moves them
 * into the table. On pg-mem, which has no COPY, they go in multi-row INSERTs.
 */
export async function importRows<M extends Model>(
  model: ModelStatic<M>,
  rows: readonly object[],
  options: ImportOptions = {},
): Promise<ImportResult> {
  const attributes = columnsOf(model);
  const sequelize = model.sequelize;
  if (!sequelize) throw new Error(`importRows: ${model.name} is not registered on a Sequelize instance`);
  if (rows.length === 0) return { inserted: 0, skipped: 0 };
  const queryInterface = sequelize.getQueryInterface();
  const target: ImportTarget = {
    sequelize,
    attributes,
    table: queryInterface.quoteIdentifier(model.getTableName() as string),
    quoted: attributes.map(([name, attribute]) => queryInterface.quoteIdentifier(attribute.field ?? name)),
    prepare: rowPreparer(model as unknown as ModelStatic<Model>, attributes, sequelize),
  };
  const inMemory = Boolean((sequelize as { memory?: unknown }).memory);
  // The first batch (on pg-mem, every row) is built and validated before the transaction opens: an import
  // whose first rows are invalid fails without a round trip to the database.
  const prepared: unknown[][] = [];
  /** Builds and validates the rows not built yet, up to (not including) `end`. */
  const prepareUpTo = async (end: number) => {
    for (let index = prepared.length; index < end; index += 1) {
      prepared.push(await target.prepare(rows[index] as object, index));
    }
  };
  await prepareUpTo(inMemory ? rows.length : Math.min(rows.length, copyBatchRows(options.batchSize)));
  const write = async (transaction: Transaction) => {
    // The transaction's own client: COPY runs inside the transaction, so it works through PgBouncer's
    // transaction mode too.
    const client = inMemory ? undefined : (connectionOf(transaction) as CopyClient | undefined);
    if (client) return copyAll(target, rows, prepared, client, transaction, options.batchSize);
    // A server connection without a client to COPY through: the rest of the rows go in INSERTs too.
    await prepareUpTo(rows.length);
    return insertAll(target, prepared, transaction, options.batchSize);
  };
  const outer = options.transaction;
  // In the caller's transaction, a savepoint: a failed import leaves that transaction usable (pg-mem has none).
  const inserted = outer
    ? inMemory
      ? await write(outer)
      : await sequelize.transaction({ transaction: outer }, write)
    : await sequelize.transaction(write);
  return { inserted, skipped: rows.length - inserted };
}

/** A row as the values of the table's columns, in `columnsOf` order, once built and validated. */
type Prepare = (row: object, index: number) => Promise<unknown[]>;

function rowPreparer(model: ModelStatic<Model>, attributes: [string, ColumnShape][], sequelize: Sequelize): Prepare {
  // The rows bypass the model's create hooks: the actor's audit columns are set here, as create() would.
  const actor = attributes.some(([name]) => name === 'createdById') ? currentActorId(sequelize) : undefined;
  const now = new Date();
  const timestamps = ['createdAt', 'updatedAt'].filter((name) => attributes.some(([attribute]) => attribute === name));
  const names = attributes.map(([name]) => name);
  const json = attributes.map(([, attribute]) => attribute.type.key === 'JSON');
  return async (row, index) => {
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
    const record = new Array<unknown>(names.length);
    for (let i = 0; i < names.length; i += 1) {
      const value = instance.getDataValue(names[i] as never) as unknown;
      record[i] = value === undefined || value === null ? null : json[i] ? JSON.stringify(value) : value;
    }
    return record;
  };
}

interface ImportTarget {
  sequelize: Sequelize;
  attributes: [string, ColumnShape][];
  table: string;
  quoted: string[];
  prepare: Prepare;
}

/**
 * The columns to write: those with a default, and those some row has a value for. A column NULL in every row
 * is left out: the database writes its own default, or NULL all the same.
 */
function usedColumns(target: ImportTarget, hasValue: (column: number) => boolean): number[] {
  return target.attributes.flatMap(([, attribute], i) =>
    attribute.defaultValue !== undefined || hasValue(i) ? [i] : [],
  );
}

/** pg-mem's path (it has no COPY): multi-row INSERTs with bound parameters. */
async function insertAll(
  target: ImportTarget,
  records: unknown[][],
  transaction: Transaction,
  size: number | undefined,
): Promise<number> {
  const { sequelize, attributes, table, quoted } = target;
  const idColumn = attributes.findIndex(([name]) => name === 'id');
  const batchSize = Math.max(1, Math.min(size ?? 1000, Math.floor(65535 / attributes.length)));
  let inserted = 0;
  for (let start = 0; start < records.length; start += batchSize) {
    const batch = records.slice(start, start + batchSize);
    // Decided per batch: the fewer columns, the fewer parameters.
    const used = usedColumns(target, (i) => batch.some((record) => record[i] !== null));
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
type CopyClient = { query(stream: CopyStreamQuery): CopyStreamQuery };

let importTables = 0;

/** Rows a COPY batch holds on PostgreSQL: `batchSize`, by default 1,000. */
function copyBatchRows(size: number | undefined): number {
  return Math.max(1, size ?? 1000);
}

/**
 * PostgreSQL's path, in batches: the rows of a batch are built and validated
 * into COPY's text format, streamed with COPY into a temporary table (dropped
 * at commit), and moved into the table by `INSERT ... SELECT ... ON CONFLICT
 * ("importHash") DO NOTHING`, where constraints, foreign keys and indexes are
 * checked as for any INSERT (a violation is Sequelize's error, through
 * sequelize.query). While the server runs one batch's INSERT, the next batch
 * is validated here, so the two processes work at the same time (the first
 * batch was validated before the transaction opened). Rows whose
 * importHash came earlier in the same import are left out before the COPY,
 * so which one wins does not depend on the order the INSERT reads them in. An
 * invalid row stops the import, and the transaction (or savepoint) rolls back.
 */
async function copyAll(
  target: ImportTarget,
  rows: readonly object[],
  /** The first rows, built and validated already. */
  prepared: unknown[][],
  client: CopyClient,
  transaction: Transaction,
  size: number | undefined,
): Promise<number> {
  const { sequelize, attributes, table, quoted, prepare } = target;
  const columns = (indexes: number[]) => indexes.map((i) => quoted[i]).join(', ');
  const all = columns(attributes.map((_, i) => i));
  importTables += 1;
  const temporary = `"tbp_import_${process.pid}_${importTables}"`;
  const run = (sql: string, type: QueryTypes = QueryTypes.RAW) => sequelize.query(sql, { transaction, type });
  await run(`CREATE TEMP TABLE ${temporary} ON COMMIT DROP AS SELECT ${all} FROM ${table} WITH NO DATA`);
  const copy = `COPY ${temporary} (${all}) FROM STDIN`;
  // Logged as Sequelize logs its own statements (the rows are not).
  const { logging } = (sequelize as unknown as { options: { logging?: unknown } }).options;
  const id = (transaction as unknown as { id?: string }).id ?? 'default';
  const { from } = require('pg-copy-streams') as typeof import('pg-copy-streams');

  const hashColumn = attributes.findIndex(([name]) => name === 'importHash');
  const seen = new Set<unknown>();
  const batchRows = copyBatchRows(size);
  let inserted = 0;
  let pending: Promise<number> | undefined;
  let copiedBefore = false;
  try {
    for (let start = 0; start < rows.length; start += batchRows) {
      // Client work, while the server runs the previous batch's INSERT.
      const hasValue = attributes.map(() => false);
      // The input row of each line, for an error of the COPY to name.
      const lines: number[] = [];
      let text = '';
      for (let index = start; index < Math.min(rows.length, start + batchRows); index += 1) {
        const record = prepared[index] ?? (await prepare(rows[index] as object, index));
        const hash = record[hashColumn];
        if (hash !== null && hash !== undefined) {
          if (seen.has(hash)) continue;
          seen.add(hash);
        }
        for (let i = 0; i < record.length; i += 1) {
          if (record[i] !== null) hasValue[i] = true;
          text += i === 0 ? copyValue(record[i]) : `\t${copyValue(record[i])}`;
        }
        text += '\n';
        lines.push(index);
      }
      if (pending) inserted += await pending;
      pending = undefined;
      if (lines.length === 0) continue;
      if (copiedBefore) await run(`TRUNCATE ${temporary}`);
      copiedBefore = true;
      if (typeof logging === 'function') logging(`Executing (${id}): ${copy} (${lines.length} rows)`);
      try {
        await pipeline(Readable.from([text]), client.query(from(copy)));
      } catch (error) {
        throw copyError(error, lines);
      }
      const used = columns(usedColumns(target, (i) => hasValue[i] === true));
      // An INSERT answers [rows, the number of rows written]. Not awaited here: the next batch is prepared meanwhile.
      pending = (
        run(
          `INSERT INTO ${table} (${used}) SELECT ${used} FROM ${temporary} ON CONFLICT ("importHash") DO NOTHING`,
          QueryTypes.INSERT,
        ) as Promise<unknown> as Promise<[unknown, number]>
      ).then(([, written]) => written);
      // Left to fail alone (a row of the next batch invalid), it would be an unhandled rejection.
      pending.catch(() => undefined);
    }
    if (pending) inserted += await pending;
  } catch (error) {
    // The statement in flight ends before the rollback goes out on the same connection.
    await pending?.catch(() => undefined);
    throw error;
  }
  return inserted;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value as COPY's text format has it: `\N` for NULL, pg's own conversion for the rest, backslash escapes. */
function copyValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return COPY_SPECIAL.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] as string) : value;
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return '\\N';
  }
  if (value === null) return '\\N';
  // The rows of an import share their timestamps: each instant is converted once.
  if (value instanceof Date) {
    const time = value.getTime();
    if (time !== lastTime) {
      lastTime = time;
      lastTimeText = String(prepareValue(value));
    }
    return lastTimeText;
  }
  return copyValue(String(prepareValue(value)));
}

let lastTime = Number.NaN;
let lastTimeText = '';

/**
 * An error of the COPY itself (the rows were validated, so a type the table
 * refuses, or the connection): a DatabaseError naming the row and column,
 * never the value (it may be a password hash or a token).
 */
function copyError(error: unknown, copiedRows: number[]): Error {
  const pgError = error as { code?: string; where?: string };
  const at = /line (\d+)(?:, column ([^:]+))?/.exec(pgError.where ?? '');
  const row = at ? copiedRows[Number(at[1]) - 1] : undefined;
  const place = at ? ` at row ${row ?? '?'}${at[2] ? `, column ${at[2]}` : ''}` : '';
  const cause = new Error(`importRows: COPY failed${place} (SQLSTATE ${pgError.code ?? 'unknown'})`) as Error & {
    sql: string;
    parameters: unknown[];
  };
  cause.sql = 'COPY ... FROM STDIN';
  cause.parameters = [];
  return new DatabaseError(cause as never);
}
