import 'reflect-metadata';

export type { CreationOptional, InferAttributes, InferCreationAttributes } from 'sequelize';
export {
  bcryptRounds,
  createInlineHasher,
  isBcryptHash,
  MAX_PASSWORD_BYTES,
  type PasswordHasher,
} from './auth/password';
export { type ImportOptions, type ImportResult, ImportValidationError, importRows } from './content/import';
export {
  PUBLISH_STEPS,
  PublishError,
  type PublishOptions,
  type PublishResult,
  publishEnvironment,
} from './content/publish';
export {
  PERMISSION_ACTIONS,
  PERMISSION_ENTITIES,
  permissionNames,
  SEED_ROLES,
  type SeedReport,
  seedRbac,
} from './content/seed';
export {
  DB_ENVIRONMENTS,
  type DbConfig,
  DbConfigError,
  type DbEnvironment,
  dbConfig,
  parseDatabaseUrl,
  sequelizeOptions,
} from './db/config';
export { type CreateDbOptions, createDb, type Db, TbpSequelize } from './db/create-db';
export { dropSchema, syncSchema } from './db/sync';
export { InMemoryUnsupportedError } from './memory/errors';
export * from './migrations/entry';
export * from './models';
export { ACCESS_ENVIRONMENTS, type AccessEnvironment } from './models/access_logs';
export { VARIANT_TYPES, type VariantType } from './models/asset_variants';
export { ASSET_ROLES, type AssetRole } from './models/assets';
export { ASSET_KINDS, type AssetKind, ENVIRONMENTS, type Environment } from './models/base/columns';
export type { Attributes, CreationAttributes } from './models/base/model';
export { ELEMENT_TYPES, type ElementType } from './models/element_type_defaults';
export { PRESIGN_PURPOSES, type PresignPurpose } from './models/presigned_url_requests';
export { ACCESS_LEVELS, type AccessLevel } from './models/project_memberships';
export { PRESENTATION_VISIBILITIES, type PresentationVisibility } from './models/projects';
export { PUBLISH_STATUSES, type PublishStatus } from './models/publish_events';
export type { UiSchema } from './models/tour_pages';
export { USER_SECRET_FIELDS, type UserSecretField } from './models/users';
export { erDiagram, schemaDdl } from './schema/describe';
