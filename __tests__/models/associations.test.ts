import type { Model } from 'sequelize';
import { type Db, ENVIRONMENTS, type TableName } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';

const t = useTestDatabase(cheapHasher);

type Row = Model & { id: string };
type Make = (db: Db, parentId: string, i: number) => Promise<Row>;

function ids(rows: unknown): string[] {
  return (rows as Row[]).map((row) => row.id).sort();
}

/** Creates two children of one parent and one of another, reads them through both aliases. */
async function checkOneToMany(
  db: Db,
  parent: { table: TableName; alias: string; create: () => Promise<Row> },
  child: { table: TableName; alias: string; create: Make },
) {
  const owner = await parent.create();
  const other = await parent.create();
  const mine = [await child.create(db, owner.id, 0), await child.create(db, owner.id, 1)];
  await child.create(db, other.id, 2);

  const loaded = (await (db[parent.table] as unknown as typeof db.projects).findByPk(owner.id, {
    include: [parent.alias],
  })) as unknown as Record<string, unknown>;
  expect(ids(loaded[parent.alias])).toEqual(ids(mine));

  const first = mine[0] as Row;
  const back = (await (db[child.table] as unknown as typeof db.projects).findByPk(first.id, {
    include: [child.alias],
  })) as unknown as Record<string, Row>;
  expect(back[child.alias]?.id).toBe(owner.id);
}

describe('projects hasMany / child belongsTo project (CASCADE)', () => {
  const environment = (i: number) => ENVIRONMENTS[i % ENVIRONMENTS.length];
  const children: [string, TableName, Make][] = [
    [
      'project_memberships_project',
      'project_memberships',
      (db, projectId) => build.projectMembership(db, { projectId }),
    ],
    ['assets_project', 'assets', (db, projectId) => build.asset(db, { projectId })],
    [
      'presigned_url_requests_project',
      'presigned_url_requests',
      (db, projectId) => build.presignedUrlRequest(db, { projectId }),
    ],
    ['tour_pages_project', 'tour_pages', (db, projectId) => build.tourPage(db, { projectId })],
    [
      'project_audio_tracks_project',
      'project_audio_tracks',
      (db, projectId) => build.projectAudioTrack(db, { projectId }),
    ],
    [
      'project_transition_settings_project',
      'project_transition_settings',
      (db, projectId, i) => build.projectTransitionSetting(db, { projectId, environment: environment(i) }),
    ],
    ['publish_events_project', 'publish_events', (db, projectId) => build.publishEvent(db, { projectId })],
    ['pwa_caches_project', 'pwa_caches', (db, projectId) => build.pwaCache(db, { projectId })],
    ['access_logs_project', 'access_logs', (db, projectId) => build.accessLog(db, { projectId })],
    [
      'project_element_defaults_project',
      'project_element_defaults',
      (db, projectId) => build.projectElementDefault(db, { projectId }),
    ],
    [
      'production_presentation_access_project',
      'production_presentation_access',
      (db, projectId) => build.productionPresentationAccess(db, { projectId }),
    ],
    [
      'project_ui_control_settings_project',
      'project_ui_control_settings',
      (db, projectId, i) => build.projectUiControlSetting(db, { projectId, environment: environment(i) }),
    ],
  ];

  test.each(children)(
    'projects.%s lists the project’s %s, and each reads back its project',
    async (alias, table, create) => {
      const db = t.db;
      await checkOneToMany(
        db,
        { table: 'projects', alias, create: () => build.project(db) },
        { table, alias: 'project', create },
      );
    },
  );
});

describe('users hasMany / child belongsTo user', () => {
  const children: [string, TableName, Make][] = [
    ['project_memberships_user', 'project_memberships', (db, userId) => build.projectMembership(db, { userId })],
    [
      'presigned_url_requests_user',
      'presigned_url_requests',
      (db, userId) => build.presignedUrlRequest(db, { userId }),
    ],
    ['publish_events_user', 'publish_events', (db, userId) => build.publishEvent(db, { userId })],
    ['access_logs_user', 'access_logs', (db, userId) => build.accessLog(db, { userId })],
    [
      'production_presentation_access_user',
      'production_presentation_access',
      (db, userId) => build.productionPresentationAccess(db, { userId }),
    ],
  ];

  test.each(children)('users.%s lists the user’s %s, and each reads back its user', async (alias, table, create) => {
    const db = t.db;
    await checkOneToMany(db, { table: 'users', alias, create: () => build.user(db) }, { table, alias: 'user', create });
  });
});

describe('the other one-to-many pairs', () => {
  test('roles.users_app_role lists the role’s users; users.app_role reads back the role', async () => {
    const db = t.db;
    await checkOneToMany(
      db,
      { table: 'roles', alias: 'users_app_role', create: () => build.role(db) },
      { table: 'users', alias: 'app_role', create: (_, app_roleId) => build.user(db, { app_roleId }) },
    );
  });

  test('assets.asset_variants_asset lists the asset’s variants; asset_variants.asset reads back the asset', async () => {
    const db = t.db;
    await checkOneToMany(
      db,
      { table: 'assets', alias: 'asset_variants_asset', create: () => build.asset(db) },
      { table: 'asset_variants', alias: 'asset', create: (_, assetId) => build.assetVariant(db, { assetId }) },
    );
  });

  test('element_type_defaults.project_defaults lists overrides by source_element_id; source_element reads back', async () => {
    const db = t.db;
    await checkOneToMany(
      db,
      { table: 'element_type_defaults', alias: 'project_defaults', create: () => build.elementTypeDefault(db) },
      {
        table: 'project_element_defaults',
        alias: 'source_element',
        create: (_, source_element_id) => build.projectElementDefault(db, { source_element_id }),
      },
    );
  });
});

describe('users.avatar, the polymorphic file scope', () => {
  test('lists only the user’s files whose belongsTo is users and belongsToColumn is avatar', async () => {
    const db = t.db;
    const user = await build.user(db);
    const other = await build.user(db);
    const avatar = await build.file(db, { belongsTo: 'users', belongsToId: user.id, belongsToColumn: 'avatar' });
    await build.file(db, { belongsTo: 'users', belongsToId: user.id, belongsToColumn: 'cover' });
    await build.file(db, { belongsTo: 'projects', belongsToId: user.id, belongsToColumn: 'avatar' });
    await build.file(db, { belongsTo: 'users', belongsToId: other.id, belongsToColumn: 'avatar' });

    const loaded = await db.users.findByPk(user.id, { include: ['avatar'] });
    expect(ids(loaded?.avatar)).toEqual([avatar.id]);
  });

  test('a file created through the association gets the scope’s columns', async () => {
    const db = t.db;
    const user = await build.user(db);
    const created = (await (user as unknown as { createAvatar(values: object): Promise<Row> }).createAvatar({
      name: 'me.png',
      publicUrl: 'https://cdn.example.com/me.png',
    })) as unknown as { belongsTo: string; belongsToColumn: string; belongsToId: string };
    expect(created).toMatchObject({ belongsTo: 'users', belongsToColumn: 'avatar', belongsToId: user.id });
  });
});

describe('many-to-many through the join tables', () => {
  test('users.custom_permissions through usersCustom_permissionsPermissions', async () => {
    const db = t.db;
    const user = await build.user(db);
    const [read, write] = [await build.permission(db), await build.permission(db)];
    await build.permission(db);
    await (user as unknown as { addCustom_permissions(p: Row[]): Promise<void> }).addCustom_permissions([read, write]);
    const got = await (user as unknown as { getCustom_permissions(): Promise<Row[]> }).getCustom_permissions();
    expect(ids(got)).toEqual(ids([read, write]));
    const links = await db.usersCustom_permissionsPermissions.findAll({
      where: { users_custom_permissionsId: user.id },
    });
    expect(links.map((link) => link.permissionId).sort()).toEqual(ids([read, write]));
  });

  test('roles.permissions through rolesPermissionsPermissions', async () => {
    const db = t.db;
    const role = await build.role(db);
    const [read, write] = [await build.permission(db), await build.permission(db)];
    await (role as unknown as { setPermissions(p: Row[]): Promise<void> }).setPermissions([read, write]);
    const got = await (role as unknown as { getPermissions(): Promise<Row[]> }).getPermissions();
    expect(ids(got)).toEqual(ids([read, write]));
    expect(await db.rolesPermissionsPermissions.count({ where: { roles_permissionsId: role.id } })).toBe(2);
  });
});

describe('createdBy / updatedBy on every model', () => {
  const rows: [TableName, (db: Db) => Promise<Row>][] = [
    ['users', (db) => build.user(db)],
    ['roles', (db) => build.role(db)],
    ['permissions', (db) => build.permission(db)],
    ['projects', (db) => build.project(db)],
    ['project_memberships', (db) => build.projectMembership(db)],
    ['production_presentation_access', (db) => build.productionPresentationAccess(db)],
    ['tour_pages', (db) => build.tourPage(db)],
    ['assets', (db) => build.asset(db)],
    ['asset_variants', (db) => build.assetVariant(db)],
    ['element_type_defaults', (db) => build.elementTypeDefault(db)],
    ['project_element_defaults', (db) => build.projectElementDefault(db)],
    ['publish_events', (db) => build.publishEvent(db)],
    ['access_logs', (db) => build.accessLog(db)],
    ['pwa_caches', (db) => build.pwaCache(db)],
    ['project_audio_tracks', (db) => build.projectAudioTrack(db)],
    ['project_transition_settings', (db) => build.projectTransitionSetting(db)],
    ['global_transition_defaults', (db) => build.globalTransitionDefault(db)],
    ['global_ui_control_defaults', (db) => build.globalUiControlDefault(db)],
    ['project_ui_control_settings', (db) => build.projectUiControlSetting(db)],
    ['presigned_url_requests', (db) => build.presignedUrlRequest(db)],
    ['file', (db) => build.file(db)],
  ];

  test.each(rows)('%s reads back its createdBy and updatedBy users', async (table, create) => {
    const db = t.db;
    const [author, editor] = [await build.user(db), await build.user(db)];
    const row = await create(db);
    const model = db[table] as unknown as typeof db.projects;
    await model.update({ createdById: author.id, updatedById: editor.id }, { where: { id: row.id } });
    const loaded = (await model.findByPk(row.id, { include: ['createdBy', 'updatedBy'] })) as unknown as Record<
      string,
      Row
    >;
    expect(loaded.createdBy?.id).toBe(author.id);
    expect(loaded.updatedBy?.id).toBe(editor.id);
  });
});

describe('the spec’s usage examples', () => {
  test('a project with its production pages and its memberships with their users', async () => {
    const db = t.db;
    const owner = await build.user(db);
    const project = await db.projects.create({ name: 'My Tour', slug: 'my-tour', createdById: owner.id });
    const home = await db.tour_pages.create({
      name: 'Home',
      slug: 'home',
      projectId: project.id,
      environment: 'production',
      createdById: owner.id,
    });
    await db.tour_pages.create({ name: 'Draft', slug: 'draft', projectId: project.id, environment: 'dev' });
    await db.project_memberships.create({ projectId: project.id, userId: owner.id, access_level: 'owner' });

    const found = await db.projects.findOne({
      where: { id: project.id },
      include: [
        { association: 'tour_pages_project', where: { environment: 'production' } },
        { association: 'project_memberships_project', include: ['user'] },
      ],
    });
    expect(found?.tour_pages_project?.map((page) => page.id)).toEqual([home.id]);
    expect(found?.project_memberships_project?.map((m) => m.user?.email)).toEqual([owner.email]);
    expect(found?.project_memberships_project?.[0]?.access_level).toBe('owner');
  });

  test('finds by slug and filters with the library’s operators', async () => {
    const db = t.db;
    await build.project(db, { slug: 'by-slug' });
    await build.user(db, { email: 'one@example.com' });
    await build.user(db, { email: 'two@elsewhere.org' });
    const { Op } = db.Sequelize;
    expect((await db.projects.findOne({ where: { slug: 'by-slug' } }))?.slug).toBe('by-slug');
    const users = await db.users.findAll({ where: { email: { [Op.like]: '%@example.com' } } });
    expect(users.map((user) => user.email)).toEqual(['one@example.com']);
  });
});
