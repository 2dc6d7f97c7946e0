import fc from 'fast-check';
import { type IncludeOptions, ValidationError } from 'sequelize';
import {
  type Db,
  type EditorView,
  type Environment,
  InvalidIdError,
  loadEditorView,
  loadPresentation,
  type Presentation,
  type PresentationOptions,
  USER_SECRET_FIELDS,
  visibleProductionPages,
} from '../../src';
import { editorViewByQueries, presentationByQueries } from '../../src/access/presentation';
import { build } from '../../src/testing/factories';
import { backend, cheapHasher, openTestDatabase, type TestDatabase } from '../support/db';

/**
 * The one-statement reads answer exactly what the equivalent Sequelize
 * includes answer (and, on PostgreSQL, what the query-per-table path answers):
 * table-driven for the rules, property-tested over random projects.
 */

jest.setTimeout(120_000);

let current: TestDatabase;
const db = (): Db => current.db;
beforeAll(async () => {
  current = await openTestDatabase(cheapHasher);
}, 60_000);
afterEach(() => current.reset());
afterAll(() => current.close());

// ---------------------------------------------------------------------------------------------- the reference

type Lookup = { id: string } | { slug: string };
type Plain = Record<string, unknown>;

const plain = (row: { get(options: { plain: true }): unknown }) => row.get({ plain: true }) as Plain;
const decimals = (row: Plain) => ({ ...row, volume: row.volume == null ? row.volume : Number(row.volume) });

/** The environment's pages, in presentation order, as an include reads them. */
const pagesOf = (environment: Environment): IncludeOptions => ({
  association: 'tour_pages_project',
  where: { environment },
  required: false,
  separate: true,
  order: [
    ['sort_order', 'ASC'],
    ['slug', 'ASC'],
  ],
});

/** The presentation as Sequelize includes read it, without the viewer's rules. */
async function presentationByIncludes(lookup: Lookup, environment: Environment): Promise<Presentation | null> {
  const found = await db().projects.findOne({
    where: lookup,
    include: [
      pagesOf(environment),
      { association: 'project_transition_settings_project', where: { environment }, required: false, separate: true },
      { association: 'project_ui_control_settings_project', where: { environment }, required: false, separate: true },
      {
        association: 'project_audio_tracks_project',
        where: { environment },
        required: false,
        separate: true,
        order: [
          ['sort_order', 'ASC'],
          ['id', 'ASC'],
        ],
      },
      {
        association: 'project_element_defaults_project',
        separate: true,
        order: [
          ['sort_order', 'ASC'],
          ['element_type', 'ASC'],
        ],
      },
    ],
  });
  if (!found) return null;
  const {
    tour_pages_project: pages,
    project_transition_settings_project: transitions,
    project_ui_control_settings_project: uiControls,
    project_audio_tracks_project: audioTracks,
    project_element_defaults_project: elementDefaults,
    ...project
  } = plain(found) as Record<string, Plain[]> & Plain;
  return {
    project,
    pages,
    transitionSettings: transitions?.[0] ?? null,
    uiControlSettings: uiControls?.[0] ?? null,
    audioTracks: (audioTracks as Plain[]).map(decimals),
    elementDefaults,
  } as unknown as Presentation;
}

/** D9 for one viewer, from the rows Sequelize's finders read (paranoid: soft-deleted rows are not found). */
async function viewerFacts(projectId: string, viewer: string | null) {
  const user = viewer ? await db().users.findByPk(viewer) : null;
  const signedIn = Boolean(user && !user.disabled);
  if (!user || !signedIn) return { signedIn, insider: false };
  const readProjects = async (permissionIds: string[]) =>
    (await db().permissions.count({ where: { id: permissionIds, name: 'READ_PROJECTS' } })) > 0;
  const role = user.app_roleId ? await db().roles.findByPk(user.app_roleId) : null;
  const viaRole =
    role !== null &&
    (await readProjects(
      (
        await db().rolesPermissionsPermissions.findAll({ where: { roles_permissionsId: role.id } })
      ).map((row) => row.permissionId),
    ));
  const viaCustom = await readProjects(
    (await db().usersCustom_permissionsPermissions.findAll({ where: { users_custom_permissionsId: user.id } })).map(
      (row) => row.permissionId,
    ),
  );
  const member = await db().project_memberships.count({ where: { projectId, userId: user.id, is_active: true } });
  const grant = await db().production_presentation_access.count({ where: { projectId, userId: user.id } });
  return { signedIn, insider: viaRole || viaCustom || member > 0 || grant > 0 };
}

async function expectedPresentation(
  lookup: Lookup,
  environment: Environment,
  options: PresentationOptions,
): Promise<Presentation | null> {
  const all = await presentationByIncludes(lookup, environment);
  if (!all || options.viewer === undefined) return all;
  const { signedIn, insider } = await viewerFacts(all.project.id, options.viewer);
  const isPublic = all.project.production_presentation_visibility === 'public';
  if (!isPublic && !insider) return null;
  return { ...all, pages: all.pages.filter((page) => insider || !page.requires_auth || signedIn) };
}

/** The editor's view as Sequelize includes read it. */
async function editorViewByIncludes(lookup: Lookup, environment: Environment): Promise<EditorView | null> {
  const found = await db().projects.findOne({
    where: lookup,
    include: [
      pagesOf(environment),
      {
        association: 'project_memberships_project',
        separate: true,
        include: ['user'],
        order: [
          ['createdAt', 'ASC'],
          ['id', 'ASC'],
        ],
      },
    ],
  });
  if (!found) return null;
  const {
    tour_pages_project: pages,
    project_memberships_project: members,
    ...project
  } = plain(found) as Record<string, Plain[]> & Plain;
  return { project, pages, members } as unknown as EditorView;
}

// ---------------------------------------------------------------------------------------------- rules, table-driven

describe('loadPresentation', () => {
  test('the project, its pages of the environment in order, settings, tracks and element defaults', async () => {
    const project = await build.project(db(), { slug: 'the-tour' });
    const projectId = project.id;
    const page = (slug: string, sort_order: number, environment: Environment = 'production') =>
      build.tourPage(db(), { projectId, slug, sort_order, environment, ui_schema_json: { slug } });
    await page('c', 1);
    await page('a', 2);
    await page('b', 1);
    await page('dev-only', 0, 'dev');
    await (await page('gone', 0)).destroy();
    await build.projectTransitionSetting(db(), { projectId, environment: 'production', duration_ms: 300 });
    await build.projectTransitionSetting(db(), { projectId, environment: 'dev' });
    await build.projectUiControlSetting(db(), { projectId, environment: 'production', sound_enabled: false });
    await build.projectAudioTrack(db(), { projectId, environment: 'production', sort_order: 2, volume: 0.25 });
    await build.projectAudioTrack(db(), { projectId, environment: 'production', sort_order: 1 });
    await (await build.projectAudioTrack(db(), { projectId, environment: 'production' })).destroy();
    await build.projectElementDefault(db(), { projectId, element_type: 'button', sort_order: 1 });
    await build.projectElementDefault(db(), { projectId, element_type: 'gallery', sort_order: 0 });

    const shown = await loadPresentation(db(), 'the-tour', 'production');
    expect(shown?.project).toMatchObject({
      id: projectId,
      slug: 'the-tour',
      production_presentation_visibility: 'public',
    });
    expect(shown?.project.createdAt).toBeInstanceOf(Date);
    expect(shown?.pages.map((row) => row.slug)).toEqual(['b', 'c', 'a']);
    expect(shown?.pages[0]?.ui_schema_json).toEqual({ slug: 'b' });
    expect(shown?.transitionSettings).toMatchObject({ environment: 'production', duration_ms: 300 });
    expect(shown?.uiControlSettings).toMatchObject({ environment: 'production', sound_enabled: false });
    expect(shown?.audioTracks.map((row) => row.sort_order)).toEqual([1, 2]);
    expect(shown?.audioTracks[1]?.volume).toBe(0.25);
    expect(shown?.elementDefaults.map((row) => row.element_type)).toEqual(['gallery', 'button']);
    expect(await loadPresentation(db(), projectId, 'production')).toStrictEqual(shown);
    expect(shown).toStrictEqual(await presentationByIncludes({ id: projectId }, 'production'));
  });

  test('an environment without rows has empty lists and null settings', async () => {
    const project = await build.project(db());
    await build.tourPage(db(), { projectId: project.id, environment: 'dev' });
    const shown = await loadPresentation(db(), project.id, 'stage');
    expect(shown).toMatchObject({
      pages: [],
      transitionSettings: null,
      uiControlSettings: null,
      audioTracks: [],
      elementDefaults: [],
    });
  });

  test('a missing or soft-deleted project reads as null', async () => {
    const project = await build.project(db(), { slug: 'deleted-tour' });
    await project.destroy();
    expect(await loadPresentation(db(), 'deleted-tour', 'production')).toBeNull();
    expect(await loadPresentation(db(), project.id, 'production')).toBeNull();
    expect(await loadPresentation(db(), 'no-such-tour', 'dev')).toBeNull();
  });

  test.each([
    ['an empty project reference', () => loadPresentation(db(), '', 'dev'), 'projectIdOrSlug'],
    ['an unknown environment', () => loadPresentation(db(), 'x', 'live' as Environment), 'environment'],
    ['a viewer outside production', () => loadPresentation(db(), 'x', 'dev', { viewer: null }), 'viewer'],
    ['an editor view of an unknown environment', () => loadEditorView(db(), 'x', 'prod' as Environment), 'environment'],
    // The environment is written into the statement: only the three known values ever reach it.
    ['an environment that is SQL', () => loadEditorView(db(), 'x', "dev' OR '1' = '1" as Environment), 'environment'],
  ])('refuses %s with a ValidationError naming it', async (_, read, field) => {
    const error = await read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe(field);
  });

  test('refuses a viewer that is not a UUID with an InvalidIdError naming it', async () => {
    const error = await loadPresentation(db(), 'x', 'production', { viewer: 'me' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidIdError);
    expect((error as InvalidIdError).field).toBe('viewer');
  });

  test('reads its own writes inside the caller’s transaction', async () => {
    const project = await build.project(db());
    await db().sequelize.transaction(async (transaction) => {
      await db().tour_pages.create(
        { name: 'New', slug: 'new', projectId: project.id, environment: 'production' },
        { transaction },
      );
      const shown = await loadPresentation(db(), project.id, 'production', { transaction });
      expect(shown?.pages.map((row) => row.slug)).toEqual(['new']);
    });
  });
});

describe('loadPresentation with a viewer (D9)', () => {
  type Setup = (projectId: string) => Promise<string | null>;
  const newUser = (overrides = {}) => build.user(db(), overrides);
  const member =
    (is_active: boolean, deleted = false): Setup =>
    async (projectId) => {
      const user = await newUser();
      const membership = await build.projectMembership(db(), { projectId, userId: user.id, is_active });
      if (deleted) await membership.destroy();
      return user.id;
    };
  const grant =
    (deleted: boolean): Setup =>
    async (projectId) => {
      const user = await newUser();
      const row = await build.productionPresentationAccess(db(), { projectId, userId: user.id });
      if (deleted) await row.destroy();
      return user.id;
    };
  const readProjects =
    (via: 'role' | 'custom', deleted: 'nothing' | 'permission' | 'role' = 'nothing'): Setup =>
    async () => {
      const permission = await build.permission(db(), { name: 'READ_PROJECTS' });
      const user = await newUser();
      if (via === 'role') {
        const role = await build.role(db());
        await db().rolesPermissionsPermissions.create({ roles_permissionsId: role.id, permissionId: permission.id });
        await user.update({ app_roleId: role.id });
        if (deleted === 'role') await role.destroy();
      } else {
        await db().usersCustom_permissionsPermissions.create({
          users_custom_permissionsId: user.id,
          permissionId: permission.id,
        });
      }
      if (deleted === 'permission') await permission.destroy();
      return user.id;
    };
  const signedIn: Setup = async () => (await newUser()).id;
  const disabled: Setup = async () => (await newUser({ disabled: true })).id;
  const disabledMember: Setup = async (projectId) => {
    const id = await member(true)(projectId);
    await db().users.update({ disabled: true }, { where: { id: id as string } });
    return id;
  };
  const anonymous: Setup = async () => null;

  // [viewer, public presentation: pages seen, private presentation: pages seen (null: no presentation)]
  const table: [string, Setup, string[], string[] | null][] = [
    ['an anonymous visitor', anonymous, ['open'], null],
    ['a signed-in user', signedIn, ['open', 'members'], null],
    ['a disabled user', disabled, ['open'], null],
    ['an active member', member(true), ['open', 'members'], ['open', 'members']],
    ['a disabled active member', disabledMember, ['open'], null],
    ['an inactive member', member(false), ['open', 'members'], null],
    ['a member whose membership is deleted', member(true, true), ['open', 'members'], null],
    ['a user with a grant', grant(false), ['open', 'members'], ['open', 'members']],
    ['a user whose grant is deleted', grant(true), ['open', 'members'], null],
    ['a user whose role has READ_PROJECTS', readProjects('role'), ['open', 'members'], ['open', 'members']],
    ['a user with READ_PROJECTS of their own', readProjects('custom'), ['open', 'members'], ['open', 'members']],
    ['a user whose role is deleted', readProjects('role', 'role'), ['open', 'members'], null],
    ['a user whose READ_PROJECTS is deleted', readProjects('custom', 'permission'), ['open', 'members'], null],
  ];

  test.each(table)('%s', async (_, setup, publicPages, privatePages) => {
    for (const [visibility, expected] of [
      ['public', publicPages],
      ['private', privatePages],
    ] as const) {
      const project = await build.project(db(), { production_presentation_visibility: visibility });
      const projectId = project.id;
      await build.tourPage(db(), { projectId, environment: 'production', slug: 'open', sort_order: 0 });
      await build.tourPage(db(), {
        projectId,
        environment: 'production',
        slug: 'members',
        sort_order: 1,
        requires_auth: true,
      });
      const viewer = await setup(projectId);
      const shown = await loadPresentation(db(), projectId, 'production', { viewer });
      expect(shown === null ? null : shown.pages.map((page) => page.slug)).toEqual(expected);
      expect(shown).toStrictEqual(await expectedPresentation({ id: projectId }, 'production', { viewer }));
      await current.reset();
    }
  });
});

describe('loadEditorView', () => {
  test('pages of the environment and the members with their users, no secrets', async () => {
    const project = await build.project(db());
    const projectId = project.id;
    await build.tourPage(db(), { projectId, environment: 'dev', slug: 'two', sort_order: 2 });
    await build.tourPage(db(), { projectId, environment: 'dev', slug: 'one', sort_order: 1 });
    await build.tourPage(db(), { projectId, environment: 'production', slug: 'live' });
    const owner = await build.user(db(), { email: 'owner@example.com', password: 'owner password' });
    const gone = await build.user(db());
    await build.projectMembership(db(), { projectId, userId: owner.id, access_level: 'owner', is_active: true });
    const invited = await build.projectMembership(db(), { projectId, userId: gone.id });
    await (await build.projectMembership(db(), { projectId })).destroy();
    await db().users.destroy({ where: { id: gone.id }, individualHooks: false, hooks: false });

    const view = await loadEditorView(db(), projectId, 'dev');
    expect(view?.pages.map((page) => page.slug)).toEqual(['one', 'two']);
    expect(view?.members.map((row) => [row.access_level, row.user?.email ?? null])).toEqual([
      ['owner', 'owner@example.com'],
      ['viewer', null],
    ]);
    expect(view?.members[1]?.id).toBe(invited.id);
    for (const secret of USER_SECRET_FIELDS) expect(view?.members[0]?.user).not.toHaveProperty(secret);
    expect(JSON.stringify(view)).not.toContain('test-hash:');
    expect(view).toStrictEqual(await editorViewByIncludes({ id: projectId }, 'dev'));
  });

  test('a missing project reads as null', async () => {
    expect(await loadEditorView(db(), 'nothing-here', 'dev')).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------- property

const ENVS: Environment[] = ['dev', 'stage', 'production'];
const env = fc.constantFrom(...ENVS);
const json = fc.oneof(
  fc.constant(null),
  fc
    .dictionary(
      fc.stringMatching(/^[a-z]{1,6}$/),
      fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 })),
      { maxKeys: 3 },
    )
    .map((document) => ({ ...document })), // fast-check's objects have no prototype, which the JSON check refuses
);

/** True one time in four: users mostly signed in and enabled, so that the other rules decide. */
const rarely = fc.constantFrom(true, false, false, false);

const world = fc.record({
  visibility: fc.constantFrom('public' as const, 'private' as const),
  readPermissionDeleted: fc.boolean(),
  readRoleDeleted: fc.boolean(),
  users: fc.array(
    fc.record({
      disabled: rarely,
      deleted: rarely,
      role: fc.constantFrom('none', 'read', 'other'),
      customRead: fc.boolean(),
      membership: fc.option(
        fc.record({
          active: fc.boolean(),
          deleted: fc.boolean(),
          level: fc.constantFrom('owner' as const, 'editor' as const, 'reviewer' as const, 'viewer' as const),
        }),
      ),
      grant: fc.constantFrom('none', 'live', 'deleted'),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  pages: fc.array(
    fc.record({
      environment: env,
      sort_order: fc.integer({ min: 0, max: 3 }),
      requires_auth: fc.boolean(),
      deleted: fc.boolean(),
      ui: json,
    }),
    { maxLength: 8 },
  ),
  transitions: fc.array(fc.record({ environment: env, deleted: fc.boolean() }), { maxLength: 4 }),
  uiControls: fc.array(fc.record({ environment: env, deleted: fc.boolean() }), { maxLength: 4 }),
  audio: fc.array(
    fc.record({
      environment: fc.option(env),
      sort_order: fc.option(fc.integer({ min: 0, max: 2 })),
      volume: fc.option(fc.integer({ min: 0, max: 100 }).map((n) => n / 100)),
      deleted: fc.boolean(),
    }),
    { maxLength: 5 },
  ),
  elements: fc.array(fc.record({ sort_order: fc.integer({ min: 0, max: 2 }), deleted: fc.boolean() }), {
    maxLength: 4,
  }),
  // Mostly production with a signed-in viewer: where the rules of D9 apply.
  environment: fc.oneof(
    { arbitrary: fc.constant<Environment>('production'), weight: 3 },
    { arbitrary: env, weight: 1 },
  ),
  viewer: fc.oneof(
    { arbitrary: fc.constantFrom('none' as const, 'anonymous' as const), weight: 1 },
    { arbitrary: fc.nat({ max: 3 }), weight: 3 },
  ),
  bySlug: fc.boolean(),
});
type World = typeof world extends fc.Arbitrary<infer W> ? W : never;

/** Writes a world through the models; returns the project and the viewer (undefined: no rules). */
async function write(w: World): Promise<{ lookup: Lookup; options: PresentationOptions }> {
  const d = db();
  const readProjects = await build.permission(d, { name: 'READ_PROJECTS' });
  const other = await build.permission(d, { name: 'READ_THINGS' });
  const readRole = await build.role(d);
  await d.rolesPermissionsPermissions.create({ roles_permissionsId: readRole.id, permissionId: readProjects.id });
  const otherRole = await build.role(d);
  await d.rolesPermissionsPermissions.create({ roles_permissionsId: otherRole.id, permissionId: other.id });
  const project = await build.project(d, { production_presentation_visibility: w.visibility });
  const projectId = project.id;
  const userIds: string[] = [];
  for (const u of w.users) {
    const roleId = u.role === 'read' ? readRole.id : u.role === 'other' ? otherRole.id : null;
    const user = await build.user(d, { disabled: u.disabled, app_roleId: roleId });
    userIds.push(user.id);
    if (u.customRead) {
      await d.usersCustom_permissionsPermissions.create({
        users_custom_permissionsId: user.id,
        permissionId: readProjects.id,
      });
    }
    if (u.membership) {
      const { active, level, deleted } = u.membership;
      const row = await build.projectMembership(d, {
        projectId,
        userId: user.id,
        is_active: active,
        access_level: level,
      });
      if (deleted) await row.destroy();
    }
    if (u.grant !== 'none') {
      const row = await build.productionPresentationAccess(d, { projectId, userId: user.id });
      if (u.grant === 'deleted') await row.destroy();
    }
  }
  for (const [i, u] of w.users.entries()) {
    // Without hooks: the user row alone is soft-deleted, so that what stays behind (memberships, grants) is read too.
    if (u.deleted) await d.users.destroy({ where: { id: userIds[i] as string }, hooks: false });
  }
  if (w.readPermissionDeleted) await readProjects.destroy();
  if (w.readRoleDeleted) await d.roles.destroy({ where: { id: readRole.id }, hooks: false });
  for (const [i, p] of w.pages.entries()) {
    const row = await build.tourPage(d, {
      projectId,
      slug: `p-${i}`,
      environment: p.environment,
      sort_order: p.sort_order,
      requires_auth: p.requires_auth,
      ui_schema_json: p.ui,
    });
    if (p.deleted) await row.destroy();
  }
  // At most one live row per environment (a partial unique index): the deleted ones first, then the live ones
  // (a second live one of an environment is written deleted).
  const settings = async (
    rows: { environment: Environment; deleted: boolean }[],
    create: (environment: Environment) => Promise<{ destroy(): Promise<void> }>,
  ) => {
    const live = new Set<Environment>();
    const deleted: Environment[] = [];
    for (const r of rows) {
      if (r.deleted || live.has(r.environment)) deleted.push(r.environment);
      else live.add(r.environment);
    }
    for (const environment of deleted) await (await create(environment)).destroy();
    for (const environment of live) await create(environment);
  };
  await settings(w.transitions, (environment) => build.projectTransitionSetting(d, { projectId, environment }));
  await settings(w.uiControls, (environment) => build.projectUiControlSetting(d, { projectId, environment }));
  for (const a of w.audio) {
    const row = await build.projectAudioTrack(d, {
      projectId,
      environment: a.environment,
      sort_order: a.sort_order,
      volume: a.volume,
    });
    if (a.deleted) await row.destroy();
  }
  for (const [i, e] of w.elements.entries()) {
    const row = await build.projectElementDefault(d, {
      projectId,
      element_type: `type-${i}`,
      sort_order: e.sort_order,
    });
    if (e.deleted) await row.destroy();
  }
  const viewer =
    w.environment !== 'production' || w.viewer === 'none'
      ? undefined
      : w.viewer === 'anonymous'
        ? null
        : (userIds[w.viewer % userIds.length] as string);
  return {
    lookup: w.bySlug ? { slug: project.slug } : { id: projectId },
    options: viewer === undefined ? {} : { viewer },
  };
}

const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

describe('the one-statement reads against Sequelize includes, over random projects', () => {
  test('loadPresentation and loadEditorView equal the includes (and, on PostgreSQL, the query-per-table path)', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        await current.reset();
        const { lookup, options } = await write(w);
        const reference = 'id' in lookup ? lookup.id : lookup.slug;
        const shown = await loadPresentation(db(), reference, w.environment, options);
        expect(shown).toStrictEqual(await expectedPresentation(lookup, w.environment, options));
        if (options.viewer !== undefined && shown) {
          // One rule, two reads: the access module's list of visible pages is the presentation's.
          const visible = await visibleProductionPages(db(), shown.project.id, options.viewer);
          expect(visible.map((page) => page.id)).toEqual(shown.pages.map((page) => page.id));
        }
        const view = await loadEditorView(db(), reference, w.environment);
        expect(view).toStrictEqual(await editorViewByIncludes(lookup, w.environment));
        if (backend === 'postgres') {
          expect(await presentationByQueries(db().sequelize, reference, w.environment, options)).toStrictEqual(shown);
          expect(await editorViewByQueries(db().sequelize, reference, w.environment, {})).toStrictEqual(view);
        }
      }),
      { numRuns: RUNS, seed: 20261127, endOnFailure: true },
    );
  });
});
