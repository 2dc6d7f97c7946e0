import type { Db } from '../../src';
import { InvalidIdError, visibleProductionPages } from '../../src';
import { build } from '../../src/testing/factories';
import { buildWorld, roundTrips, useSharedDatabase, type World } from './world';

/** Each project of the world gets the same pages: two visible in production, and pages that never are. */
async function withPages(db: Db): Promise<World> {
  const world = await buildWorld(db);
  for (const projectId of [world.project, world.publicProject]) {
    await build.tourPage(db, { projectId, environment: 'production', slug: 'welcome', sort_order: 2 });
    await build.tourPage(db, {
      projectId,
      environment: 'production',
      slug: 'members',
      sort_order: 3,
      requires_auth: true,
    });
    await build.tourPage(db, { projectId, environment: 'production', slug: 'intro', sort_order: 1 });
    await build.tourPage(db, { projectId, environment: 'stage', slug: 'staged' });
    await build.tourPage(db, { projectId, environment: 'dev', slug: 'draft' });
    const gone = await build.tourPage(db, { projectId, environment: 'production', slug: 'gone' });
    await gone.destroy();
  }
  return world;
}

const t = useSharedDatabase(withPages);
jest.setTimeout(60_000);

const OPEN = ['intro', 'welcome'];
const ALL = ['intro', 'welcome', 'members'];
const NONE: string[] = [];

type Viewer = keyof World['users'] | 'anonymous';

/** D9's visibility, as the test states it: who sees which production pages of each presentation. */
const VISIBILITY: [Viewer, publicPages: string[], privatePages: string[]][] = [
  ['anonymous', OPEN, NONE],
  ['outsider', ALL, NONE],
  ['disabledOutsider', OPEN, NONE],
  ['deletedUser', OPEN, NONE],
  ['owner', ALL, ALL],
  ['viewer', ALL, ALL],
  ['inactive', ALL, NONE],
  ['exMember', ALL, NONE],
  ['disabledOwner', OPEN, NONE],
  ['grantee', ALL, ALL],
  ['exGrantee', ALL, NONE],
  ['pageEditor', ALL, ALL],
  ['goneRoleHolder', ALL, NONE],
  ['disabledAdmin', OPEN, NONE],
];

function idOf(viewer: Viewer): string | null {
  return viewer === 'anonymous' ? null : t.world.users[viewer];
}

const slugs = (pages: { slug: string }[]) => pages.map((page) => page.slug);

describe('visibleProductionPages (D9)', () => {
  test.each(VISIBILITY)('%s', async (viewer, publicPages, privatePages) => {
    const userId = idOf(viewer);
    expect({
      public: slugs(await visibleProductionPages(t.db, t.world.publicProject, userId)),
      private: slugs(await visibleProductionPages(t.db, t.world.project, userId)),
    }).toEqual({ public: publicPages, private: privatePages });
  });

  test('a deleted project shows nothing, not even to its owner', async () => {
    expect(await visibleProductionPages(t.db, t.world.deletedProject, t.world.users.owner)).toEqual([]);
    expect(await visibleProductionPages(t.db, '00000000-0000-4000-8000-000000000000', null)).toEqual([]);
  });

  test('returns the pages as tour_pages instances, in presentation order', async () => {
    const [first] = await visibleProductionPages(t.db, t.world.publicProject, null);
    expect(first).toBeInstanceOf(t.db.tour_pages);
    expect(first?.get({ plain: true })).toMatchObject({
      slug: 'intro',
      environment: 'production',
      projectId: t.world.publicProject,
      requires_auth: false,
      deletedAt: null,
    });
  });

  test('one round trip, for a user and for an anonymous visitor', async () => {
    for (const userId of [t.world.users.grantee, null]) {
      const { queries } = await roundTrips(t.db, () => visibleProductionPages(t.db, t.world.project, userId));
      expect(queries).toHaveLength(1);
    }
  });

  test('ids that are not UUIDs are an InvalidIdError', async () => {
    await expect(visibleProductionPages(t.db, 'tour', null)).rejects.toThrow(InvalidIdError);
    await expect(visibleProductionPages(t.db, t.world.project, 'bob')).rejects.toThrow('userId must be a UUID');
  });
});
