import { createDb, type Db, importRows, loadEditorView, loadPresentation, migrate } from '../../src';
import { build } from '../../src/testing/factories';
import { type TopologyDatabase, topologyDatabase, useSharedTopology } from './support';

// importRows streams COPY into a temporary table that lives for one transaction, and the presentation reads are
// single statements: both must work through PgBouncer in transaction mode, where consecutive transactions of one
// client run on whichever server connection is free.

useSharedTopology();

let database: TopologyDatabase;
let db: Db;

beforeAll(async () => {
  database = await topologyDatabase('copy');
  const direct = createDb({ url: database.primaryUrl, logging: false });
  await migrate(direct.sequelize);
  await direct.sequelize.close();
  db = createDb({ url: database.pgbouncerUrl, logging: false, sequelize: { pool: { max: 6 } } });
}, 120_000);

afterAll(async () => {
  await db?.sequelize.close();
  await database?.drop();
}, 60_000);

describe('through PgBouncer in transaction mode', () => {
  test('imports side by side with COPY, each in batches, and again skips them all', async () => {
    const projects = await Promise.all([0, 1, 2, 3].map(() => build.project(db)));
    const rowsOf = (projectId: string, k: number) =>
      Array.from({ length: 900 }, (_, i) => ({
        name: `Page ${i}`,
        slug: `page-${i}`,
        projectId,
        environment: i % 2 ? ('production' as const) : ('dev' as const),
        sort_order: i,
        ui_schema_json: { i, text: 'tab\there' },
        importHash: `pgbouncer-${k}-${i}`,
      }));
    const results = await Promise.all(
      projects.map((project, k) => importRows(db.tour_pages, rowsOf(project.id, k), { batchSize: 250 })),
    );
    expect(results).toEqual(projects.map(() => ({ inserted: 900, skipped: 0 })));
    const again = await Promise.all(
      projects.map((project, k) => importRows(db.tour_pages, rowsOf(project.id, k), { batchSize: 250 })),
    );
    expect(again).toEqual(projects.map(() => ({ inserted: 0, skipped: 900 })));

    const project = projects[1] as (typeof projects)[number];
    const shown = await loadPresentation(db, project.slug, 'production', { viewer: null });
    expect(shown?.pages).toHaveLength(450);
    expect(shown?.pages[0]?.ui_schema_json).toEqual({ i: 1, text: 'tab\there' });
    const view = await loadEditorView(db, project.id, 'dev');
    expect(view?.pages).toHaveLength(450);
  }, 120_000);
});
