import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { assertUuid } from '../db/ids';
import type { Environment } from '../models/base/columns';
import type { AccessLevel } from '../models/project_memberships';
import type { TourPage } from '../models/tour_pages';
import { pageVisible, visibilityCtes } from './production-visibility';
import {
  type AccessAction,
  type AccessDecision,
  type AccessEntity,
  type AccessFacts,
  decide,
  type ProjectAction,
  permissionFor,
} from './rules';

/**
 * Access decisions from the platform's own tables (decision D9), each in one
 * round trip. The SQL is written for both backends: pg-mem evaluates neither
 * correlated subqueries nor scalar subqueries over an ENUM correctly, so the
 * facts come back as tagged rows of one UNION ALL, and the visibility rules
 * as uncorrelated CTEs; every parameter is bound.
 */

/** The registry from `createDb()`, or any Sequelize instance with the package's schema (NestJS's, say). */
export type AccessDb = Sequelize | { sequelize: Sequelize };

/** For reads that must see the caller's own writes: its transaction, or the primary under replication. */
export interface AccessQueryOptions {
  transaction?: Transaction | null | undefined;
  useMaster?: boolean | undefined;
}

export interface CanOptions extends AccessQueryOptions {
  /** The project whose content the action touches; without it only a global permission can allow. */
  projectId?: string | null;
  /** The environment of the rows written: members write dev content only. */
  environment?: Environment;
}

/** @internal */
export function sequelizeOf(db: AccessDb): Sequelize {
  return 'sequelize' in db ? db.sequelize : db;
}

async function select<T extends object>(
  db: AccessDb,
  sql: string,
  bind: unknown[],
  options: AccessQueryOptions,
): Promise<T[]> {
  return sequelizeOf(db).query<T>(sql, {
    bind,
    type: QueryTypes.SELECT,
    transaction: options.transaction ?? null,
    ...(options.useMaster === undefined ? {} : { useMaster: options.useMaster }),
  });
}

// The user's own row, the one permission asked about (through the role, then the custom permissions), and the
// active membership of the project (also one deleted together with its project, for RESTORE).
const FACTS_SQL = `
SELECT 'user' AS kind, CASE WHEN u.disabled THEN 'disabled' ELSE 'enabled' END AS value
  FROM users u WHERE u.id = $1 AND u."deletedAt" IS NULL
UNION ALL
SELECT 'role', pe.name
  FROM users u
  JOIN roles r ON r.id = u."app_roleId" AND r."deletedAt" IS NULL
  JOIN "rolesPermissionsPermissions" rp ON rp."roles_permissionsId" = r.id
  JOIN permissions pe ON pe.id = rp."permissionId" AND pe."deletedAt" IS NULL
  WHERE u.id = $1 AND pe.name = $2
UNION ALL
SELECT 'custom', pe.name
  FROM "usersCustom_permissionsPermissions" up
  JOIN permissions pe ON pe.id = up."permissionId" AND pe."deletedAt" IS NULL
  WHERE up."users_custom_permissionsId" = $1 AND pe.name = $2
UNION ALL
SELECT CASE WHEN p."deletedAt" IS NULL THEN 'member' ELSE 'member-of-deleted' END, m.access_level::text
  FROM project_memberships m
  JOIN projects p ON p.id = m."projectId"
  WHERE m."userId" = $1 AND m."projectId" = $3 AND m.is_active
    AND (m."deletedAt" IS NULL OR m."deletedAt" = p."deletedAt")`;

function factsOf(rows: { kind: string; value: string }[]): AccessFacts {
  const facts: AccessFacts = { user: null, permissionVia: null, membership: null };
  for (const { kind, value } of rows) {
    if (kind === 'user') facts.user = { disabled: value === 'disabled' };
    else if (kind === 'role') facts.permissionVia = 'role';
    else if (kind === 'custom') facts.permissionVia ??= 'custom';
    else facts.membership = { level: value as AccessLevel, projectDeleted: kind === 'member-of-deleted' };
  }
  return facts;
}

/** A project action is about a project: its entity is `projects` and it names the project. */
export type EntityFor<A extends AccessAction> = A extends ProjectAction ? 'projects' : AccessEntity;
export type CanArguments<A extends AccessAction> = A extends ProjectAction
  ? [options: CanOptions & { projectId: string }]
  : [options?: CanOptions];

/**
 * Whether `userId` may do `action` on `entity`, and which rule of D9 said so:
 * `{ allowed, rule, reason }`, the reason fit for a log line or a 403. An
 * anonymous caller (`null`) is refused without a query.
 */
export async function canWhy<A extends AccessAction>(
  db: AccessDb,
  userId: string | null | undefined,
  action: A,
  entity: EntityFor<A>,
  ...[options = {}]: CanArguments<A>
): Promise<AccessDecision> {
  const projectId = options.projectId ?? null;
  if (projectId !== null) assertUuid('projectId', projectId);
  if (userId === null || userId === undefined) {
    return { allowed: false, rule: 'anonymous', reason: 'Sign in first: anonymous visitors have no permissions' };
  }
  assertUuid('userId', userId);
  const rows = await select<{ kind: string; value: string }>(
    db,
    FACTS_SQL,
    [userId, permissionFor(action, entity), projectId],
    options,
  );
  return decide(factsOf(rows), { action, entity, projectId, environment: options.environment });
}

/**
 * Whether `userId` may do `action` on `entity` (D9): a global permission
 * `{ACTION}_{ENTITY}` allows it on every project; otherwise the active
 * membership of `options.projectId` must have the level the action needs.
 * `canWhy` says which rule decided.
 */
export async function can<A extends AccessAction>(
  db: AccessDb,
  userId: string | null | undefined,
  action: A,
  entity: EntityFor<A>,
  ...options: CanArguments<A>
): Promise<boolean> {
  return (await canWhy(db, userId, action, entity, ...options)).allowed;
}

const PERMISSIONS_SQL = `
SELECT pe.name
  FROM users u
  JOIN roles r ON r.id = u."app_roleId" AND r."deletedAt" IS NULL
  JOIN "rolesPermissionsPermissions" rp ON rp."roles_permissionsId" = r.id
  JOIN permissions pe ON pe.id = rp."permissionId" AND pe."deletedAt" IS NULL
  WHERE u.id = $1 AND u."deletedAt" IS NULL AND NOT u.disabled
UNION
SELECT pe.name
  FROM users u
  JOIN "usersCustom_permissionsPermissions" up ON up."users_custom_permissionsId" = u.id
  JOIN permissions pe ON pe.id = up."permissionId" AND pe."deletedAt" IS NULL
  WHERE u.id = $1 AND u."deletedAt" IS NULL AND NOT u.disabled`;

/**
 * The user's effective global permissions, sorted: those of its role and its
 * custom permissions, without soft-deleted roles and permissions. A disabled
 * or deleted user has none.
 */
export async function permissionsOf(db: AccessDb, userId: string, options: AccessQueryOptions = {}): Promise<string[]> {
  assertUuid('userId', userId);
  const rows = await select<{ name: string }>(db, PERMISSIONS_SQL, [userId], options);
  return rows.map((row) => row.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const PROJECT_ACCESS_SQL = `
SELECT m.access_level::text AS level
  FROM project_memberships m
  JOIN users u ON u.id = m."userId" AND u."deletedAt" IS NULL AND NOT u.disabled
  JOIN projects p ON p.id = m."projectId" AND p."deletedAt" IS NULL
  WHERE m."userId" = $1 AND m."projectId" = $2 AND m.is_active AND m."deletedAt" IS NULL`;

/**
 * The level of the user's active membership of the project, or null (no
 * membership, an inactive or deleted one, a disabled user, a deleted
 * project). Global permissions are not levels: ask `can` about actions.
 */
export async function projectAccess(
  db: AccessDb,
  userId: string,
  projectId: string,
  options: AccessQueryOptions = {},
): Promise<AccessLevel | null> {
  assertUuid('userId', userId);
  assertUuid('projectId', projectId);
  const [row] = await select<{ level: AccessLevel }>(db, PROJECT_ACCESS_SQL, [userId, projectId], options);
  return row?.level ?? null;
}

// $1 the project, $2 the viewer (NULL when anonymous); the rule itself is production-visibility.ts's.
const VISIBLE_PAGES_SQL = `
WITH ${visibilityCtes('$1', '$2')}
SELECT tp.*
  FROM tour_pages tp
  JOIN projects p ON p.id = tp."projectId" AND p."deletedAt" IS NULL
  WHERE tp."projectId" = $1 AND tp.environment = 'production' AND tp."deletedAt" IS NULL AND ${pageVisible('tp', 'p')}
  ORDER BY tp.sort_order, tp.slug`;

/**
 * The production pages of a project that `userId` (null: anonymous) may see,
 * in presentation order (D9): a public presentation shows its pages to
 * anyone, those with `requires_auth` only to a signed-in, enabled user; a
 * private one only to the project's active members, holders of
 * `READ_PROJECTS` and users with an active `production_presentation_access`
 * grant. An empty list does not say whether the presentation exists.
 */
export async function visibleProductionPages(
  db: AccessDb,
  projectId: string,
  userId: string | null,
  options: AccessQueryOptions = {},
): Promise<TourPage[]> {
  assertUuid('projectId', projectId);
  if (userId !== null) assertUuid('userId', userId);
  const sequelize = sequelizeOf(db);
  return sequelize.query(VISIBLE_PAGES_SQL, {
    bind: [projectId, userId],
    type: QueryTypes.SELECT,
    model: sequelize.model('tour_pages'),
    mapToModel: true,
    transaction: options.transaction ?? null,
    ...(options.useMaster === undefined ? {} : { useMaster: options.useMaster }),
  }) as unknown as Promise<TourPage[]>;
}
