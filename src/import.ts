import { type Model, type ModelStatic, QueryTypes, type Transaction, ValidationError } from 'sequelize';

export interface ImportOptions {
  /** Rows per INSERT statement (default 1000). */
  batchSize?: number;
  /** Runs in this transaction instead of one of its own. */
  transaction?: Transaction;
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

type Validator = Record<string, (value: string, ...args: unknown[]) => boolean>;
// Sequelize's own table of built-in validators (validator.js plus its extras), so both paths judge alike.
const builtIn = require('sequelize/lib/utils/validator-extras').validator as Validator;

interface AttributeShape {
  type: { key?: string };
  allowNull?: boolean;
  field?: string;
  validate?: Record<string, unknown>;
}

/**
 * Whether a row certainly passes the model's validation, judged synchronously
 * the way Sequelize's validator does (built-ins by name, custom functions
 * called, objects refused by text columns). `false` means "not certainly":
 * the row then goes through Sequelize's own validation, which decides and
 * words the error. This skips that validator's per-field promises, most of an
 * import's time, for the rows that are fine.
 */
function certainlyValid(model: ModelStatic<Model>, instance: Model, attributes: [string, AttributeShape][]): boolean {
  for (const [name, attribute] of attributes) {
    const value = instance.getDataValue(name as never) as unknown;
    const isNull = value === null || value === undefined;
    // The timestamps are filled in at insert, as Sequelize fills them at save.
    if (isNull && attribute.allowNull === false && name !== 'createdAt' && name !== 'updatedAt') return false;
    const key = attribute.type.key;
    if (!isNull && (key === 'STRING' || key === 'TEXT') && typeof value === 'object') return false;
    for (const [validatorName, test] of Object.entries(attribute.validate ?? {})) {
      if (typeof test === 'function') {
        if (test.length !== 1) return false;
        try {
          if (test.call(instance, value) instanceof Promise) return false;
        } catch {
          return false;
        }
        continue;
      }
      if (isNull || validatorName === 'notNull') continue;
      const check = builtIn[validatorName];
      if (typeof check !== 'function') return false;
      const given = (test as { args?: unknown }).args ?? test;
      const args = Array.isArray(given) ? given : [given];
      if (!check.call(builtIn, String(value), ...args)) return false;
    }
  }
  return Object.keys((model.options as { validate?: object }).validate ?? {}).length === 0;
}

function hasValidationHooks(model: ModelStatic<Model>): boolean {
  return model.hasHook('beforeValidate') || model.hasHook('afterValidate');
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
  const attributes = Object.entries(model.getAttributes()).filter(
    ([, attribute]) => (attribute.type as { key?: string }).key !== 'VIRTUAL',
  ) as unknown as [string, AttributeShape][];
  // Models whose validation runs hooks (users: normalising, hashing) always take Sequelize's path.
  const quick = !hasValidationHooks(model as ModelStatic<Model>);
  const now = new Date();
  const records: unknown[][] = [];
  for (const [index, row] of rows.entries()) {
    const instance = model.build(row as never);
    if (!quick || !certainlyValid(model as ModelStatic<Model>, instance, attributes)) {
      try {
        await instance.validate();
      } catch (error) {
        if (error instanceof ValidationError) throw new ImportValidationError(index, error);
        throw error;
      }
    }
    records.push(
      attributes.map(([name, attribute]) => {
        const value = instance.getDataValue(name as never) as unknown;
        if (value === undefined || value === null) return name === 'createdAt' || name === 'updatedAt' ? now : null;
        return attribute.type.key === 'JSON' ? JSON.stringify(value) : value;
      }),
    );
  }

  const sequelize = model.sequelize;
  if (!sequelize) throw new Error(`importRows: ${model.name} is not registered on a Sequelize instance`);
  const queryInterface = sequelize.getQueryInterface();
  const table = queryInterface.quoteIdentifier(model.getTableName() as string);
  const columns = attributes
    .map(([name, attribute]) => queryInterface.quoteIdentifier(attribute.field ?? name))
    .join(', ');
  const idColumn = attributes.findIndex(([name]) => name === 'id');
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 1000, Math.floor(65535 / attributes.length)));

  const insertAll = async (transaction: Transaction) => {
    let inserted = 0;
    for (let start = 0; start < records.length; start += batchSize) {
      const batch = records.slice(start, start + batchSize);
      // Bound parameters, as a raw pg import would send them: no escaping into one huge SQL text.
      const bind: unknown[] = [];
      const tuples = batch.map((record) => `(${record.map((value) => `$${bind.push(value)}`).join(', ')})`);
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
