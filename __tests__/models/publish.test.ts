import { PublishError, publishEnvironment } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';

const t = useTestDatabase(cheapHasher);

async function tourInDev() {
  const db = t.db;
  const owner = await build.user(db);
  const project = await build.project(db);
  const projectId = project.id;
  const pages = [
    await build.tourPage(db, {
      projectId,
      slug: 'lobby',
      name: 'Lobby',
      sort_order: 0,
      ui_schema_json: { elements: [1] },
    }),
    await build.tourPage(db, { projectId, slug: 'hall', name: 'Hall', sort_order: 1 }),
  ];
  const transition = await build.projectTransitionSetting(db, { projectId, environment: 'dev', duration_ms: 900 });
  const track = await build.projectAudioTrack(db, { projectId, environment: 'dev', name: 'Ambience', volume: 0.5 });
  return { owner, project, pages, transition, track };
}

async function content(projectId: string, environment: 'dev' | 'stage' | 'production') {
  const db = t.db;
  const pages = await db.tour_pages.findAll({ where: { projectId, environment }, order: [['slug', 'ASC']] });
  const transitions = await db.project_transition_settings.findAll({ where: { projectId, environment } });
  const tracks = await db.project_audio_tracks.findAll({ where: { projectId, environment } });
  return { pages, transitions, tracks };
}

describe('publishEnvironment', () => {
  test('saves dev to stage with source_key lineage and records the event', async () => {
    const { owner, project, pages, transition, track } = await tourInDev();
    const result = await publishEnvironment(t.db, project.id, 'dev', 'stage', { userId: owner.id });
    expect(result).toMatchObject({ pagesCopied: 2, transitionsCopied: 1, audiosCopied: 1 });

    const stage = await content(project.id, 'stage');
    expect(stage.pages.map((p) => [p.slug, p.name, p.source_key, p.createdById])).toEqual([
      ['hall', 'Hall', pages[1]?.id, owner.id],
      ['lobby', 'Lobby', pages[0]?.id, owner.id],
    ]);
    expect(stage.pages[1]?.ui_schema_json).toEqual({ elements: [1] });
    expect(stage.transitions.map((s) => [s.source_key, s.duration_ms])).toEqual([[transition.id, 900]]);
    expect(stage.tracks.map((s) => [s.source_key, s.name, s.volume])).toEqual([[track.id, 'Ambience', 0.5]]);

    const event = await t.db.publish_events.findByPk(result.event.id);
    expect(event).toMatchObject({
      title: 'Save to stage',
      from_environment: 'dev',
      to_environment: 'stage',
      status: 'success',
      pages_copied: 2,
      transitions_copied: 1,
      audios_copied: 1,
      userId: owner.id,
      projectId: project.id,
    });
    expect(event?.finished_at?.getTime()).toBeGreaterThanOrEqual(event?.started_at?.getTime() ?? Infinity);
    // The source is untouched.
    expect((await content(project.id, 'dev')).pages.map((p) => p.source_key)).toEqual([null, null]);
  });

  test('publishes stage to production keeping the dev original as lineage', async () => {
    const { project, pages } = await tourInDev();
    await publishEnvironment(t.db, project.id, 'dev', 'stage');
    await publishEnvironment(t.db, project.id, 'stage', 'production');
    const production = await content(project.id, 'production');
    expect(production.pages.map((p) => p.source_key).sort()).toEqual(pages.map((p) => p.id).sort());
  });

  test('publishing again updates the copies by source_key instead of duplicating them', async () => {
    const { project, pages } = await tourInDev();
    await publishEnvironment(t.db, project.id, 'dev', 'stage');
    const first = await content(project.id, 'stage');

    await pages[0]?.update({ name: 'Grand Lobby' });
    await pages[1]?.destroy();
    await build.tourPage(t.db, { projectId: project.id, slug: 'garden', name: 'Garden' });
    await publishEnvironment(t.db, project.id, 'dev', 'stage');

    const second = await content(project.id, 'stage');
    expect(second.pages.map((p) => [p.slug, p.name])).toEqual([
      ['garden', 'Garden'],
      ['lobby', 'Grand Lobby'],
    ]);
    const lobby = second.pages.find((p) => p.slug === 'lobby');
    expect(lobby?.id).toBe(first.pages.find((p) => p.slug === 'lobby')?.id);
    expect(second.transitions).toHaveLength(1);
    expect(second.transitions[0]?.id).toBe(first.transitions[0]?.id);
    expect(second.tracks).toHaveLength(1);
    // The removed page's copy is gone, not left behind soft-deleted.
    expect(
      await t.db.tour_pages.count({ where: { projectId: project.id, environment: 'stage' }, paranoid: false }),
    ).toBe(2);
  });

  test('two pages that swapped their slugs are published without a conflict', async () => {
    const { project, pages } = await tourInDev();
    await publishEnvironment(t.db, project.id, 'dev', 'stage');
    await pages[0]?.update({ slug: 'swap' });
    await pages[1]?.update({ slug: 'lobby' });
    await pages[0]?.update({ slug: 'hall' });
    await publishEnvironment(t.db, project.id, 'dev', 'stage');
    const stage = await content(project.id, 'stage');
    expect(stage.pages.map((p) => [p.slug, p.source_key])).toEqual([
      ['hall', pages[0]?.id],
      ['lobby', pages[1]?.id],
    ]);
  });

  test('a page made by hand in the target is replaced by the published content', async () => {
    const { project } = await tourInDev();
    await build.tourPage(t.db, { projectId: project.id, environment: 'stage', slug: 'lobby', name: 'Hand-made' });
    await publishEnvironment(t.db, project.id, 'dev', 'stage');
    expect((await content(project.id, 'stage')).pages.map((p) => p.name)).toEqual(['Hall', 'Lobby']);
  });

  test('refuses steps other than dev -> stage and stage -> production', async () => {
    const { project } = await tourInDev();
    await expect(publishEnvironment(t.db, project.id, 'dev', 'production')).rejects.toThrow(PublishError);
    await expect(publishEnvironment(t.db, project.id, 'production', 'stage')).rejects.toThrow(
      'Cannot publish production -> stage: the steps are dev -> stage, stage -> production',
    );
    await expect(publishEnvironment(t.db, '00000000-0000-4000-8000-000000000000', 'dev', 'stage')).rejects.toThrow(
      /No project/,
    );
    expect(await t.db.publish_events.count()).toBe(0);
  });
});
