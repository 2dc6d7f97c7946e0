import 'reflect-metadata';

// Sequelize's own names, so that `Attributes<User>` means here what it means in Sequelize's documentation.
export type {
  Attributes,
  CreationAttributes,
  CreationOptional,
  InferAttributes,
  InferCreationAttributes,
} from 'sequelize';
export {
  type AccessDb,
  type AccessQueryOptions,
  type CanArguments,
  type CanOptions,
  can,
  canWhy,
  type EntityFor,
  permissionsOf,
  projectAccess,
  visibleProductionPages,
} from './access/decisions';
export {
  ACCESS_LOG_LIMITS,
  type AccessLogEntry,
  DurationError,
  logAccess,
  type PruneOptions,
  parseDuration,
  pruneAccessLogs,
} from './access/logs';
export {
  type EditorMember,
  type EditorView,
  loadEditorView,
  loadPresentation,
  type MemberUser,
  type Presentation,
  type PresentationOptions,
  type ReadOptions,
  type Row,
} from './access/presentation';
export {
  type AccessAction,
  type AccessDecision,
  type AccessEntity,
  type AccessRule,
  CRUD_ACTIONS,
  type CrudAction,
  type CrudRules,
  ENTITY_RULES,
  LEVELS_ASCENDING,
  type LevelRule,
  PROJECT_ACTION_RULES,
  PROJECT_ACTIONS,
  type ProjectAction,
  permissionFor,
} from './access/rules';
export {
  bcryptRounds,
  createInlineHasher,
  isBcryptHash,
  MAX_PASSWORD_BYTES,
  type PasswordHasher,
} from './auth/password';
export { isTokenDigest, tokenDigest } from './auth/tokens';
export { type ImportOptions, type ImportResult, ImportValidationError, importRows } from './content/import';
export {
  PUBLISH_DEFAULTS,
  PUBLISH_STEPS,
  PublishError,
  type PublishFailure,
  type PublishHistoryEntry,
  type PublishOptions,
  type PublishResult,
  type PublishStatusReport,
  publishEnvironment,
  publishHistory,
  publishStatus,
  resolveProject,
  rollbackPublish,
} from './content/publish';
export type { RemoveReason } from './content/publish-plan';
export {
  formatPublishPreview,
  type PreviewCreate,
  type PreviewRemove,
  type PreviewTable,
  type PreviewUpdate,
  type PublishPreview,
  previewPublish,
} from './content/publish-preview';
export type { CopiedTableName } from './content/publish-tables';
export {
  PERMISSION_ACTIONS,
  PERMISSION_ENTITIES,
  permissionNames,
  SEED_ROLES,
  type SeedOptions,
  type SeedReport,
  seedRbac,
} from './content/seed';
export { currentActorId, withActor } from './db/actor';
export { assertUuid, InvalidArgumentError } from './db/arguments';
export {
  DB_ENVIRONMENTS,
  type DbConfig,
  DbConfigError,
  type DbEnvironment,
  dbConfig,
  type Env,
  type PoolSettings,
  parseDatabaseUrl,
  redactUrl,
  type ServerSettings,
  sequelizeOptions,
} from './db/config';
export { type CreateDbOptions, createDb, type Db, TbpSequelize } from './db/create-db';
export { InvalidIdError } from './db/ids';
export { onPrimary } from './db/primary';
export { dropSchema, syncSchema } from './db/sync';
export { InMemoryUnsupportedError } from './memory/errors';
export * from './migrations/entry';
export * from './models';
export { ACCESS_ENVIRONMENTS, type AccessEnvironment } from './models/access_logs';
export { VARIANT_TYPES, type VariantType } from './models/asset_variants';
export { ASSET_ROLES, type AssetRole } from './models/assets';
export {
  ASSET_KINDS,
  type AssetKind,
  ENVIRONMENTS,
  type Environment,
  INDEXED_TEXT_MAX,
  MAX_JSON_DEPTH,
} from './models/base/columns';
export { ELEMENT_TYPES, type ElementType } from './models/element_type_defaults';
export { PRESIGN_PURPOSES, type PresignPurpose } from './models/presigned_url_requests';
export { ACCESS_LEVELS, type AccessLevel } from './models/project_memberships';
export { PRESENTATION_VISIBILITIES, type PresentationVisibility } from './models/projects';
export { PUBLISH_STATUSES, type PublishStatus } from './models/publish_events';
export type { PublishSnapshotContent, SnapshotRow } from './models/publish_snapshots';
export type { UiSchema } from './models/tour_pages';
export {
  type IssueTokenOptions,
  MAX_TOKEN_TTL_MS,
  type TokenOptions,
  USER_SECRET_FIELDS,
  USER_TOKEN_FIELDS,
  type UserSecretField,
} from './models/users';
export { schemaDdl } from './schema/ddl';
export { erDiagram } from './schema/erd';
