import { QueryTypes } from 'sequelize';
import {
  assertNoSchemaDrift,
  type Db,
  executedMigrations,
  importRows,
  MIGRATIONS,
  migrate,
  pendingMigrations,
  publishEnvironment,
  seedRbac,
} from '../../src';
import { runDemo } from '../../src/cli/demo';
import { build } from '../../src/testing/factories';
import { replicaCaughtUp, replicatedDb, type TopologyDatabase, topologyDatabase, useSharedTopology } from './support';

// Each test writes through a replicated createDb (write: the primary, read: the replica, which applies a commit
// 500 ms late) and reads back at once: a read of the package that went to the replica would miss the write.

useSharedTopology();

let database: TopologyDatabase;
let db: Db;

beforeAll(async () => {
  database = await topologyDatabase('replicated');
  db = replicatedDb(database);
  await migrate(db.sequelize);
  await replicaCaughtUp(database); // the tests below read on the replica on purpose: it needs the tables
}, 120_000);

afterAll(async () => {
  await db?.sequelize.close();
  await database?.drop();
}, 60_000);

async function onReplica(read: Db): Promise<boolean> {
  const [row] = await read.sequelize.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby', {
    type: QueryTypes.SELECT,
  });
  return row?.standby === true;
}

describe('a replicated createDb', () => {
  test('reads on the replica, and on the primary inside db.onPrimary, also next to a concurrent read outside', async () => {
    expect(await onReplica(db)).toBe(true);
    const [inside, outside] = await Promise.all([
      db.onPrimary(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return onReplica(db);
      }),
      onReplica(db),
    ]);
    expect({ inside, outside }).toEqual({ inside: false, outside: true });
    // Nested calls keep the primary; leaving them leaves it.
    expect(await db.onPrimary(() => db.onPrimary(() => onReplica(db)))).toBe(false);
    expect(await onReplica(db)).toBe(true);
  });

  test('a read right after a write misses it on the replica, and sees it inside db.onPrimary', async () => {
    let missedOutside = 0;
    let missedInside = 0;
    for (let i = 0; i < 20; i += 1) {
      const outside = await build.project(db);
      if ((await db.projects.findByPk(outside.id)) === null) missedOutside += 1;
      await db.onPrimary(async () => {
        const inside = await build.project(db);
        if ((await db.projects.findByPk(inside.id)) === null) missedInside += 1;
      });
    }
    // Outside: most miss (all, unless the machine took 500 ms between a write and its read).
    expect(missedOutside).toBeGreaterThan(0);
    expect(missedInside).toBe(0);
  }, 60_000);

  test('publishes a project made a moment ago, dev -> stage -> production', async () => {
    const project = await build.project(db);
    for (const slug of ['lobby', 'gallery']) {
      await build.tourPage(db, { projectId: project.id, slug, environment: 'dev' });
    }
    await build.projectTransitionSetting(db, { projectId: project.id, environment: 'dev' });
    await build.projectAudioTrack(db, { projectId: project.id, environment: 'dev' });

    const stage = await publishEnvironment(db, project.id, 'dev', 'stage');
    const production = await publishEnvironment(db, project.id, 'stage', 'production');
    expect(
      [stage, production].map(({ pagesCopied, transitionsCopied, audiosCopied }) => ({
        pagesCopied,
        transitionsCopied,
        audiosCopied,
      })),
    ).toEqual([
      { pagesCopied: 2, transitionsCopied: 1, audiosCopied: 1 },
      { pagesCopied: 2, transitionsCopied: 1, audiosCopied: 1 },
    ]);
    expect(production.event.status).toBe('success');
    // Published again at once: the copies of the first publish are found and updated, not duplicated.
    await publishEnvironment(db, project.id, 'stage', 'production');
    const pages = await db.onPrimary(() =>
      db.tour_pages.findAll({ where: { projectId: project.id, environment: 'production' } }),
    );
    expect(pages.map((page) => page.slug).sort()).toEqual(['gallery', 'lobby']);
  }, 60_000);

  test('soft-deletes a project with its children and restores them, at once after creating them', async () => {
    const project = await build.project(db);
    const page = await build.tourPage(db, { projectId: project.id });
    const asset = await build.asset(db, { projectId: project.id });
    const variant = await build.assetVariant(db, { assetId: asset.id });
    const membership = await build.projectMembership(db, { projectId: project.id });

    await project.destroy();
    const deleted = await db.onPrimary(async () => ({
      project: (await db.projects.findByPk(project.id, { paranoid: false }))?.deletedAt,
      page: (await db.tour_pages.findByPk(page.id, { paranoid: false }))?.deletedAt,
      asset: (await db.assets.findByPk(asset.id, { paranoid: false }))?.deletedAt,
      variant: (await db.asset_variants.findByPk(variant.id, { paranoid: false }))?.deletedAt,
      membership: (await db.project_memberships.findByPk(membership.id, { paranoid: false }))?.deletedAt,
    }));
    expect(deleted.project).toBeInstanceOf(Date);
    expect(deleted).toEqual({
      project: deleted.project,
      page: deleted.project,
      asset: deleted.project,
      variant: deleted.project,
      membership: deleted.project,
    });

    await project.restore();
    const live = await db.onPrimary(async () => [
      await db.projects.findByPk(project.id),
      await db.tour_pages.findByPk(page.id),
      await db.assets.findByPk(asset.id),
      await db.asset_variants.findByPk(variant.id),
      await db.project_memberships.findByPk(membership.id),
    ]);
    expect(live.map((row) => row?.id)).toEqual([project.id, page.id, asset.id, variant.id, membership.id]);

    // The static form too: its rows are found in the transaction it opens, on the primary.
    await db.projects.destroy({ where: { id: project.id } });
    expect(await db.onPrimary(() => db.tour_pages.findByPk(page.id))).toBeNull();
  }, 60_000);

  test('imports rows and skips them when imported again at once', async () => {
    const project = await build.project(db);
    const rows = Array.from({ length: 30 }, (_, i) => ({
      name: `Imported ${i}`,
      slug: `imported-${i}`,
      projectId: project.id,
      importHash: `${project.id}-${i}`,
    }));
    expect(await importRows(db.tour_pages, rows, { batchSize: 7 })).toEqual({ inserted: 30, skipped: 0 });
    expect(await importRows(db.tour_pages, rows)).toEqual({ inserted: 0, skipped: 30 });
    expect(await db.onPrimary(() => db.tour_pages.count({ where: { projectId: project.id } }))).toBe(30);
  });

  test('seeds roles and permissions once, and a second seed at once adds nothing', async () => {
    const first = await seedRbac(db);
    const second = await seedRbac(db);
    expect(first.rolesCreated + first.permissionsCreated).toBeGreaterThan(0);
    expect(second).toEqual({ permissionsCreated: 0, rolesCreated: 0, grantsAdded: 0 });
  }, 60_000);

  test('runs the demo: the owner gets the role just seeded, the summary shows what was just published', async () => {
    await seedRbac(db);
    const summary = await runDemo(db);
    expect(summary).toMatch(/^production: 3 pages, 1 transition setting, 1 audio track$/m);
    expect(summary).toMatch(/^stage: 3 pages, 1 transition setting, 1 audio track$/m);
    const owner = await db.onPrimary(() =>
      db.users.findOne({ where: { email: 'owner@demo.example' }, include: ['app_role'] }),
    );
    expect(owner?.app_role?.name).toBe('Administrator');
    // Again at once: it finds its rows instead of making them twice.
    await runDemo(db);
    expect(await db.onPrimary(() => db.projects.count({ where: { slug: 'demo-tour' } }))).toBe(1);
    expect(await db.onPrimary(() => db.users.count({ where: { email: 'owner@demo.example' } }))).toBe(1);
  }, 120_000);
});

describe('migrations through a replicated createDb', () => {
  let fresh: TopologyDatabase;
  let freshDb: Db;

  beforeAll(async () => {
    fresh = await topologyDatabase('migrate');
    freshDb = replicatedDb(fresh);
  }, 120_000);

  afterAll(async () => {
    await freshDb?.sequelize.close();
    await fresh?.drop();
  }, 60_000);

  test('migrate on an empty database, again at once, status and drift: all read on the primary', async () => {
    const names = MIGRATIONS.map((migration) => migration.name);
    expect(await migrate(freshDb.sequelize)).toEqual(names);
    expect(await migrate(freshDb.sequelize)).toEqual([]);
    expect(await executedMigrations(freshDb.sequelize)).toEqual(names);
    expect(await pendingMigrations(freshDb.sequelize)).toEqual([]);
    await assertNoSchemaDrift(freshDb.sequelize);
  }, 120_000);
});
