import { type Model, type ModelStatic, QueryTypes, type Transaction, ValidationError } from 'sequelize';
import { currentActorId } from '../db/actor';
import { stampNewRow } from '../models/base/audit';
import { columnsOf } from '../models/base/metadata';

export interface ImportOptions {
  /** Rows per INSERT statement (default 1000). */
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
  const idColumn = attributes.findIndex(([name]) => name === 'id');
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 1000, Math.floor(65535 / attributes.length)));

  const insertAll = async (transaction: Transaction) => {
    let inserted = 0;
    for (let start = 0; start < records.length; start += batchSize) {
      const batch = records.slice(start, start + batchSize);
      // A column NULL in every row of the batch, with no default, is left out: the database writes NULL
      // all the same, and the statement carries fewer parameters.
      const used = attributes.flatMap(([, attribute], i) =>
        attribute.defaultValue !== undefined || batch.some((record) => record[i] !== null) ? [i] : [],
      );
      // Bound parameters, as a raw pg import would send them: no escaping into one huge SQL text.
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
  };
  const inserted = options.transaction ? await insertAll(options.transaction) : await sequelize.transaction(insertAll);
  return { inserted, skipped: records.length - inserted };
}
