/** `@tbp/models/migrations`: the migrations, the functions that run them, baseline, and the drift check. */
export { type BaselineOptions, BaselineRefusedError, type BaselineResult, baseline } from './baseline';
export {
  assertNoSchemaDrift,
  checkSchemaDrift,
  type DriftIgnore,
  type DriftOptions,
  diffSchemas,
  readSchema,
  SchemaDriftError,
  type SchemaDriftReport,
  type SchemaSnapshot,
  schemaDrift,
} from './drift';
export { MigrationFailedError, RollbackRefusedError, UnknownMigrationsError } from './errors';
export { MIGRATIONS, type Migration, type MigrationContext } from './list';
export { loadMigrations } from './load';
export { MIGRATION_LOCK } from './lock';
export {
  executedMigrations,
  MIGRATION_TABLE,
  type MigrationOptions,
  type MigrationProgress,
  type MigrationState,
  migrate,
  migrationStatus,
  pendingMigrations,
  type RollbackOptions,
  rollback,
  rollbackPlan,
} from './runner';
