/** `@tbp/models/migrations`: the migrations, the functions that run them, and the drift check. */
export {
  assertNoSchemaDrift,
  checkSchemaDrift,
  diffSchemas,
  readSchema,
  SchemaDriftError,
  type SchemaSnapshot,
} from './drift';
export { MIGRATIONS, type Migration, type MigrationContext } from './list';
export {
  executedMigrations,
  MIGRATION_TABLE,
  type MigrationOptions,
  migrate,
  pendingMigrations,
  rollback,
} from './runner';
