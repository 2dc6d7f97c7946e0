/** What PostgreSQL said: Sequelize keeps the driver's error as `parent`; a pg error is its own. */
interface DriverError {
  message?: string;
  code?: string;
  detail?: string;
  hint?: string;
}

function driverErrorOf(error: unknown): DriverError {
  if (!error || typeof error !== 'object') return { message: String(error) };
  const { parent } = error as { parent?: DriverError };
  return parent && typeof parent === 'object' ? parent : (error as DriverError);
}

/**
 * A migration that failed, named, with PostgreSQL's own message, SQLSTATE,
 * detail and hint (not Sequelize's summary, such as "Validation error" for
 * any unique violation). The migration's transaction was rolled back.
 */
export class MigrationFailedError extends Error {
  override name = 'MigrationFailedError';
  /** PostgreSQL's SQLSTATE, when the database raised the error. */
  readonly code: string | undefined;
  /** PostgreSQL's detail line (`Key (name)=(x) already exists.`), when it gave one. */
  readonly detail: string | undefined;

  constructor(
    readonly migration: string,
    readonly direction: 'up' | 'down',
    override readonly cause: unknown,
  ) {
    const driver = driverErrorOf(cause);
    const reason = driver.message || (cause instanceof Error ? cause.message : String(cause));
    const parts = [
      `Migration ${migration} (${direction}) failed: ${reason}`,
      driver.code && !reason.includes(driver.code) ? ` (${driver.code})` : '',
      driver.detail ? `. ${driver.detail}` : '',
      driver.hint ? ` Hint: ${driver.hint}` : '',
    ];
    super(parts.join(''));
    this.code = driver.code;
    this.detail = driver.detail;
  }
}

/** A rollback refused before it changed anything: the database's migrations make reverting `migration` unsafe. */
export class RollbackRefusedError extends Error {
  override name = 'RollbackRefusedError';
  constructor(
    /** The migration that would have been reverted. */
    readonly migration: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A rollback refused because the database has applied migrations that the
 * list given does not know: one of them may depend on what would be reverted
 * (an app table's foreign key to a package table, say).
 */
export class UnknownMigrationsError extends RollbackRefusedError {
  override name = 'UnknownMigrationsError';
  constructor(
    migration: string,
    /** The applied migrations missing from the list. */
    readonly unknown: readonly string[],
  ) {
    super(
      migration,
      `Refusing to revert ${migration}: the database has applied ${unknown.length === 1 ? 'a migration' : 'migrations'} ` +
        `that the list given does not have (${unknown.join(', ')}), which may depend on it. ` +
        'Pass the list that has them (the CLI: --migrations <dir> or tbp-models.config.js; ' +
        'the API: migrations: [...MIGRATIONS, ...yours]).',
    );
  }
}
