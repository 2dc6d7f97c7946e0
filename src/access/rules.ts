import type { TableName } from '../models';
import type { Environment } from '../models/base/columns';
import type { AccessLevel } from '../models/project_memberships';

/**
 * Decision D9 as tables: what each membership level allows, and which global
 * permission stands for each action. The queries in `decisions.ts` only
 * gather the facts (the user, the one permission that matters, the
 * membership); `decide` below applies these tables to them.
 */

/** The actions of the spec's permission names: `{ACTION}_{ENTITY}`. */
export const CRUD_ACTIONS = ['CREATE', 'READ', 'UPDATE', 'DELETE'] as const;
export type CrudAction = (typeof CRUD_ACTIONS)[number];

/** What a project's members do besides reading and writing rows: publishing, its history, the project's people. */
export const PROJECT_ACTIONS = [
  'READ_PUBLISH_HISTORY',
  'PREVIEW_PUBLISH',
  'SAVE_TO_STAGE',
  'PUBLISH',
  'ROLLBACK',
  'MANAGE_MEMBERS',
  'MANAGE_PRESENTATION_ACCESS',
  'RESTORE',
] as const;
export type ProjectAction = (typeof PROJECT_ACTIONS)[number];

export type AccessAction = CrudAction | ProjectAction;

/** The tables permissions are named after: every table but the two join tables. */
export type AccessEntity = Exclude<TableName, 'usersCustom_permissionsPermissions' | 'rolesPermissionsPermissions'>;

/** The levels from lowest to highest; each includes the ones below it. */
export const LEVELS_ASCENDING = ['viewer', 'reviewer', 'editor', 'owner'] as const satisfies readonly AccessLevel[];

/** The lowest level that may do something, and whether only in dev (content of the other environments changes by publishing). */
export interface LevelRule {
  level: AccessLevel;
  devOnly?: true;
}

/** The lowest level (or global permission only, `null`) each CRUD action on one table needs. */
export type CrudRules = { readonly [A in CrudAction]: LevelRule | null };

/** Rows of one environment of a project: read by every member, written by editors in dev only. */
const ENVIRONMENT_CONTENT: CrudRules = {
  READ: { level: 'viewer' },
  CREATE: { level: 'editor', devOnly: true },
  UPDATE: { level: 'editor', devOnly: true },
  DELETE: { level: 'editor', devOnly: true },
};

/** Rows of a project that no environment owns (assets and their variants, defaults, upload requests). */
const PROJECT_CONTENT: CrudRules = {
  READ: { level: 'viewer' },
  CREATE: { level: 'editor' },
  UPDATE: { level: 'editor' },
  DELETE: { level: 'editor' },
};

/** Platform-wide rows: only a global permission reaches them. */
const PLATFORM: CrudRules = { READ: null, CREATE: null, UPDATE: null, DELETE: null };

const OWNER: LevelRule = { level: 'owner' };

/**
 * What membership levels allow on each table (`null`: no level does; only
 * the global permission `{ACTION}_{ENTITY}` grants it). The project row
 * itself carries its presentation's visibility, which owners manage; publish
 * events and access logs are written by publishing and by `logAccess`, not by
 * members.
 */
export const ENTITY_RULES: { readonly [E in AccessEntity]: CrudRules } = {
  users: PLATFORM,
  roles: PLATFORM,
  permissions: PLATFORM,
  element_type_defaults: PLATFORM,
  global_transition_defaults: PLATFORM,
  global_ui_control_defaults: PLATFORM,
  file: PLATFORM,
  projects: { READ: { level: 'viewer' }, CREATE: null, UPDATE: OWNER, DELETE: OWNER },
  tour_pages: ENVIRONMENT_CONTENT,
  project_audio_tracks: ENVIRONMENT_CONTENT,
  project_transition_settings: ENVIRONMENT_CONTENT,
  project_ui_control_settings: ENVIRONMENT_CONTENT,
  pwa_caches: ENVIRONMENT_CONTENT,
  assets: PROJECT_CONTENT,
  asset_variants: PROJECT_CONTENT,
  project_element_defaults: PROJECT_CONTENT,
  presigned_url_requests: PROJECT_CONTENT,
  project_memberships: { READ: { level: 'viewer' }, CREATE: OWNER, UPDATE: OWNER, DELETE: OWNER },
  production_presentation_access: { READ: OWNER, CREATE: OWNER, UPDATE: OWNER, DELETE: OWNER },
  publish_events: { READ: { level: 'reviewer' }, CREATE: null, UPDATE: null, DELETE: null },
  // What a rollback would put back: read with the publish history, written only by publishing.
  publish_snapshots: { READ: { level: 'reviewer' }, CREATE: null, UPDATE: null, DELETE: null },
  access_logs: { READ: OWNER, CREATE: null, UPDATE: null, DELETE: null },
};

/**
 * The project actions: the lowest level that may, and the global permission
 * that grants the action on every project (the row the action writes or
 * reads: a publish writes a publish event, managing members updates
 * memberships, a restore undoes a delete).
 */
export const PROJECT_ACTION_RULES: { readonly [A in ProjectAction]: { level: AccessLevel; permission: string } } = {
  READ_PUBLISH_HISTORY: { level: 'reviewer', permission: 'READ_PUBLISH_EVENTS' },
  PREVIEW_PUBLISH: { level: 'reviewer', permission: 'READ_PUBLISH_EVENTS' },
  SAVE_TO_STAGE: { level: 'editor', permission: 'CREATE_PUBLISH_EVENTS' },
  PUBLISH: { level: 'owner', permission: 'CREATE_PUBLISH_EVENTS' },
  ROLLBACK: { level: 'owner', permission: 'CREATE_PUBLISH_EVENTS' },
  MANAGE_MEMBERS: { level: 'owner', permission: 'UPDATE_PROJECT_MEMBERSHIPS' },
  MANAGE_PRESENTATION_ACCESS: { level: 'owner', permission: 'UPDATE_PRODUCTION_PRESENTATION_ACCESS' },
  RESTORE: { level: 'owner', permission: 'DELETE_PROJECTS' },
};

export function isProjectAction(action: AccessAction): action is ProjectAction {
  return (PROJECT_ACTIONS as readonly string[]).includes(action);
}

/** The global permission that grants `action` on `entity` everywhere: `UPDATE_TOUR_PAGES`, `CREATE_PUBLISH_EVENTS`, ... */
export function permissionFor(action: AccessAction, entity: AccessEntity): string {
  return isProjectAction(action) ? PROJECT_ACTION_RULES[action].permission : `${action}_${entity.toUpperCase()}`;
}

/** The membership rule of `action` on `entity`, or null when only a global permission grants it. */
export function levelRuleFor(action: AccessAction, entity: AccessEntity): LevelRule | null {
  return isProjectAction(action) ? { level: PROJECT_ACTION_RULES[action].level } : ENTITY_RULES[entity][action];
}

export function levelAtLeast(level: AccessLevel, required: AccessLevel): boolean {
  return LEVELS_ASCENDING.indexOf(level) >= LEVELS_ASCENDING.indexOf(required);
}

/** Which rule decided: `global-permission` and `membership` allow, every other refuses. */
export type AccessRule =
  | 'anonymous'
  | 'unknown-user'
  | 'disabled-user'
  | 'global-permission'
  | 'membership'
  | 'no-project'
  | 'not-by-membership'
  | 'not-a-member'
  | 'project-deleted'
  | 'level-too-low'
  | 'environment';

export interface AccessDecision {
  allowed: boolean;
  rule: AccessRule;
  /** A sentence for logs and 403 responses: names permissions, levels and tables, never a secret. */
  reason: string;
}

/** What the database says about one user and one project, as `can` reads it in one query. */
export interface AccessFacts {
  /** The user, or null when no live user has the id. */
  user: { disabled: boolean } | null;
  /** Where the user got the permission that `permissionFor` names, if anywhere. */
  permissionVia: 'role' | 'custom' | null;
  /** The active membership; `projectDeleted` when the project is soft-deleted (its membership deleted with it). */
  membership: { level: AccessLevel; projectDeleted: boolean } | null;
}

export interface AccessRequest {
  action: AccessAction;
  entity: AccessEntity;
  projectId?: string | null | undefined;
  environment?: Environment | undefined;
}

const refuse = (rule: AccessRule, reason: string): AccessDecision => ({ allowed: false, rule, reason });

/** D9 applied to the facts: a disabled user passes nothing, a permission passes everywhere, else the membership. */
export function decide(facts: AccessFacts, request: AccessRequest): AccessDecision {
  const { action, entity, projectId, environment } = request;
  const what = isProjectAction(action) ? action : `${action} on ${entity}`;
  const permission = permissionFor(action, entity);
  if (!facts.user) return refuse('unknown-user', 'No such user');
  if (facts.user.disabled) return refuse('disabled-user', 'The user is disabled');
  if (facts.permissionVia) {
    const source = facts.permissionVia === 'role' ? 'role' : 'custom permissions';
    return {
      allowed: true,
      rule: 'global-permission',
      reason: `${what} is granted by ${permission} (the user's ${source})`,
    };
  }
  const rule = levelRuleFor(action, entity);
  if (!rule) return refuse('not-by-membership', `${what} needs the permission ${permission}`);
  if (!projectId)
    return refuse('no-project', `${what} needs the permission ${permission}, or a project to be a member of`);
  const membership = facts.membership;
  if (!membership) {
    return refuse('not-a-member', `${what} needs the permission ${permission} or an active membership of the project`);
  }
  if (membership.projectDeleted && action !== 'RESTORE') {
    return refuse('project-deleted', 'The project is deleted: its owners may only restore it');
  }
  if (!levelAtLeast(membership.level, rule.level)) {
    return refuse(
      'level-too-low',
      `${what} needs ${rule.level} access or higher; the user has ${membership.level} access`,
    );
  }
  if (rule.devOnly && environment !== 'dev') {
    const where = environment ?? 'an unnamed environment';
    return refuse(
      'environment',
      `${what} in ${where} is not allowed: members write dev content; stage and production change by publishing`,
    );
  }
  return {
    allowed: true,
    rule: 'membership',
    reason: `${what} is granted by the user's ${membership.level} membership`,
  };
}
