/**
 * Who may see a production presentation (decision D9), as SQL: the one place
 * the rule is written, for every query that applies it. A `public`
 * presentation shows its pages to anyone, those with `requires_auth` only to a
 * signed-in user who is neither deleted nor disabled; a `private` one shows
 * them only to insiders: the project's active members, holders of the global
 * `READ_PROJECTS` permission (through the role or a custom permission, soft
 * deleted roles, permissions left out) and users with a grant in
 * `production_presentation_access` that is not soft-deleted.
 *
 * The facts are uncorrelated CTEs (`viewer`, `insider`), so the same SQL runs on
 * PostgreSQL and on pg-mem, which evaluates no correlated subquery.
 */

/** The permission that lets a user see every private presentation. */
export const READ_PROJECTS = 'READ_PROJECTS';

/**
 * The CTEs `viewer` (the viewer's id when signed in and enabled) and `insider`
 * (the viewer's id once for every reason that makes them an insider of the
 * project), to follow a `WITH` or a CTE of the caller's.
 *
 * @param projectIds SQL for the project's id in `IN (...)`: a parameter (`$1`) or a subquery.
 * @param viewer The parameter holding the viewer's id, NULL when anonymous.
 */
export function visibilityCtes(projectIds: string, viewer: string): string {
  return `viewer AS (
  SELECT u.id FROM users u WHERE u.id = ${viewer} AND u."deletedAt" IS NULL AND NOT u.disabled
), insider AS (
  SELECT m."userId" AS id FROM project_memberships m
    WHERE m."projectId" IN (${projectIds}) AND m."userId" = ${viewer} AND m.is_active AND m."deletedAt" IS NULL
  UNION ALL
  SELECT g."userId" FROM production_presentation_access g
    WHERE g."projectId" IN (${projectIds}) AND g."userId" = ${viewer} AND g."deletedAt" IS NULL
  UNION ALL
  SELECT u.id FROM users u
    JOIN roles r ON r.id = u."app_roleId" AND r."deletedAt" IS NULL
    JOIN "rolesPermissionsPermissions" rp ON rp."roles_permissionsId" = r.id
    JOIN permissions pe ON pe.id = rp."permissionId" AND pe."deletedAt" IS NULL
    WHERE u.id = ${viewer} AND pe.name = '${READ_PROJECTS}'
  UNION ALL
  SELECT up."users_custom_permissionsId" FROM "usersCustom_permissionsPermissions" up
    JOIN permissions pe ON pe.id = up."permissionId" AND pe."deletedAt" IS NULL
    WHERE up."users_custom_permissionsId" = ${viewer} AND pe.name = '${READ_PROJECTS}'
)`;
}

const IS_INSIDER = 'EXISTS (SELECT 1 FROM viewer v JOIN insider i ON i.id = v.id)';

/** Whether the viewer may see the presentation of project `project` at all (with the CTEs above). */
export function presentationVisible(project: string): string {
  return `(${project}.production_presentation_visibility = 'public' OR ${IS_INSIDER})`;
}

/** Whether the viewer may see production page `page` of project `project` (with the CTEs above). */
export function pageVisible(page: string, project: string): string {
  return `((${project}.production_presentation_visibility = 'public'
      AND (NOT ${page}.requires_auth OR EXISTS (SELECT 1 FROM viewer)))
    OR ${IS_INSIDER})`;
}
