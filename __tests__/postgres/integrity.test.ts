import { UniqueConstraintError, ValidationError } from 'sequelize';
import type { Db } from '../../src';
import { build } from '../../src/testing/factories';
import { MODEL_FACTORIES, MODEL_TABLES, modelOf, type Row } from '../models/rows';
import { useTestDatabase } from '../support/db';

const t = useTestDatabase();

describe('transactions', () => {
  test('a multi-row write that fails part-way leaves nothing behind', async () => {
    const db = t.db;
    const error = await db.sequelize
      .transaction(async (transaction) => {
        const project = await db.projects.create({ name: 'Tour', slug: 'tour' }, { transaction });
        await db.tour_pages.create({ name: 'Home', slug: 'home', projectId: project.id }, { transaction });
        await db.tour_pages.create({ name: 'Again', slug: 'home', projectId: project.id }, { transaction });
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect(await db.projects.count({ paranoid: false })).toBe(0);
    expect(await db.tour_pages.count({ paranoid: false })).toBe(0);
  });

  test('a bulkCreate with one bad row inserts none', async () => {
    const db = t.db;
    const project = await build.project(db);
    const rows = ['a', 'b', 'a'].map((slug) => ({ name: slug, slug, projectId: project.id }));
    await expect(db.tour_pages.bulkCreate(rows)).rejects.toBeInstanceOf(UniqueConstraintError);
    expect(await db.tour_pages.count()).toBe(0);
  });

  test('a rolled-back savepoint undoes only its own writes', async () => {
    const db = t.db;
    await db.sequelize.transaction(async (outer) => {
      await db.projects.create({ name: 'Kept', slug: 'kept' }, { transaction: outer });
      await db.sequelize
        .transaction({ transaction: outer }, async (inner) => {
          await db.projects.create({ name: 'Dropped', slug: 'dropped' }, { transaction: inner });
          throw new Error('undo the savepoint');
        })
        .catch(() => undefined);
      await db.projects.create({ name: 'After', slug: 'after' }, { transaction: outer });
    });
    const slugs = (await db.projects.findAll({ order: [['slug', 'ASC']] })).map((project) => project.slug);
    expect(slugs).toEqual(['after', 'kept']);
  });
});

type Child = [string, string, 'CASCADE' | 'SET NULL', (db: Db, parentId: string) => Promise<Row>];

/** Every foreign key of the spec with its parent and ON DELETE rule. */
const FOREIGN_KEYS: [string, Child[]][] = [
  [
    'projects',
    [
      [
        'project_memberships',
        'projectId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.project_memberships(db, { projectId: id }),
      ],
      ['assets', 'projectId', 'CASCADE', (db, id) => MODEL_FACTORIES.assets(db, { projectId: id })],
      [
        'presigned_url_requests',
        'projectId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.presigned_url_requests(db, { projectId: id }),
      ],
      ['tour_pages', 'projectId', 'CASCADE', (db, id) => MODEL_FACTORIES.tour_pages(db, { projectId: id })],
      [
        'project_audio_tracks',
        'projectId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.project_audio_tracks(db, { projectId: id }),
      ],
      [
        'project_transition_settings',
        'projectId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.project_transition_settings(db, { projectId: id }),
      ],
      ['publish_events', 'projectId', 'CASCADE', (db, id) => MODEL_FACTORIES.publish_events(db, { projectId: id })],
      ['pwa_caches', 'projectId', 'CASCADE', (db, id) => MODEL_FACTORIES.pwa_caches(db, { projectId: id })],
      ['access_logs', 'projectId', 'CASCADE', (db, id) => MODEL_FACTORIES.access_logs(db, { projectId: id })],
      [
        'project_element_defaults',
        'projectId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.project_element_defaults(db, { projectId: id }),
      ],
      [
        'production_presentation_access',
        'projectId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.production_presentation_access(db, { projectId: id }),
      ],
      [
        'project_ui_control_settings',
        'projectId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.project_ui_control_settings(db, { projectId: id }),
      ],
    ],
  ],
  [
    'users',
    [
      [
        'project_memberships',
        'userId',
        'SET NULL',
        (db, id) => MODEL_FACTORIES.project_memberships(db, { userId: id }),
      ],
      [
        'presigned_url_requests',
        'userId',
        'SET NULL',
        (db, id) => MODEL_FACTORIES.presigned_url_requests(db, { userId: id }),
      ],
      ['publish_events', 'userId', 'SET NULL', (db, id) => MODEL_FACTORIES.publish_events(db, { userId: id })],
      ['access_logs', 'userId', 'SET NULL', (db, id) => MODEL_FACTORIES.access_logs(db, { userId: id })],
      [
        'production_presentation_access',
        'userId',
        'CASCADE',
        (db, id) => MODEL_FACTORIES.production_presentation_access(db, { userId: id }),
      ],
      ...MODEL_TABLES.flatMap((table): Child[] => [
        [table, 'createdById', 'SET NULL', (db, id) => MODEL_FACTORIES[table](db, { createdById: id })],
        [table, 'updatedById', 'SET NULL', (db, id) => MODEL_FACTORIES[table](db, { updatedById: id })],
      ]),
    ],
  ],
  ['roles', [['users', 'app_roleId', 'SET NULL', (db, id) => MODEL_FACTORIES.users(db, { app_roleId: id })]]],
  [
    'assets',
    [['asset_variants', 'assetId', 'CASCADE', (db, id) => MODEL_FACTORIES.asset_variants(db, { assetId: id })]],
  ],
  [
    'element_type_defaults',
    [
      [
        'project_element_defaults',
        'source_element_id',
        'SET NULL',
        (db, id) => MODEL_FACTORIES.project_element_defaults(db, { source_element_id: id }),
      ],
    ],
  ],
];

const CASES = FOREIGN_KEYS.flatMap(([parent, children]) =>
  children.map(([child, column, rule, create]) => [child, column, parent, rule, create] as const),
);

describe('ON DELETE rules on a hard delete', () => {
  test.each(CASES)('%s.%s -> %s: %s', async (child, column, parent, rule, create) => {
    const db = t.db;
    const owner = await MODEL_FACTORIES[parent as 'projects'](db);
    const row = await create(db, owner.id);
    await modelOf(db, parent as 'projects').destroy({ where: { id: owner.id }, force: true });
    const after = await modelOf(db, child as 'projects').findByPk(row.id, { paranoid: false });
    if (rule === 'CASCADE') {
      expect(after).toBeNull();
    } else {
      expect(after).not.toBeNull();
      expect(after?.get(column)).toBeNull();
    }
  });

  test.each([
    ['usersCustom_permissionsPermissions', 'users'],
    ['usersCustom_permissionsPermissions', 'permissions'],
    ['rolesPermissionsPermissions', 'roles'],
    ['rolesPermissionsPermissions', 'permissions'],
  ] as const)('%s rows go with their %s row', async (join, parent) => {
    const db = t.db;
    const [user, role, permission] = [await build.user(db), await build.role(db), await build.permission(db)];
    await (user as unknown as { addCustom_permissions(p: unknown[]): Promise<void> }).addCustom_permissions([
      permission,
    ]);
    await (role as unknown as { addPermissions(p: unknown[]): Promise<void> }).addPermissions([permission]);
    const owner = { users: user, roles: role, permissions: permission }[parent];
    await modelOf(db, parent).destroy({ where: { id: owner.id }, force: true });
    expect(await modelOf(db, join).count()).toBe(0);
  });
});

describe('concurrent inserts racing on a unique key', () => {
  const RACERS = 6;

  async function race(attempt: () => Promise<unknown>) {
    const results = await Promise.allSettled(Array.from({ length: RACERS }, attempt));
    const failures = results.filter((result) => result.status === 'rejected');
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const failure of failures) {
      expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(UniqueConstraintError);
    }
  }

  test('memberships of one user in one project', async () => {
    const db = t.db;
    const [project, user] = [await build.project(db), await build.user(db)];
    await race(() => db.project_memberships.create({ projectId: project.id, userId: user.id }));
    expect(await db.project_memberships.count()).toBe(1);
  });

  test('project slugs', async () => {
    await race(() => t.db.projects.create({ name: 'Tour', slug: 'racing' }));
    expect(await t.db.projects.count()).toBe(1);
  });

  test('user emails, whatever their case', async () => {
    let n = 0;
    await race(() => {
      n += 1;
      return t.db.users.create({ email: n % 2 ? 'race@example.com' : 'RACE@example.com', password: 'pw' });
    });
    expect(await t.db.users.count()).toBe(1);
  });

  test('tour page slugs within a project and environment', async () => {
    const project = await build.project(t.db);
    await race(() => t.db.tour_pages.create({ name: 'Home', slug: 'home', projectId: project.id }));
    expect(await t.db.tour_pages.count()).toBe(1);
  });
});

test('a ValidationError stops the write before the database is asked', async () => {
  const db = t.db;
  const queries: string[] = [];
  const error = await db.projects
    .create({ name: '', slug: 'bad slug' }, { logging: (sql: string) => queries.push(sql) })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect(queries).toEqual([]);
});
