import { ValidationError } from 'sequelize';
import { PublishError, publishEnvironment, publishStatus, resolveProject } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';

const t = useTestDatabase(cheapHasher);
// Databases are migrated in the hooks and many rows written per test: generous time on a busy machine.
jest.setTimeout(60_000);

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

describe('the copy rules', () => {
  // One scenario through every rule; both backends (set-based SQL on PostgreSQL, row by row on pg-mem) must end
  // in exactly this state.
  test('update in place, swap slugs, restore a deleted copy, drop stale, duplicate and hand-made rows', async () => {
    const db = t.db;
    const { project, pages, transition, track } = await tourInDev();
    const projectId = project.id;
    const [lobby, hall] = pages as [(typeof pages)[0], (typeof pages)[0]];
    const extra = await build.tourPage(db, { projectId, slug: 'attic', name: 'Attic' });
    const quiet = await build.projectAudioTrack(db, { projectId, environment: 'dev', name: 'Quiet', volume: 0.1 });
    await publishEnvironment(db, projectId, 'dev', 'stage');
    const first = await content(projectId, 'stage');
    const copyOf = (id: string) => first.pages.find((page) => page.source_key === id)?.id;

    // dev changes: a rename, two pages swapping slugs, a page and a track deleted, a page and a track added.
    await lobby.update({ name: 'Grand Lobby', slug: 'swap' });
    await hall.update({ slug: 'lobby' });
    await lobby.update({ slug: 'hall' });
    await extra.destroy();
    const garden = await build.tourPage(db, { projectId, slug: 'garden', name: 'Garden', sort_order: 5 });
    await track.update({ volume: 0.75 });
    await quiet.destroy();
    const birds = await build.projectAudioTrack(db, { projectId, environment: 'dev', name: 'Birds' });
    await transition.update({ duration_ms: 300 });
    // stage changes: the hall's copy deleted by hand, a hand-made page, a deleted second copy of the lobby.
    await db.tour_pages.destroy({ where: { id: copyOf(hall.id) as string } });
    await build.tourPage(db, { projectId, environment: 'stage', slug: 'by-hand', name: 'By hand' });
    // (Born deleted: a second live copy is what the lineage index refuses.)
    await build.tourPage(db, {
      projectId,
      environment: 'stage',
      slug: 'old-lobby',
      name: 'Old lobby',
      source_key: lobby.id,
      deletedAt: new Date(),
    });

    const result = await publishEnvironment(db, projectId, 'dev', 'stage');
    expect(result).toMatchObject({ pagesCopied: 3, transitionsCopied: 1, audiosCopied: 2 });

    const all = (model: typeof db.tour_pages) =>
      model.findAll({ where: { projectId, environment: 'stage' }, paranoid: false, order: [['slug', 'ASC']] });
    const stagePages = await all(db.tour_pages);
    expect(stagePages.map((p) => [p.slug, p.name, p.source_key, p.sort_order, p.deletedAt])).toEqual([
      ['garden', 'Garden', garden.id, 5, null],
      ['hall', 'Grand Lobby', lobby.id, 0, null],
      ['lobby', 'Hall', hall.id, 1, null],
    ]);
    // Copies are updated in place: the lobby's and the (restored) hall's copies keep their ids.
    expect(stagePages.find((p) => p.source_key === lobby.id)?.id).toBe(copyOf(lobby.id));
    expect(stagePages.find((p) => p.source_key === hall.id)?.id).toBe(copyOf(hall.id));
    expect(stagePages.find((p) => p.source_key === lobby.id)?.ui_schema_json).toEqual({ elements: [1] });

    const tracks = await db.project_audio_tracks.findAll({
      where: { projectId, environment: 'stage' },
      paranoid: false,
      order: [['name', 'ASC']],
    });
    expect(tracks.map((s) => [s.name, s.source_key, s.volume, s.deletedAt])).toEqual([
      ['Ambience', track.id, 0.75, null],
      ['Birds', birds.id, null, null],
    ]);
    expect(tracks[0]?.id).toBe(first.tracks.find((s) => s.source_key === track.id)?.id);
    const transitions = await db.project_transition_settings.findAll({
      where: { projectId, environment: 'stage' },
      paranoid: false,
    });
    expect(transitions.map((s) => [s.id, s.source_key, s.duration_ms])).toEqual([
      [first.transitions[0]?.id, transition.id, 300],
    ]);
  });

  test('a copy is written only when its content changed: its updatedAt and updatedById say when and who', async () => {
    const db = t.db;
    const { owner, project, pages } = await tourInDev();
    const editor = await build.user(db);
    await publishEnvironment(db, project.id, 'dev', 'stage', { userId: owner.id });
    const stamps = async () =>
      (await content(project.id, 'stage')).pages.map((p) => [p.slug, p.updatedAt.getTime(), p.updatedById]);
    const before = await stamps();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await pages[1]?.update({ name: 'Great Hall' });
    await publishEnvironment(db, project.id, 'dev', 'stage', { userId: editor.id });
    const after = await stamps();
    expect(after[1]).toEqual(before[1]);
    expect(after[0]?.[2]).toBe(editor.id);
    expect(after[0]?.[1]).toBeGreaterThan(before[0]?.[1] as number);
  });

  test('refuses two source rows of one lineage, and writes nothing', async () => {
    const db = t.db;
    const { project, pages } = await tourInDev();
    await publishEnvironment(db, project.id, 'dev', 'stage');
    const before = await content(project.id, 'stage');
    // A dev page claiming to descend from another dev page.
    await build.tourPage(db, { projectId: project.id, slug: 'twin', name: 'Twin', source_key: pages[0]?.id });
    await expect(publishEnvironment(db, project.id, 'dev', 'stage')).rejects.toThrow(
      /Two tour_pages rows in dev descend from the same original/,
    );
    const after = await content(project.id, 'stage');
    expect(after.pages.map((p) => [p.id, p.slug, p.name])).toEqual(before.pages.map((p) => [p.id, p.slug, p.name]));
    expect(await db.publish_snapshots.count({ where: { projectId: project.id } })).toBe(1);
    const [failed] = await db.publish_events.findAll({ where: { projectId: project.id, status: 'failed' } });
    expect(failed?.error_message).toMatch(/^PublishError: Two tour_pages rows/);
  });

  test('two publishes of one project at once take turns and leave one copy of each row', async () => {
    const db = t.db;
    const { project } = await tourInDev();
    for (let i = 0; i < 40; i += 1) {
      await build.projectAudioTrack(db, { projectId: project.id, environment: 'dev', name: `Track ${i}` });
    }
    const results = await Promise.all([
      publishEnvironment(db, project.id, 'dev', 'stage'),
      publishEnvironment(db, project.id, 'dev', 'stage'),
    ]);
    expect(results.map((r) => [r.event.status, r.audiosCopied])).toEqual([
      ['success', 41],
      ['success', 41],
    ]);
    const stage = await content(project.id, 'stage');
    expect(stage.tracks).toHaveLength(41);
    expect(new Set(stage.tracks.map((s) => s.source_key)).size).toBe(41);
    expect(stage.pages).toHaveLength(2);
  });
});

describe('publish events', () => {
  test('a running event with nobody behind it is reported abandoned, by publishStatus and by the next publish', async () => {
    const db = t.db;
    const { project } = await tourInDev();
    const orphan = await build.publishEvent(db, { projectId: project.id, status: 'running', started_at: new Date() });
    const status = await publishStatus(db, project.id);
    expect(status.abandoned.map((e) => [e.id, e.status])).toEqual([[orphan.id, 'abandoned']]);
    expect(status.running).toEqual([]);
    expect(status.abandoned[0]?.error_message).toMatch(/stopped before recording an outcome/);
    expect(status.abandoned[0]?.finished_at).toBeInstanceOf(Date);

    const second = await build.publishEvent(db, { projectId: project.id, status: 'running', started_at: new Date() });
    const published = await publishEnvironment(db, project.id, 'dev', 'stage');
    expect((await db.publish_events.findByPk(second.id))?.status).toBe('abandoned');
    expect((await publishStatus(db, project.id)).latest?.id).toBe(published.event.id);
    // Another project's running event is none of this project's business.
    const other = await build.publishEvent(db, { status: 'running' });
    await publishStatus(db, project.id);
    expect((await db.publish_events.findByPk(other.id))?.status).toBe('running');
  });

  test('refuses a deleted project, bad options and unknown ids with a PublishError and records nothing', async () => {
    const db = t.db;
    const { project } = await tourInDev();
    await expect(publishEnvironment(db, project.id, 'dev', 'stage', { lockTimeoutMs: 0 })).rejects.toThrow(
      'lockTimeoutMs must be a whole number of milliseconds from 1, got 0',
    );
    await expect(publishEnvironment(db, project.id, 'dev', 'stage', { keepSnapshots: -1 })).rejects.toThrow(
      'keepSnapshots must be a whole number from 0, got -1',
    );
    await expect(publishEnvironment(db, 'not-a-uuid', 'dev', 'stage')).rejects.toThrow(
      'projectId must be a UUID, got "not-a-uuid"',
    );
    await expect(publishStatus(db, 'nope')).rejects.toThrow(PublishError);
    await expect(
      publishEnvironment(db, project.id, 'dev', 'stage', { description: 'x'.repeat(5001) }),
    ).rejects.toBeInstanceOf(ValidationError);
    await project.destroy();
    await expect(publishEnvironment(db, project.id, 'dev', 'stage')).rejects.toThrow(
      `Project ${project.id} is deleted: restore it before publishing`,
    );
    expect(await db.publish_events.count({ paranoid: false })).toBe(0);
    expect(await db.tour_pages.count({ where: { environment: 'stage' }, paranoid: false })).toBe(0);
  });

  test('resolveProject finds a live project by id or slug', async () => {
    const db = t.db;
    const project = await build.project(db, { slug: 'harbour-tour' });
    expect((await resolveProject(db, project.id)).id).toBe(project.id);
    expect((await resolveProject(db, ' harbour-tour ')).id).toBe(project.id);
    await expect(resolveProject(db, 'nowhere')).rejects.toThrow('No project with id or slug "nowhere"');
    await expect(resolveProject(db, '')).rejects.toThrow('No project given: pass its id or its slug');
    await project.destroy();
    await expect(resolveProject(db, 'harbour-tour')).rejects.toBeInstanceOf(PublishError);
  });
});
