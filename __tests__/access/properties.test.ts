import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  type AccessEntity,
  type AccessLevel,
  type CrudAction,
  can,
  type Db,
  type Environment,
  type ProjectAction,
  permissionsOf,
} from '../../src';
import { cheapHasher, openTestDatabase, type TestDatabase } from '../support/db';

/**
 * `can` and `permissionsOf` against a reference written here, over random
 * graphs of roles, permissions, custom permissions, memberships and soft
 * deletes: the reference reads the graph in JavaScript, the package asks the
 * database in one query, and they must agree.
 */

jest.setTimeout(120_000);
const SEED = 20261127;
const RUNS = 30;

const PERMISSIONS = [
  'READ_TOUR_PAGES',
  'UPDATE_TOUR_PAGES',
  'DELETE_TOUR_PAGES',
  'READ_ASSETS',
  'READ_PUBLISH_EVENTS',
  'CREATE_PUBLISH_EVENTS',
  'UPDATE_PROJECT_MEMBERSHIPS',
  'DELETE_PROJECTS',
  'READ_PROJECTS',
  'READ_USERS',
] as const;
const USERS = 4;
const PROJECTS = 2;
const ROLES = 3;
const LEVELS = ['viewer', 'reviewer', 'editor', 'owner'] as const;

interface Membership {
  level: AccessLevel;
  active: boolean;
  /** `with-project`: deleted together with its project (a live project's counts as `alone`). */
  deleted: 'no' | 'alone' | 'with-project';
}

interface Graph {
  permissions: { deleted: boolean }[];
  roles: { deleted: boolean; permissions: number[] }[];
  users: { role: number | null; custom: number[]; disabled: boolean; deleted: boolean }[];
  projects: { deleted: boolean }[];
  /** memberships[user][project] */
  memberships: (Membership | null)[][];
}

const someOf = (n: number) => fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: n });

const graphs: fc.Arbitrary<Graph> = fc.record({
  permissions: fc.array(fc.record({ deleted: fc.constantFrom(false, false, false, true) }), {
    minLength: PERMISSIONS.length,
    maxLength: PERMISSIONS.length,
  }),
  roles: fc.array(
    fc.record({ deleted: fc.constantFrom(false, false, false, true), permissions: someOf(PERMISSIONS.length) }),
    {
      minLength: ROLES,
      maxLength: ROLES,
    },
  ),
  users: fc.array(
    fc.record({
      role: fc.option(fc.nat({ max: ROLES - 1 }), { nil: null }),
      custom: fc.uniqueArray(fc.nat({ max: PERMISSIONS.length - 1 }), { maxLength: 2 }),
      disabled: fc.constantFrom(false, false, false, true),
      deleted: fc.constantFrom(false, false, false, false, true),
    }),
    { minLength: USERS, maxLength: USERS },
  ),
  projects: fc.array(fc.record({ deleted: fc.constantFrom(false, false, true) }), {
    minLength: PROJECTS,
    maxLength: PROJECTS,
  }),
  memberships: fc.array(
    fc.array(
      fc.option(
        fc.record({
          level: fc.constantFrom(...LEVELS),
          active: fc.constantFrom(true, true, true, true, false),
          deleted: fc.constantFrom('no', 'no', 'no', 'no', 'alone', 'with-project'),
        }),
        { nil: null, freq: 4 },
      ),
      { minLength: PROJECTS, maxLength: PROJECTS },
    ),
    { minLength: USERS, maxLength: USERS },
  ),
});

type Request =
  | { kind: 'crud'; action: CrudAction; entity: AccessEntity }
  | { kind: 'project'; action: ProjectAction; entity: 'projects' };

interface Asked {
  user: number;
  request: Request;
  project: number | null;
  environment: Environment;
}

const ENTITIES = ['tour_pages', 'assets', 'publish_events', 'projects', 'project_memberships', 'users'] as const;
const PROJECT_ACTIONS = [
  'READ_PUBLISH_HISTORY',
  'PREVIEW_PUBLISH',
  'SAVE_TO_STAGE',
  'PUBLISH',
  'ROLLBACK',
  'MANAGE_MEMBERS',
  'MANAGE_PRESENTATION_ACCESS',
  'RESTORE',
] as const;

const requests: fc.Arbitrary<Asked[]> = fc.array(
  fc.record({
    // USERS stands for an id no user has.
    user: fc.nat({ max: USERS }),
    request: fc.oneof(
      fc.record({
        kind: fc.constant('crud' as const),
        action: fc.constantFrom('CREATE', 'READ', 'UPDATE', 'DELETE' as const),
        entity: fc.constantFrom(...ENTITIES),
      }),
      fc.record({
        kind: fc.constant('project' as const),
        action: fc.constantFrom(...PROJECT_ACTIONS),
        entity: fc.constant('projects' as const),
      }),
    ) as fc.Arbitrary<Request>,
    project: fc.option(fc.nat({ max: PROJECTS - 1 }), { nil: null, freq: 5 }),
    environment: fc.constantFrom('dev', 'dev', 'stage', 'production' as const),
  }),
  { minLength: 12, maxLength: 12 },
);

// The reference: D9 read straight off the graph.

const RANK: Record<AccessLevel, number> = { viewer: 1, reviewer: 2, editor: 3, owner: 4 };

/** [lowest level, dev only] for each request the generator makes; null: no level, a permission only. */
function needs(request: Request): [AccessLevel, boolean] | null {
  if (request.kind === 'project') {
    const level: Record<ProjectAction, AccessLevel> = {
      READ_PUBLISH_HISTORY: 'reviewer',
      PREVIEW_PUBLISH: 'reviewer',
      SAVE_TO_STAGE: 'editor',
      PUBLISH: 'owner',
      ROLLBACK: 'owner',
      MANAGE_MEMBERS: 'owner',
      MANAGE_PRESENTATION_ACCESS: 'owner',
      RESTORE: 'owner',
    };
    return [level[request.action], false];
  }
  const reading = request.action === 'READ';
  switch (request.entity) {
    case 'tour_pages':
      return reading ? ['viewer', false] : ['editor', true];
    case 'assets':
      return reading ? ['viewer', false] : ['editor', false];
    case 'publish_events':
      return reading ? ['reviewer', false] : null;
    case 'projects':
      return reading ? ['viewer', false] : request.action === 'CREATE' ? null : ['owner', false];
    case 'project_memberships':
      return reading ? ['viewer', false] : ['owner', false];
    default:
      return null;
  }
}

function permissionName(request: Request): string {
  if (request.kind === 'crud') return `${request.action}_${request.entity.toUpperCase()}`;
  if (request.action === 'MANAGE_MEMBERS') return 'UPDATE_PROJECT_MEMBERSHIPS';
  if (request.action === 'MANAGE_PRESENTATION_ACCESS') return 'UPDATE_PRODUCTION_PRESENTATION_ACCESS';
  if (request.action === 'RESTORE') return 'DELETE_PROJECTS';
  if (request.action === 'READ_PUBLISH_HISTORY' || request.action === 'PREVIEW_PUBLISH') return 'READ_PUBLISH_EVENTS';
  return 'CREATE_PUBLISH_EVENTS';
}

function referencePermissions(graph: Graph, user: number): string[] {
  const u = graph.users[user];
  if (!u || u.deleted || u.disabled) return [];
  const names = new Set<string>();
  const role = u.role === null ? undefined : graph.roles[u.role];
  const live = (p: number) => !graph.permissions[p]?.deleted;
  if (role && !role.deleted) for (const p of role.permissions.filter(live)) names.add(PERMISSIONS[p] as string);
  for (const p of u.custom.filter(live)) names.add(PERMISSIONS[p] as string);
  return [...names].sort();
}

function referenceCan(graph: Graph, asked: Asked): boolean {
  const u = graph.users[asked.user];
  if (!u || u.deleted || u.disabled) return false;
  if (referencePermissions(graph, asked.user).includes(permissionName(asked.request))) return true;
  const need = needs(asked.request);
  if (asked.project === null || !need) return false;
  const membership = graph.memberships[asked.user]?.[asked.project];
  if (!membership?.active) return false;
  const projectDeleted = graph.projects[asked.project]?.deleted ?? false;
  const counts =
    asked.request.action === 'RESTORE'
      ? membership.deleted === 'no' || (projectDeleted && membership.deleted === 'with-project')
      : !projectDeleted && membership.deleted === 'no';
  if (!counts || RANK[membership.level] < RANK[need[0]]) return false;
  return !need[1] || asked.environment === 'dev';
}

// The graph in the database.

interface Ids {
  users: string[];
  projects: string[];
}

async function store(db: Db, graph: Graph): Promise<Ids> {
  const before = new Date(Date.now() - 60_000);
  const at = new Date(Date.now() - 30_000);
  const deletedAt = (deleted: boolean) => (deleted ? at : null);
  const permissionIds = PERMISSIONS.map(() => randomUUID());
  const roleIds = graph.roles.map(() => randomUUID());
  const ids: Ids = { users: graph.users.map(() => randomUUID()), projects: graph.projects.map(() => randomUUID()) };

  await db.permissions.bulkCreate(
    PERMISSIONS.map((name, i) => ({
      id: permissionIds[i],
      name,
      deletedAt: deletedAt(!!graph.permissions[i]?.deleted),
    })),
  );
  await db.roles.bulkCreate(
    graph.roles.map((role, i) => ({ id: roleIds[i], name: `Role ${i}`, deletedAt: deletedAt(role.deleted) })),
  );
  const links = graph.roles.flatMap((role, i) =>
    role.permissions.map((p) => ({
      roles_permissionsId: roleIds[i] as string,
      permissionId: permissionIds[p] as string,
    })),
  );
  if (links.length > 0) await db.rolesPermissionsPermissions.bulkCreate(links);
  await db.users.bulkCreate(
    graph.users.map((user, i) => ({
      id: ids.users[i],
      email: `user${i}@example.com`,
      password: 'correct horse battery',
      app_roleId: user.role === null ? null : roleIds[user.role],
      disabled: user.disabled,
      deletedAt: deletedAt(user.deleted),
    })),
  );
  const custom = graph.users.flatMap((user, i) =>
    user.custom.map((p) => ({
      users_custom_permissionsId: ids.users[i] as string,
      permissionId: permissionIds[p] as string,
    })),
  );
  if (custom.length > 0) await db.usersCustom_permissionsPermissions.bulkCreate(custom);
  await db.projects.bulkCreate(
    graph.projects.map((project, i) => ({
      id: ids.projects[i],
      name: `P${i}`,
      slug: `p-${i}`,
      deletedAt: deletedAt(project.deleted),
    })),
  );
  const memberships = graph.memberships.flatMap((row, u) =>
    row.flatMap((membership, p) => {
      if (!membership) return [];
      const projectDeleted = graph.projects[p]?.deleted ?? false;
      const removed =
        membership.deleted === 'no' ? null : membership.deleted === 'with-project' && projectDeleted ? at : before;
      return [
        {
          userId: ids.users[u] as string,
          projectId: ids.projects[p] as string,
          access_level: membership.level,
          is_active: membership.active,
          deletedAt: removed,
        },
      ];
    }),
  );
  if (memberships.length > 0) await db.project_memberships.bulkCreate(memberships);
  return ids;
}

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase(cheapHasher);
}, 60_000);
afterAll(async () => {
  await database.reset();
  await database.close();
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

test('can agrees with the reference over random role, permission and membership graphs', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, requests, async (graph, asked) => {
      await database.reset();
      const ids = await store(database.db, graph);
      for (const question of asked) {
        const userId = ids.users[question.user] ?? UNKNOWN;
        const projectId = question.project === null ? null : (ids.projects[question.project] as string);
        const { action, entity } = question.request;
        const answer = await can(database.db, userId, action as CrudAction, entity, {
          projectId,
          environment: question.environment,
        });
        expect({ question, answer }).toEqual({ question, answer: referenceCan(graph, question) });
      }
      for (const [i, userId] of ids.users.entries()) {
        expect(await permissionsOf(database.db, userId)).toEqual(referencePermissions(graph, i));
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
