import { type Db, loadEditorView, loadPresentation } from '../../src';
import { build } from '../../src/testing/factories';
import { openTestDatabase, type TestDatabase, withUnreachableReplica } from '../support/db';

/**
 * `prepared: true` sends the one-statement reads as named prepared statements
 * on the connection itself: the same answers, the caller's transaction, and
 * Sequelize's read routing (here the replica is a port nobody listens on).
 */
let database: TestDatabase;
let replicated: Db;
const db = () => database.db;

beforeAll(async () => {
  database = await openTestDatabase();
  replicated = withUnreachableReplica(database);
}, 60_000);
afterEach(() => database.reset());
afterAll(async () => {
  await replicated.sequelize.close();
  await database.close();
});

async function project(visibility: 'public' | 'private') {
  const row = await build.project(db(), { production_presentation_visibility: visibility });
  for (const [sort_order, slug] of ['b', 'a', 'c'].entries()) {
    await build.tourPage(db(), {
      projectId: row.id,
      environment: 'production',
      slug,
      sort_order,
      requires_auth: slug === 'c',
    });
  }
  await build.projectTransitionSetting(db(), { projectId: row.id, environment: 'production' });
  await build.projectAudioTrack(db(), { projectId: row.id, environment: 'production', volume: 0.5 });
  await build.projectMembership(db(), { projectId: row.id, is_active: true });
  return row;
}

test('answers as the unprepared statement does, call after call on the same connections', async () => {
  const projects = [await project('public'), await project('private')];
  for (let round = 0; round < 3; round += 1) {
    for (const row of projects) {
      for (const options of [{}, { viewer: null }] as const) {
        expect(await loadPresentation(db(), row.slug, 'production', { ...options, prepared: true })).toStrictEqual(
          await loadPresentation(db(), row.slug, 'production', options),
        );
      }
      expect(await loadEditorView(db(), row.id, 'production', { prepared: true })).toStrictEqual(
        await loadEditorView(db(), row.id, 'production'),
      );
    }
  }
  expect(await loadPresentation(db(), 'no-such-tour', 'production', { prepared: true })).toBeNull();
});

test('inside a transaction, on its connection: sees its own writes', async () => {
  const row = await project('public');
  await db().sequelize.transaction(async (transaction) => {
    await db().tour_pages.create(
      { name: 'New', slug: 'new', projectId: row.id, environment: 'production', sort_order: 9 },
      { transaction },
    );
    const shown = await loadPresentation(db(), row.id, 'production', { prepared: true, transaction });
    expect(shown?.pages.map((page) => page.slug)).toEqual(['b', 'a', 'c', 'new']);
  });
});

test('reads from the replica unless told useMaster or given a transaction', async () => {
  const row = await project('public');
  await expect(loadPresentation(replicated, row.id, 'production', { prepared: true })).rejects.toThrow();
  expect(
    (await loadEditorView(replicated, row.id, 'production', { prepared: true, useMaster: true }))?.pages,
  ).toHaveLength(3);
  await replicated.sequelize.transaction(async (transaction) => {
    const shown = await loadPresentation(replicated, row.id, 'production', { prepared: true, transaction });
    expect(shown?.pages).toHaveLength(3);
  });
});
