import type { Db } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, openTestDatabase, type TestDatabase } from '../support/db';

/**
 * One database for a whole file (the suites only read it): opened before the
 * tests with `setUp`, emptied and closed after them.
 */
export function useSharedDatabase<W>(setUp: (db: Db) => Promise<W>): { readonly db: Db; readonly world: W } {
  let database: TestDatabase | undefined;
  let world: W | undefined;
  beforeAll(async () => {
    database = await openTestDatabase(cheapHasher);
    world = await setUp(database.db);
  }, 120_000);
  afterAll(async () => {
    await database?.reset();
    await database?.close();
  }, 60_000);
  return {
    get db(): Db {
      if (!database) throw new Error('the database is not open yet');
      return database.db;
    },
    get world(): W {
      if (!world) throw new Error('the world is not built yet');
      return world;
    },
  };
}

/** The SQL statements sent through the instance while `work` runs, as its logging sees them. */
export async function roundTrips<T>(db: Db, work: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
  const queries: string[] = [];
  const options = db.sequelize.options as { logging?: unknown };
  const logging = options.logging;
  options.logging = (sql: string) => {
    queries.push(sql.replace(/^Executing \([^)]*\): /, '').trim());
  };
  try {
    const result = await work();
    return { result, queries };
  } finally {
    options.logging = logging;
  }
}

async function permission(db: Db, name: string, deleted = false) {
  const row = await db.permissions.create({ name });
  if (deleted) await row.destroy();
  return row;
}

async function role(db: Db, name: string, permissionIds: string[], deleted = false) {
  const row = await build.role(db, { name });
  if (permissionIds.length > 0) {
    await db.rolesPermissionsPermissions.bulkCreate(
      permissionIds.map((permissionId) => ({ roles_permissionsId: row.id, permissionId })),
    );
  }
  if (deleted) await row.destroy();
  return row;
}

async function customPermissions(db: Db, userId: string, permissionIds: string[]) {
  await db.usersCustom_permissionsPermissions.bulkCreate(
    permissionIds.map((permissionId) => ({ users_custom_permissionsId: userId, permissionId })),
  );
}

const PEOPLE = [
  'owner',
  'editor',
  'reviewer',
  'viewer',
  'outsider',
  'inactive',
  'exMember',
  'disabledOwner',
  'disabledOutsider',
  'deletedUser',
  'pageEditor',
  'customPublisher',
  'goneRoleHolder',
  'stalePermissionHolder',
  'disabledAdmin',
  'grantee',
  'exGrantee',
  'earlyLeaver',
] as const;

export interface World {
  users: Record<(typeof PEOPLE)[number], string>;
  project: string;
  publicProject: string;
  deletedProject: string;
}

/**
 * The people and projects of the D9 suites. `project` is private, with one
 * active member of each level and the edge cases around them; `publicProject`
 * is public; `deletedProject` was soft-deleted with its memberships.
 */
export async function buildWorld(db: Db): Promise<World> {
  const readProjects = await permission(db, 'READ_PROJECTS');
  const updatePages = await permission(db, 'UPDATE_TOUR_PAGES');
  const createPublishEvents = await permission(db, 'CREATE_PUBLISH_EVENTS');
  const deletePagesGone = await permission(db, 'DELETE_TOUR_PAGES', true);

  const pageEditors = await role(db, 'Page editors', [updatePages.id, readProjects.id]);
  const goneRole = await role(db, 'Gone role', [updatePages.id, readProjects.id, createPublishEvents.id], true);
  const staleRole = await role(db, 'Stale role', [deletePagesGone.id]);

  const project = await build.project(db, { production_presentation_visibility: 'private' });
  const publicProject = await build.project(db, { production_presentation_visibility: 'public' });
  const deletedProject = await build.project(db);

  const user = async (overrides: Parameters<typeof build.user>[1] = {}) => (await build.user(db, overrides)).id;
  const member = (userId: string, access_level: 'owner' | 'editor' | 'reviewer' | 'viewer', projectId = project.id) =>
    build.projectMembership(db, { projectId, userId, access_level, is_active: true });

  const users: World['users'] = {
    owner: await user(),
    editor: await user(),
    reviewer: await user(),
    viewer: await user(),
    outsider: await user(),
    inactive: await user(),
    exMember: await user(),
    disabledOwner: await user({ disabled: true }),
    disabledOutsider: await user({ disabled: true }),
    deletedUser: await user(),
    pageEditor: await user({ app_roleId: pageEditors.id }),
    customPublisher: await user(),
    goneRoleHolder: await user({ app_roleId: goneRole.id }),
    stalePermissionHolder: await user({ app_roleId: staleRole.id }),
    disabledAdmin: await user({ app_roleId: pageEditors.id, disabled: true }),
    grantee: await user(),
    exGrantee: await user(),
    earlyLeaver: await user(),
  };
  await customPermissions(db, users.customPublisher, [createPublishEvents.id]);
  await customPermissions(db, users.stalePermissionHolder, [deletePagesGone.id]);

  await member(users.owner, 'owner');
  await member(users.editor, 'editor');
  await member(users.reviewer, 'reviewer');
  await member(users.viewer, 'viewer');
  await build.projectMembership(db, {
    projectId: project.id,
    userId: users.inactive,
    access_level: 'owner',
    is_active: false,
  });
  await (await member(users.exMember, 'owner')).destroy();
  await member(users.disabledOwner, 'owner');
  await member(users.deletedUser, 'owner');
  await (await db.users.findByPk(users.deletedUser))?.destroy();

  await build.productionPresentationAccess(db, { projectId: project.id, userId: users.grantee });
  await (await build.productionPresentationAccess(db, { projectId: project.id, userId: users.exGrantee })).destroy();

  // The deleted project: two members deleted with it, one who had left before.
  await member(users.owner, 'owner', deletedProject.id);
  await member(users.viewer, 'viewer', deletedProject.id);
  await (await member(users.earlyLeaver, 'owner', deletedProject.id)).destroy();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await deletedProject.destroy();

  return { users, project: project.id, publicProject: publicProject.id, deletedProject: deletedProject.id };
}
