import { Sequelize } from 'sequelize-typescript';
import { MIGRATIONS, migrate } from '../../src/migrations/entry';
import { build, createTestDb, inMemorySequelizeOptions, type TestDb } from '../../src/testing';

describe('@tbp/models/testing', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.close());

  test('createTestDb gives a migrated in-memory database that reset() empties', async () => {
    const page = await build.tourPage(db);
    expect(await db.projects.count()).toBe(1);
    expect((await db.tour_pages.findByPk(page.id))?.projectId).toBe(page.projectId);
    db.reset();
    expect(await db.projects.count()).toBe(0);
    expect(await db.tour_pages.count()).toBe(0);
  });

  test('the factories make valid rows with their parents, and take overrides', async () => {
    const variant = await build.assetVariant(db);
    const asset = await db.assets.findByPk(variant.assetId ?? '');
    expect(asset?.projectId).toEqual(expect.any(String));
    const project = await build.project(db, { name: 'Named' });
    const pages = [
      await build.tourPage(db, { projectId: project.id }),
      await build.tourPage(db, { projectId: project.id }),
    ];
    expect(new Set(pages.map((p) => p.slug)).size).toBe(2);
    expect(await db.projects.count()).toBe(2);
    db.reset();
  });

  test('inMemorySequelizeOptions lets a framework build its own instance on pg-mem', async () => {
    const sequelize = new Sequelize({ ...inMemorySequelizeOptions(), models: [] });
    expect(await migrate(sequelize)).toEqual(MIGRATIONS.map((migration) => migration.name));
    const [rows] = await sequelize.query('SELECT count(*) AS n FROM "projects"');
    expect(Number((rows as { n: number }[])[0]?.n)).toBe(0);
    await sequelize.close();
  });
});
