import { Op, UniqueConstraintError } from 'sequelize';
import { InMemoryUnsupportedError, type Permission, type Role, type User } from '../../src';
import { build } from '../../src/testing/factories';
import { backend, cheapHasher, useTestDatabase } from '../support/db';

// Queries that pg-mem once answered differently from PostgreSQL; both backends must give these answers.
const t = useTestDatabase(cheapHasher);

type WithCustomPermissions = User & { addCustom_permissions(permissions: Permission[]): Promise<void> };
type WithPermissions = Role & { addPermissions(permissions: Permission[]): Promise<void> };

/** A permission as an include returns it: its columns and the join row it came through. */
function included(permission: Permission, link: Record<string, string>) {
  return {
    id: permission.id,
    name: permission.name,
    deletedAt: null,
    usersCustom_permissionsPermissions: expect.objectContaining(link),
  };
}

describe('many-to-many includes', () => {
  async function usersWithPermissions() {
    const db = t.db;
    const [alice, bob, carol] = [await build.user(db), await build.user(db), await build.user(db)];
    const [read, write, gone] = [
      await build.permission(db, { name: 'READ_A' }),
      await build.permission(db, { name: 'WRITE_A' }),
      await build.permission(db, { name: 'GONE_A' }),
    ];
    await (alice as WithCustomPermissions).addCustom_permissions([write, read, gone]);
    await (bob as WithCustomPermissions).addCustom_permissions([gone]);
    await gone.destroy();
    return { alice, bob, carol, read, write };
  }

  test('users.findByPk include custom_permissions: the live ones, each with its join row', async () => {
    const { alice, read, write } = await usersWithPermissions();
    const loaded = await t.db.users.findByPk(alice.id, {
      include: ['custom_permissions'],
      order: [['custom_permissions', 'name', 'ASC']],
    });
    const link = (permission: Permission) => ({ users_custom_permissionsId: alice.id, permissionId: permission.id });
    expect(loaded).not.toBeNull();
    expect((loaded?.toJSON() as { custom_permissions?: unknown } | undefined)?.custom_permissions).toEqual([
      expect.objectContaining(included(read, link(read))),
      expect.objectContaining(included(write, link(write))),
    ]);
  });

  test('a LEFT JOIN keeps users whose only permission is deleted, or who have none; required: true drops them', async () => {
    const { alice, bob, carol } = await usersWithPermissions();
    const all = await t.db.users.findAll({ include: ['custom_permissions'], order: [['email', 'ASC']] });
    const counts = Object.fromEntries(all.map((user) => [user.id, user.custom_permissions?.length]));
    expect(counts).toEqual({ [alice.id]: 2, [bob.id]: 0, [carol.id]: 0 });

    const required = await t.db.users.findAll({ include: [{ association: 'custom_permissions', required: true }] });
    expect(required.map((user) => user.id)).toEqual([alice.id]);
  });

  test('a where on the target filters the target, not the through rows', async () => {
    const { alice, read } = await usersWithPermissions();
    const loaded = await t.db.users.findAll({
      include: [{ association: 'custom_permissions', where: { name: { [Op.like]: 'READ%' } } }],
    });
    expect(loaded.map((user) => [user.id, user.custom_permissions?.map((p) => p.id)])).toEqual([[alice.id, [read.id]]]);
  });

  test('roles.findByPk include permissions, nested include of their creator, and a limit (subquery)', async () => {
    const db = t.db;
    const creator = await build.user(db);
    const [admin, editor] = [await build.role(db, { name: 'Admin' }), await build.role(db, { name: 'Editor' })];
    const [read, write] = [
      await build.permission(db, { name: 'READ_B', createdById: creator.id }),
      await build.permission(db, { name: 'WRITE_B' }),
    ];
    await (admin as WithPermissions).addPermissions([read, write]);
    await (editor as WithPermissions).addPermissions([read]);

    const loaded = await db.roles.findByPk(admin.id, {
      include: [{ association: 'permissions', include: ['createdBy'] }],
      order: [['permissions', 'name', 'ASC']],
    });
    expect(
      loaded?.permissions?.map((p) => [p.name, (p as unknown as { createdBy: User | null }).createdBy?.id ?? null]),
    ).toEqual([
      ['READ_B', creator.id],
      ['WRITE_B', null],
    ]);

    const first = await db.roles.findAll({ include: ['permissions'], order: [['name', 'ASC']], limit: 1 });
    expect(first.map((role) => [role.name, role.permissions?.map((p) => p.name).sort()])).toEqual([
      ['Admin', ['READ_B', 'WRITE_B']],
    ]);
  });
});

describe('IS NOT NULL beside a lookup by id', () => {
  test.each([1, 30, 300])('finds the one soft-deleted project among %i', async (size) => {
    const db = t.db;
    const projects = await db.projects.bulkCreate(
      Array.from({ length: size }, (_, i) => ({ name: `Tour ${i}`, slug: `tour-${i}` })),
    );
    const deleted = projects[Math.floor(size / 2)] as (typeof projects)[number];
    const live = projects[size - 1] as (typeof projects)[number];
    await deleted.destroy();

    const found = await db.projects.findAll({
      where: { id: deleted.id, deletedAt: { [Op.ne]: null } },
      paranoid: false,
    });
    expect(found.map((project) => project.id)).toEqual([deleted.id]);
    const [raw] = await db.sequelize.query(
      `SELECT "id" FROM "projects" WHERE "id" = '${deleted.id}' AND "deletedAt" IS NOT NULL`,
    );
    expect(raw).toEqual([{ id: deleted.id }]);
    expect(await db.projects.count({ where: { deletedAt: { [Op.not]: null } }, paranoid: false })).toBe(1);
    if (live !== deleted) {
      expect(await db.projects.count({ where: { id: live.id, deletedAt: { [Op.ne]: null } }, paranoid: false })).toBe(
        0,
      );
    }
  });
});

describe('NOT BETWEEN on an indexed column', () => {
  test('keeps the rows outside the range on both sides', async () => {
    const db = t.db;
    const projects = await db.projects.bulkCreate(
      Array.from({ length: 12 }, (_, i) => ({ name: `Tour ${i}`, slug: `tour-${i}` })),
    );
    const day = (n: number) => new Date(Date.UTC(2024, 0, n));
    for (const [i, project] of projects.entries()) {
      await db.projects.update({ deletedAt: day(i + 1) }, { where: { id: project.id }, paranoid: false });
    }
    const outside = await db.projects.findAll({
      where: { deletedAt: { [Op.notBetween]: [day(4), day(9)] } },
      paranoid: false,
      order: [['deletedAt', 'ASC']],
    });
    expect(outside.map((project) => project.deletedAt?.getUTCDate())).toEqual([1, 2, 3, 10, 11, 12]);
  });
});

describe('ENUM values compare in the order the type declares them', () => {
  test('ORDER BY, ranges and BETWEEN on an environment follow dev < stage < production', async () => {
    const db = t.db;
    const project = await build.project(db);
    for (const environment of ['production', 'dev', 'stage'] as const) {
      await build.tourPage(db, { projectId: project.id, environment, slug: environment });
    }
    const ordered = await db.tour_pages.findAll({ order: [['environment', 'ASC']] });
    expect(ordered.map((page) => page.environment)).toEqual(['dev', 'stage', 'production']);
    const later = await db.tour_pages.findAll({
      where: { environment: { [Op.gt]: 'dev' } },
      order: [['environment', 'DESC']],
    });
    expect(later.map((page) => page.environment)).toEqual(['production', 'stage']);
    expect(await db.tour_pages.count({ where: { environment: { [Op.between]: ['dev', 'stage'] } } })).toBe(2);
  });
});

describe('required includes with a limit (a subquery filter)', () => {
  test('projects that have a page, the first two by name', async () => {
    const db = t.db;
    const [a, , c] = [
      await build.project(db, { name: 'A' }),
      await build.project(db, { name: 'B' }),
      await build.project(db, { name: 'C' }),
    ];
    await build.tourPage(db, { projectId: c.id });
    await build.tourPage(db, { projectId: a.id });
    await build.tourPage(db, { projectId: a.id });
    const withPages = await db.projects.findAll({
      include: [{ association: 'tour_pages_project', required: true }],
      order: [['name', 'ASC']],
      limit: 2,
    });
    expect(withPages.map((project) => [project.name, project.tour_pages_project?.length])).toEqual([
      ['A', 2],
      ['C', 1],
    ]);
  });
});

describe('findOrCreate (Sequelize wraps its INSERT in a function that catches a unique violation)', () => {
  test('creates once, then finds; a clash on another unique key is a UniqueConstraintError naming it', async () => {
    const db = t.db;
    const [created, isNew] = await db.projects.findOrCreate({
      where: { slug: 'tour' },
      defaults: { name: 'Tour', slug: 'tour' },
    });
    const [found, isNewAgain] = await db.projects.findOrCreate({
      where: { slug: 'tour' },
      defaults: { name: 'Other', slug: 'tour' },
    });
    expect([isNew, isNewAgain, found.id, found.name]).toEqual([true, false, created.id, 'Tour']);

    await build.user(db, { email: 'taken@example.com' });
    const clash = await db.users
      .findOrCreate({ where: { firstName: 'Nobody' }, defaults: { email: 'taken@example.com', password: 'pw' } })
      .catch((error: unknown) => error);
    expect(clash).toBeInstanceOf(UniqueConstraintError);
    expect(Object.keys((clash as UniqueConstraintError).fields)).toEqual(['email']);
    expect(await db.users.count()).toBe(1);
  });
});

describe('a where on a path inside a JSON column', () => {
  test('PostgreSQL answers it; the in-memory mode refuses it with InMemoryUnsupportedError', async () => {
    const db = t.db;
    const page = await build.tourPage(db, { ui_schema_json: { layout: { columns: 2 } } });
    const query = db.tour_pages.findAll({ where: { 'ui_schema_json.layout.columns': 2 } as never });
    if (backend === 'postgres') {
      expect((await query).map((row) => row.id)).toEqual([page.id]);
    } else {
      await expect(query).rejects.toBeInstanceOf(InMemoryUnsupportedError);
    }
  });
});

describe("NULLs in comparisons, IN lists and NOT (SQL's three-valued logic)", () => {
  async function projects() {
    const db = t.db;
    const named = await build.project(db, { name: 'Named', description: 'about' });
    const blank = await build.project(db, { name: 'Blank', description: null });
    return { db, named, blank };
  }
  const names = (rows: { name: string }[]) => rows.map((row) => row.name).sort();

  test('NOT over AND and OR: a NULL comparison is neither true nor false', async () => {
    const { db } = await projects();
    const notBoth = await db.projects.findAll({
      where: { [Op.not]: { [Op.and]: [{ description: { [Op.gt]: 'a' } }, { name: 'Nobody' }] } },
    });
    // Blank: NULL AND FALSE is FALSE, so NOT gives TRUE; Named: TRUE AND FALSE, NOT gives TRUE.
    expect(names(notBoth)).toEqual(['Blank', 'Named']);
    const notEither = await db.projects.findAll({
      where: { [Op.not]: { [Op.or]: [{ description: { [Op.gt]: 'z' } }, { name: 'Nobody' }] } },
    });
    // Blank: NULL OR FALSE is NULL, and NOT NULL is NULL: left out.
    expect(names(notEither)).toEqual(['Named']);
  });

  test('IN counts a repeated value once; NOT IN and NOT (IN) with a NULL in play keep nothing unknown', async () => {
    const { db } = await projects();
    expect(names(await db.projects.findAll({ where: { name: ['Named', 'Named'] } }))).toEqual(['Named']);
    expect(await db.projects.findAll({ where: { description: { [Op.notIn]: ['x', null as never] } } })).toEqual([]);
    expect(names(await db.projects.findAll({ where: { description: { [Op.notIn]: ['x'] } } }))).toEqual(['Named']);
    expect(names(await db.projects.findAll({ where: { [Op.not]: { description: ['x'] } } }))).toEqual(['Named']);
    expect(await db.projects.findAll({ where: { id: [] } })).toEqual([]);
  });

  test('IN on a timestamp under an OR compares timestamps', async () => {
    const { db, named } = await projects();
    const found = await db.projects.findAll({
      where: { [Op.or]: [{ createdAt: [named.createdAt, named.createdAt] }, { name: 'Nobody' }] },
    });
    expect(names(found)).toEqual(names(await db.projects.findAll({ where: { createdAt: named.createdAt } })));
    expect(names(found)).toContain('Named');
  });

  test('<> on an indexed column leaves out the rows where it is NULL', async () => {
    const { db, named } = await projects();
    const inProject = await build.tourPage(db, { projectId: named.id });
    const other = await build.tourPage(db);
    await db.tour_pages.update({ projectId: null }, { where: { id: other.id } });
    const pages = await db.tour_pages.findAll({ where: { projectId: { [Op.ne]: other.projectId } } });
    expect(pages.map((page) => page.id)).toEqual([inProject.id]);
  });
});

describe('LIKE reads the pattern as PostgreSQL does', () => {
  test('a backslash makes % and _ literal, % spans lines, ILIKE ignores case beyond ASCII', async () => {
    const db = t.db;
    for (const [slug, description] of [
      ['sale', '50% off'],
      ['number', '500 pages'],
      ['lines', 'first line\nsecond line'],
      ['umlaut', 'Über alles'],
    ]) {
      await build.project(db, { slug, description });
    }
    const slugs = async (where: object) =>
      (await db.projects.findAll({ where: { description: where }, order: [['slug', 'ASC']] })).map((p) => p.slug);
    expect(await slugs({ [Op.like]: '50\\%%' })).toEqual(['sale']);
    // Sequelize writes Op.startsWith's value into the pattern as it is: its % is a wildcard, on both.
    expect(await slugs({ [Op.startsWith]: '50%' })).toEqual(['number', 'sale']);
    expect(await slugs({ [Op.like]: '50%' })).toEqual(['number', 'sale']);
    expect(await slugs({ [Op.like]: 'first%line' })).toEqual(['lines']);
    expect(await slugs({ [Op.iLike]: 'über%' })).toEqual(['umlaut']);
    expect(await slugs({ [Op.notLike]: '%0%' })).toEqual(['lines', 'umlaut']);
  });
});
