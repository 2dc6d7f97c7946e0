/** `@tbp/models/migrations`: the migrations, the functions that run them, and the drift check. */
export {
  assertNoSchemaDrift,
  checkSchemaDrift,
  diffSchemas,
  readSchema,
  SchemaDriftError,
  type SchemaSnapshot,
} from '../drift';
export {
  executedMigrations,
  MIGRATION_TABLE,
  type MigrationOptions,
  migrate,
  pendingMigrations,
  rollback,
} from '../migrate';
export { MIGRATIONS, type Migration, type MigrationContext } from './index';
