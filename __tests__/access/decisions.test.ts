import {
  type AccessEntity,
  type AccessLevel,
  type AccessRule,
  CRUD_ACTIONS,
  type CrudAction,
  can,
  canWhy,
  ENTITY_RULES,
  type Environment,
  InvalidIdError,
  PROJECT_ACTIONS,
  type ProjectAction,
  permissionsOf,
  projectAccess,
} from '../../src';
import { buildWorld, roundTrips, useSharedDatabase } from './world';

const t = useSharedDatabase(buildWorld);
jest.setTimeout(60_000);

/**
 * D9 as the test states it, independently of src/access/rules.ts: for each
 * table, the lowest membership level that may read, create, update and delete
 * its rows. `editor/dev` allows only dev rows (stage and production change by
 * publishing); `-` means no level does, only a global permission.
 */
const LEVEL_TABLE: Record<AccessEntity, [read: string, create: string, update: string, remove: string]> = {
  tour_pages: ['viewer', 'editor/dev', 'editor/dev', 'editor/dev'],
  project_audio_tracks: ['viewer', 'editor/dev', 'editor/dev', 'editor/dev'],
  project_transition_settings: ['viewer', 'editor/dev', 'editor/dev', 'editor/dev'],
  project_ui_control_settings: ['viewer', 'editor/dev', 'editor/dev', 'editor/dev'],
  pwa_caches: ['viewer', 'editor/dev', 'editor/dev', 'editor/dev'],
  assets: ['viewer', 'editor', 'editor', 'editor'],
  asset_variants: ['viewer', 'editor', 'editor', 'editor'],
  project_element_defaults: ['viewer', 'editor', 'editor', 'editor'],
  presigned_url_requests: ['viewer', 'editor', 'editor', 'editor'],
  projects: ['viewer', '-', 'owner', 'owner'],
  project_memberships: ['viewer', 'owner', 'owner', 'owner'],
  production_presentation_access: ['owner', 'owner', 'owner', 'owner'],
  publish_events: ['reviewer', '-', '-', '-'],
  publish_snapshots: ['reviewer', '-', '-', '-'],
  access_logs: ['owner', '-', '-', '-'],
  users: ['-', '-', '-', '-'],
  roles: ['-', '-', '-', '-'],
  permissions: ['-', '-', '-', '-'],
  element_type_defaults: ['-', '-', '-', '-'],
  global_transition_defaults: ['-', '-', '-', '-'],
  global_ui_control_defaults: ['-', '-', '-', '-'],
  file: ['-', '-', '-', '-'],
};

/** The project actions: reviewers read history and preview, editors save to stage, owners do the rest. */
const PROJECT_ACTION_TABLE: Record<ProjectAction, AccessLevel> = {
  READ_PUBLISH_HISTORY: 'reviewer',
  PREVIEW_PUBLISH: 'reviewer',
  SAVE_TO_STAGE: 'editor',
  PUBLISH: 'owner',
  ROLLBACK: 'owner',
  MANAGE_MEMBERS: 'owner',
  MANAGE_PRESENTATION_ACCESS: 'owner',
  RESTORE: 'owner',
};

const RANK: Record<AccessLevel | 'none', number> = { none: 0, viewer: 1, reviewer: 2, editor: 3, owner: 4 };
const LEVELS = ['owner', 'editor', 'reviewer', 'viewer', 'none'] as const;
const ENVIRONMENTS: Environment[] = ['dev', 'stage', 'production'];
const COLUMN: Record<CrudAction, number> = { READ: 0, CREATE: 1, UPDATE: 2, DELETE: 3 };

function expected(cell: string, level: AccessLevel | 'none', environment: Environment): boolean {
  if (cell === '-') return false;
  const [minimum, only] = cell.split('/') as [AccessLevel, string | undefined];
  return RANK[level] >= RANK[minimum] && (only === undefined || environment === only);
}

function userOf(level: (typeof LEVELS)[number]): string {
  return level === 'none' ? t.world.users.outsider : t.world.users[level];
}

/**
 * One table of each kind of row: the tables of a kind share their rule (the
 * test below holds every table to LEVEL_TABLE), so asking the database about
 * one of each covers every rule without 1,200 queries on pg-mem.
 */
const ONE_OF_EACH_KIND: AccessEntity[] = [
  'tour_pages',
  'assets',
  'projects',
  'project_memberships',
  'production_presentation_access',
  'publish_events',
  'access_logs',
  'users',
];

describe('D9: every level x every action x every environment, by membership', () => {
  test('every table follows the level table (the rules as src/access/rules.ts writes them)', () => {
    const written = Object.fromEntries(
      Object.entries(ENTITY_RULES).map(([entity, rules]) => [
        entity,
        (['READ', 'CREATE', 'UPDATE', 'DELETE'] as const).map((action) => {
          const rule = rules[action];
          return rule ? `${rule.level}${rule.devOnly ? '/dev' : ''}` : '-';
        }),
      ]),
    );
    expect(written).toEqual(LEVEL_TABLE);
  });

  test.each(ONE_OF_EACH_KIND)('%s', async (entity) => {
    const mismatches: string[] = [];
    for (const level of LEVELS) {
      for (const action of CRUD_ACTIONS) {
        for (const environment of ENVIRONMENTS) {
          const want = expected(LEVEL_TABLE[entity][COLUMN[action]] as string, level, environment);
          const decision = await canWhy(t.db, userOf(level), action, entity, {
            projectId: t.world.project,
            environment,
          });
          if (decision.allowed !== want || (want && decision.rule !== 'membership')) {
            mismatches.push(`${level} ${action} ${entity} in ${environment}: ${decision.rule} (${decision.reason})`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  test.each([...PROJECT_ACTIONS])('%s', async (action) => {
    for (const level of LEVELS) {
      const decision = await canWhy(t.db, userOf(level), action, 'projects', { projectId: t.world.project });
      expect({ level, allowed: decision.allowed }).toEqual({
        level,
        allowed: RANK[level] >= RANK[PROJECT_ACTION_TABLE[action]],
      });
    }
  });

  test('writing environment content without naming the environment is refused', async () => {
    for (const action of ['CREATE', 'UPDATE', 'DELETE'] as const) {
      expect(await canWhy(t.db, t.world.users.owner, action, 'tour_pages', { projectId: t.world.project })).toEqual({
        allowed: false,
        rule: 'environment',
        reason: `${action} on tour_pages in an unnamed environment is not allowed: members write dev content; stage and production change by publishing`,
      });
    }
    expect(await can(t.db, t.world.users.viewer, 'READ', 'tour_pages', { projectId: t.world.project })).toBe(true);
    expect(await can(t.db, t.world.users.editor, 'UPDATE', 'assets', { projectId: t.world.project })).toBe(true);
  });

  test('a membership gives nothing on another project', async () => {
    const { users, publicProject } = t.world;
    expect(await can(t.db, users.owner, 'READ', 'tour_pages', { projectId: publicProject })).toBe(false);
    expect(
      await can(t.db, users.editor, 'UPDATE', 'tour_pages', { projectId: publicProject, environment: 'dev' }),
    ).toBe(false);
  });

  test('the reasons name the rule: level, environment, membership', async () => {
    const { users, project } = t.world;
    expect(
      await canWhy(t.db, users.viewer, 'UPDATE', 'tour_pages', { projectId: project, environment: 'dev' }),
    ).toEqual({
      allowed: false,
      rule: 'level-too-low',
      reason: 'UPDATE on tour_pages needs editor access or higher; the user has viewer access',
    });
    expect(
      await canWhy(t.db, users.owner, 'UPDATE', 'tour_pages', { projectId: project, environment: 'production' }),
    ).toMatchObject({ allowed: false, rule: 'environment' });
    expect(await canWhy(t.db, users.editor, 'SAVE_TO_STAGE', 'projects', { projectId: project })).toEqual({
      allowed: true,
      rule: 'membership',
      reason: "SAVE_TO_STAGE is granted by the user's editor membership",
    });
  });
});

describe('D9: who has no access', () => {
  type Case = [string, (w: typeof t.world) => string | null, AccessRule];
  const cases: Case[] = [
    ['an anonymous visitor', () => null, 'anonymous'],
    ['a user with no membership', (w) => w.users.outsider, 'not-a-member'],
    ['an inactive membership', (w) => w.users.inactive, 'not-a-member'],
    ['a soft-deleted membership', (w) => w.users.exMember, 'not-a-member'],
    ['a disabled owner', (w) => w.users.disabledOwner, 'disabled-user'],
    ['a disabled user with a global permission', (w) => w.users.disabledAdmin, 'disabled-user'],
    ['a soft-deleted user', (w) => w.users.deletedUser, 'unknown-user'],
    ['an id no user has', () => '00000000-0000-4000-8000-000000000000', 'unknown-user'],
  ];
  test.each(cases)('%s passes no check', async (_, who, rule) => {
    const userId = who(t.world);
    for (const action of CRUD_ACTIONS) {
      const decision = await canWhy(t.db, userId, action, 'tour_pages', {
        projectId: t.world.project,
        environment: 'dev',
      });
      expect(decision).toMatchObject({ allowed: false, rule });
    }
    for (const action of PROJECT_ACTIONS) {
      expect(await can(t.db, userId, action, 'projects', { projectId: t.world.project })).toBe(false);
    }
  });
});

describe('D9: global permissions', () => {
  test('a role’s permission grants that action on every project and environment, and nothing else', async () => {
    const { users, project, publicProject } = t.world;
    for (const projectId of [project, publicProject, null]) {
      for (const environment of ['dev', 'stage', 'production'] as const) {
        expect(await canWhy(t.db, users.pageEditor, 'UPDATE', 'tour_pages', { projectId, environment })).toEqual({
          allowed: true,
          rule: 'global-permission',
          reason: "UPDATE on tour_pages is granted by UPDATE_TOUR_PAGES (the user's role)",
        });
      }
      expect(await can(t.db, users.pageEditor, 'DELETE', 'tour_pages', { projectId, environment: 'dev' })).toBe(false);
    }
  });

  test('a custom permission counts like a role’s; project actions map to their permission', async () => {
    const { users, project, publicProject } = t.world;
    for (const action of ['SAVE_TO_STAGE', 'PUBLISH', 'ROLLBACK'] as const) {
      for (const projectId of [project, publicProject]) {
        expect(await canWhy(t.db, users.customPublisher, action, 'projects', { projectId })).toMatchObject({
          allowed: true,
          rule: 'global-permission',
        });
      }
    }
    expect(await can(t.db, users.customPublisher, 'MANAGE_MEMBERS', 'projects', { projectId: project })).toBe(false);
    expect(await can(t.db, users.customPublisher, 'CREATE', 'publish_events')).toBe(true);
  });

  test('a soft-deleted role or permission grants nothing', async () => {
    const { users, project } = t.world;
    expect(
      await canWhy(t.db, users.goneRoleHolder, 'UPDATE', 'tour_pages', { projectId: project, environment: 'dev' }),
    ).toMatchObject({ allowed: false, rule: 'not-a-member' });
    expect(await can(t.db, users.goneRoleHolder, 'PUBLISH', 'projects', { projectId: project })).toBe(false);
    expect(await can(t.db, users.stalePermissionHolder, 'DELETE', 'tour_pages', { projectId: project })).toBe(false);
  });

  test('without a project, only a global permission allows; platform tables need one', async () => {
    const { users } = t.world;
    expect(await canWhy(t.db, users.owner, 'READ', 'tour_pages')).toMatchObject({ allowed: false, rule: 'no-project' });
    expect(await canWhy(t.db, users.owner, 'READ', 'users', { projectId: t.world.project })).toEqual({
      allowed: false,
      rule: 'not-by-membership',
      reason: 'READ on users needs the permission READ_USERS',
    });
    expect(await can(t.db, users.pageEditor, 'READ', 'projects')).toBe(true);
  });
});

describe('D9: a deleted project', () => {
  test('its owners may restore it and do nothing else; others may not restore it', async () => {
    const { users, deletedProject } = t.world;
    const options = { projectId: deletedProject };
    expect(await canWhy(t.db, users.owner, 'RESTORE', 'projects', options)).toMatchObject({
      allowed: true,
      rule: 'membership',
    });
    expect(await canWhy(t.db, users.owner, 'READ', 'tour_pages', options)).toMatchObject({
      allowed: false,
      rule: 'project-deleted',
    });
    expect(await canWhy(t.db, users.viewer, 'RESTORE', 'projects', options)).toMatchObject({
      allowed: false,
      rule: 'level-too-low',
    });
    // Left the project before it was deleted: that membership did not go with the project.
    expect(await canWhy(t.db, users.earlyLeaver, 'RESTORE', 'projects', options)).toMatchObject({
      allowed: false,
      rule: 'not-a-member',
    });
  });
});

describe('permissionsOf', () => {
  test('the role’s and the custom permissions, sorted, without soft-deleted ones', async () => {
    const { users } = t.world;
    expect(await permissionsOf(t.db, users.pageEditor)).toEqual(['READ_PROJECTS', 'UPDATE_TOUR_PAGES']);
    expect(await permissionsOf(t.db, users.customPublisher)).toEqual(['CREATE_PUBLISH_EVENTS']);
    expect(await permissionsOf(t.db, users.goneRoleHolder)).toEqual([]);
    expect(await permissionsOf(t.db, users.stalePermissionHolder)).toEqual([]);
  });

  test('a disabled, deleted or unknown user has none', async () => {
    const { users } = t.world;
    expect(await permissionsOf(t.db, users.disabledAdmin)).toEqual([]);
    expect(await permissionsOf(t.db, users.deletedUser)).toEqual([]);
    expect(await permissionsOf(t.db, '00000000-0000-4000-8000-000000000000')).toEqual([]);
  });
});

describe('projectAccess', () => {
  test.each([
    ['owner', 'owner'],
    ['editor', 'editor'],
    ['reviewer', 'reviewer'],
    ['viewer', 'viewer'],
    ['outsider', null],
    ['inactive', null],
    ['exMember', null],
    ['disabledOwner', null],
    ['deletedUser', null],
    ['pageEditor', null],
  ] as const)('%s: %s', async (who, level) => {
    expect(await projectAccess(t.db, t.world.users[who], t.world.project)).toBe(level);
  });

  test('a deleted project gives no level', async () => {
    expect(await projectAccess(t.db, t.world.users.owner, t.world.deletedProject)).toBeNull();
  });
});

describe('one round trip each', () => {
  test.each([
    ['can', () => can(t.db, t.world.users.editor, 'UPDATE', 'tour_pages', { projectId: t.world.project })],
    ['canWhy', () => canWhy(t.db, t.world.users.owner, 'PUBLISH', 'projects', { projectId: t.world.project })],
    ['permissionsOf', () => permissionsOf(t.db, t.world.users.pageEditor)],
    ['projectAccess', () => projectAccess(t.db, t.world.users.viewer, t.world.project)],
  ])('%s', async (_, work) => {
    const { queries } = await roundTrips(t.db, work as () => Promise<unknown>);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/^SELECT/);
  });

  test('an anonymous caller is refused without a query', async () => {
    const { result, queries } = await roundTrips(t.db, () => can(t.db, null, 'READ', 'projects'));
    expect([result, queries]).toEqual([false, []]);
  });
});

describe('bad ids', () => {
  test('a user or project id that is not a UUID is an InvalidIdError naming it', async () => {
    await expect(can(t.db, 'alice', 'READ', 'projects')).rejects.toThrow(InvalidIdError);
    await expect(can(t.db, t.world.users.owner, 'READ', 'projects', { projectId: "1' OR '1'='1" })).rejects.toThrow(
      'projectId must be a UUID',
    );
    await expect(permissionsOf(t.db, '')).rejects.toThrow('userId must be a UUID, got ""');
    await expect(projectAccess(t.db, t.world.users.owner, 'nope')).rejects.toThrow(InvalidIdError);
  });
});
