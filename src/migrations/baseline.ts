import type { Sequelize } from 'sequelize';
import { compareOwned, type DriftIgnore, readSchema, type SchemaDriftReport, snapshotOf } from './drift';
import { MIGRATIONS, type Migration } from './list';
import { executedMigrations, recordBaseline } from './runner';
import { migrationsCatalog } from './scratch';

export interface BaselineOptions {
  /** The migrations; the package's own by default. */
  migrations?: readonly Migration[];
  /** The namespace of the live tables; `public` by default. */
  schema?: string;
  /** Tables or columns to leave out of the comparison (see `checkSchemaDrift`). */
  ignore?: DriftIgnore;
}

export interface BaselineResult {
  /** The migrations recorded as applied, in order. */
  recorded: string[];
  /** The database's tables and types that are not the package's, left alone. */
  notOurs: string[];
}

/** Raised when `baseline` records nothing, with the reason and, where the schema differs, every difference. */
export class BaselineRefusedError extends Error {
  override name = 'BaselineRefusedError';
  constructor(
    message: string,
    readonly differences: readonly string[] = [],
  ) {
    super(differences.length > 0 ? `${message}\n${differences.join('\n')}` : message);
  }
}

/**
 * Adopts a database whose tables were made without the migrations (by
 * `sync()`, or by another tool): runs the migrations one by one in a scratch
 * namespace, compares the live schema (the package's tables only, as the drift
 * check does) with the schema after each, and records as applied every
 * migration up to the last one that matches exactly. `migrate` then runs the
 * rest. Refused, with the differences from the closest match, when none
 * matches, and when the database already records migrations of the list.
 */
export async function baseline(sequelize: Sequelize, options: BaselineOptions = {}): Promise<BaselineResult> {
  const list = options.migrations ?? MIGRATIONS;
  const alreadyRecorded = (names: string[]) =>
    new BaselineRefusedError(
      `The database already records migrations (${names.join(', ')}): there is nothing to baseline; run migrate`,
    );
  const known = new Set(list.map(({ name }) => name));
  const recorded = (await executedMigrations(sequelize)).filter((name) => known.has(name));
  if (recorded.length > 0) throw alreadyRecorded(recorded);

  const live = await readSchema(sequelize, options.schema);
  let match: { index: number; report: SchemaDriftReport } | undefined;
  let closest: { name: string; report: SchemaDriftReport } | undefined;
  let index = 0;
  await migrationsCatalog(sequelize, list, (name, catalog) => {
    const report = compareOwned(snapshotOf(catalog), live, options.ignore);
    if (report.differences.length === 0) match = { index, report };
    if (!closest || report.differences.length <= closest.report.differences.length) closest = { name, report };
    index += 1;
  });
  if (!match) {
    const differences = closest?.report.differences ?? [];
    throw new BaselineRefusedError(
      `The database schema is not what the migrations make; closest: up to ${closest?.name ?? '(none)'}, ` +
        `${differences.length} difference(s) ("-" missing from the database, "+" not made by the migrations):`,
      differences,
    );
  }
  const names = list.slice(0, match.index + 1).map(({ name }) => name);
  await recordBaseline(sequelize, names, list, alreadyRecorded);
  return { recorded: names, notOurs: match.report.notOurs };
}
