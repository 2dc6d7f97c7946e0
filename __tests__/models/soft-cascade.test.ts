import type { Db } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';
import { modelOf, type Row } from './rows';

const t = useTestDatabase(cheapHasher);

/** One row of every project-scoped child the spec cascades, plus a variant of the asset. */
async function projectWithChildren(db: Db) {
  const project = await build.project(db);
  const projectId = project.id;
  const asset = await build.asset(db, { projectId });
  const children: [string, Row][] = [
    ['tour_pages', (await build.tourPage(db, { projectId })) as unknown as Row],
    ['assets', asset as unknown as Row],
    ['asset_variants', (await build.assetVariant(db, { assetId: asset.id })) as unknown as Row],
    ['project_memberships', (await build.projectMembership(db, { projectId })) as unknown as Row],
    ['project_audio_tracks', (await build.projectAudioTrack(db, { projectId })) as unknown as Row],
    ['project_transition_settings', (await build.projectTransitionSetting(db, { projectId })) as unknown as Row],
    ['project_ui_control_settings', (await build.projectUiControlSetting(db, { projectId })) as unknown as Row],
    ['pwa_caches', (await build.pwaCache(db, { projectId })) as unknown as Row],
    ['access_logs', (await build.accessLog(db, { projectId })) as unknown as Row],
    ['publish_events', (await build.publishEvent(db, { projectId })) as unknown as Row],
    ['project_element_defaults', (await build.projectElementDefault(db, { projectId })) as unknown as Row],
    ['production_presentation_access', (await build.productionPresentationAccess(db, { projectId })) as unknown as Row],
    ['presigned_url_requests', (await build.presignedUrlRequest(db, { projectId })) as unknown as Row],
    ['publish_snapshots', (await build.publishSnapshot(db, { projectId })) as unknown as Row],
  ];
  return { project, children };
}

async function deletedAtOf(db: Db, table: string, id: string): Promise<Date | null | undefined> {
  const row = await modelOf(db, table as 'projects').findByPk(id, { paranoid: false });
  return row === null ? undefined : (row.get('deletedAt') as Date | null);
}

describe('soft-deleting a project', () => {
  test('soft-deletes every child the spec cascades, with the project’s deletedAt', async () => {
    const db = t.db;
    const { project, children } = await projectWithChildren(db);
    const other = await projectWithChildren(db);

    await project.destroy();
    const deletedAt = await deletedAtOf(db, 'projects', project.id);
    expect(deletedAt).toBeInstanceOf(Date);
    for (const [table, row] of children) {
      expect({ table, deletedAt: await deletedAtOf(db, table, row.id) }).toEqual({ table, deletedAt });
    }
    for (const [table, row] of other.children) {
      expect({ table, deletedAt: await deletedAtOf(db, table, row.id) }).toEqual({ table, deletedAt: null });
    }
  });

  test('restoring it restores exactly the children deleted with it', async () => {
    const db = t.db;
    const { project, children } = await projectWithChildren(db);
    const earlier = await build.tourPage(db, { projectId: project.id });
    await earlier.destroy();
    const earlierDeletedAt = await deletedAtOf(db, 'tour_pages', earlier.id);
    await new Promise((resolve) => setTimeout(resolve, 5));

    await project.destroy();
    await project.restore();

    expect(await deletedAtOf(db, 'projects', project.id)).toBeNull();
    for (const [table, row] of children) {
      expect({ table, deletedAt: await deletedAtOf(db, table, row.id) }).toEqual({ table, deletedAt: null });
    }
    expect(await deletedAtOf(db, 'tour_pages', earlier.id)).toEqual(earlierDeletedAt);
  });

  test('the static destroy and restore cascade too', async () => {
    const db = t.db;
    const { project, children } = await projectWithChildren(db);
    await db.projects.destroy({ where: { id: project.id } });
    for (const [table, row] of children) expect(await deletedAtOf(db, table, row.id)).toBeInstanceOf(Date);
    await db.projects.restore({ where: { id: project.id } });
    for (const [table, row] of children) expect(await deletedAtOf(db, table, row.id)).toBeNull();
  });

  test('the project and its children change in one transaction', async () => {
    const db = t.db;
    const { project } = await projectWithChildren(db);
    const transactions = new Set<string | undefined>();
    const previous = db.sequelize.options.logging;
    db.sequelize.options.logging = (sql: string, options?: unknown) => {
      if (/^Executing \(([^)]+)\): (UPDATE|SELECT)/.test(sql)) {
        transactions.add((options as { transaction?: { id: string } } | undefined)?.transaction?.id);
      }
    };
    try {
      await project.destroy();
    } finally {
      db.sequelize.options.logging = previous;
    }
    expect(transactions.size).toBe(1);
    expect([...transactions][0]).toEqual(expect.any(String));
  });

  test('a hard delete cascades in the database', async () => {
    const db = t.db;
    const { project, children } = await projectWithChildren(db);
    await project.destroy({ force: true });
    for (const [table, row] of children) {
      expect({ table, gone: (await deletedAtOf(db, table, row.id)) === undefined }).toEqual({ table, gone: true });
    }
  });
});

describe('other soft cascades of the spec', () => {
  test('soft-deleting an asset takes its variants; restoring brings them back', async () => {
    const db = t.db;
    const variant = await build.assetVariant(db);
    const asset = await db.assets.findByPk(variant.assetId ?? '');
    await asset?.destroy();
    expect(await db.asset_variants.findByPk(variant.id)).toBeNull();
    await asset?.restore();
    expect(await db.asset_variants.findByPk(variant.id)).not.toBeNull();
  });

  test('soft-deleting a user takes their presentation access, not their memberships', async () => {
    const db = t.db;
    const user = await build.user(db);
    const access = await build.productionPresentationAccess(db, { userId: user.id });
    const membership = await build.projectMembership(db, { userId: user.id });
    await user.destroy();
    expect(await db.production_presentation_access.findByPk(access.id)).toBeNull();
    expect((await db.project_memberships.findByPk(membership.id))?.userId).toBe(user.id);
  });
});
