import { type CliIo, main } from '../../src/cli';
import { MIGRATIONS } from '../../src/migrations/list';
import { scratchDatabases } from '../support/scratch-databases';
import { urlOf, workerDatabase } from '../support/server';

const databases = scratchDatabases();
afterAll(() => databases.dropAll());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (text) => out.push(text), err: (text) => err.push(text), interactive: false, env: {} };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

test('demo runs twice in a row against PostgreSQL, the second time updating rather than duplicating', async () => {
  await databases.open('demo');
  const url = urlOf(`${workerDatabase()}_demo`);
  const first = capture();
  expect(await main(['demo', '--url', url], first.io)).toBe(0);
  expect(first.err()).toBe('');
  const second = capture();
  expect(await main(['demo', '--url', url], second.io)).toBe(0);
  const tables = (text: string) => text.slice(0, text.indexOf('publish events'));
  expect(tables(second.out())).toEqual(tables(first.out()));
  expect(second.out().match(/success/g)).toHaveLength(4);

  const status = capture();
  expect(await main(['status', '--url', url], status.io)).toBe(0);
  const names = MIGRATIONS.map((migration) => migration.name);
  expect(status.out()).toBe(`${names.map((name) => `up       ${name}`).join('\n')}\n`);
  const rollback = capture();
  expect(await main(['rollback', '--all', '--yes', '--url', url], rollback.io)).toBe(0);
  expect(rollback.out()).toBe(`reverted: ${[...names].reverse().join(', ')}\n`);
}, 120_000);

test("a missing database is reported in PostgreSQL's words with its SQLSTATE", async () => {
  const run = capture();
  expect(await main(['status', '--url', urlOf(`${workerDatabase()}_absent`)], run.io)).toBe(1);
  expect(run.err()).toMatch(
    /^tbp-models: cannot connect to PostgreSQL at 127\.0\.0\.1:5432: database "tbp_test_\w+_absent" does not exist \(3D000\)\n$/,
  );
});

test('prune-access-logs deletes what is older than the age given, in batches, and nothing else', async () => {
  const db = await databases.open('prune');
  const url = urlOf(`${workerDatabase()}_prune`);
  const migrated = capture();
  expect(await main(['migrate', '--url', url], migrated.io)).toBe(0);
  const day = 24 * 60 * 60 * 1000;
  const rows = [100, 95, 91, 89, 1].map((days) => ({
    environment: 'production' as const,
    path: `/p/${days}`,
    ip_address: '203.0.113.7',
    accessed_at: new Date(Date.now() - days * day),
  }));
  await db.access_logs.bulkCreate(rows);

  const run = capture();
  expect(await main(['prune-access-logs', '--older-than', '90d', '--batch-size', '2', '--url', url], run.io)).toBe(0);
  expect(run.out()).toMatch(/^deleted 3 access log\(s\) from before \d{4}-\d\d-\d\dT/);
  const left = await db.access_logs.findAll({ attributes: ['path'], order: [['path', 'ASC']] });
  expect(left.map((row) => row.path)).toEqual(['/p/1', '/p/89']);
}, 60_000);

test('publish previews with --dry-run, writing nothing, then publishes', async () => {
  const db = await databases.open('publish');
  const url = urlOf(`${workerDatabase()}_publish`);
  expect(await main(['migrate', '--url', url], capture().io)).toBe(0);
  const project = await db.projects.create({ name: 'Harbour', slug: 'harbour' });
  for (const slug of ['lobby', 'garden']) {
    await db.tour_pages.create({ name: slug, slug, projectId: project.id, environment: 'dev' });
  }
  const stagePages = () => db.tour_pages.count({ where: { projectId: project.id, environment: 'stage' } });

  const preview = capture();
  const argv = ['publish', '--project', 'harbour', '--from', 'dev', '--to', 'stage', '--url', url];
  expect(await main([...argv, '--dry-run'], preview.io)).toBe(0);
  expect(preview.out()).toMatch(/^Publish dev -> stage of Harbour \(harbour\): preview, nothing written\n/);
  expect(preview.out()).toContain('Pages: 2 to create');
  expect(await stagePages()).toBe(0);

  const published = capture();
  expect(await main(argv, published.io)).toBe(0);
  expect(published.out()).toMatch(/Save to stage: dev -> stage of Harbour \(harbour\): 2 page\(s\), 0 transition/);
  expect(await stagePages()).toBe(2);

  const unknown = capture();
  expect(
    await main(['publish', '--project', 'nowhere', '--from', 'dev', '--to', 'stage', '--url', url], unknown.io),
  ).toBe(1);
  expect(unknown.err()).toBe('tbp-models: No project with id or slug "nowhere"\n');
}, 120_000);
