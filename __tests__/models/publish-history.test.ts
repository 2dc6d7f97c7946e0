import type { Db } from '../../src';
import {
  formatPublishPreview,
  PublishError,
  previewPublish,
  publishEnvironment,
  publishHistory,
  rollbackPublish,
} from '../../src';
import { build } from '../../src/testing/factories';
import { backend, useTestDatabase } from '../support/db';

const t = useTestDatabase();
jest.setTimeout(60_000);

const TABLES = ['tour_pages', 'project_transition_settings', 'project_audio_tracks'] as const;

async function tour(db: Db) {
  const owner = await build.user(db);
  const project = await build.project(db, { name: 'Harbour', slug: 'harbour' });
  const projectId = project.id;
  const lobby = await build.tourPage(db, {
    projectId,
    slug: 'lobby',
    name: 'Lobby',
    // Key order and spacing that a JSONB column would not keep.
    ui_schema_json: { z: 1, a: [{ y: 'é', b: null }], m: 'x' },
  });
  const hall = await build.tourPage(db, { projectId, slug: 'hall', name: 'Hall', sort_order: 1 });
  const transition = await build.projectTransitionSetting(db, { projectId, environment: 'dev', duration_ms: 900 });
  const track = await build.projectAudioTrack(db, { projectId, environment: 'dev', name: 'Waves', volume: 0.25 });
  return { owner, project, lobby, hall, transition, track };
}

/** Every row of an environment, every column but the audit timestamps, in a stable order. */
async function state(db: Db, projectId: string, environment: 'stage' | 'production') {
  const result: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const model = db[table] as unknown as typeof db.tour_pages;
    const rows = await model.findAll({ where: { projectId, environment }, paranoid: false, order: [['id', 'ASC']] });
    result[table] = rows.map((row) => {
      const { createdAt: _c, updatedAt: _u, ...rest } = row.get({ plain: true }) as Record<string, unknown>;
      return rest;
    });
  }
  return result;
}

/** The same, as PostgreSQL's own text of each column: byte for byte, JSON documents included. */
async function text(db: Db, projectId: string, environment: 'stage' | 'production') {
  const result: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const columns = Object.values((db[table] as unknown as typeof db.tour_pages).getAttributes())
      .map((attribute) => (attribute as { field: string }).field)
      .filter((column) => column !== 'createdAt' && column !== 'updatedAt');
    result[table] = await db.sequelize.query(
      `SELECT ${columns.map((c) => `"${c}"::text AS "${c}"`).join(', ')} FROM "${table}"
       WHERE "projectId" = :projectId AND environment = :environment ORDER BY id`,
      { type: 'SELECT', replacements: { projectId, environment } },
    );
  }
  return result;
}

describe('rollbackPublish', () => {
  test('publish, edit, publish, rollback gives the first publish’s content back exactly', async () => {
    const db = t.db;
    const { owner, project, lobby, hall, track } = await tour(db);
    const projectId = project.id;
    await publishEnvironment(db, projectId, 'dev', 'stage', { userId: owner.id });
    const firstState = await state(db, projectId, 'stage');
    const firstText = backend === 'postgres' ? await text(db, projectId, 'stage') : undefined;

    // Edits in dev, then a second publish.
    await lobby.update({ name: 'Grand Lobby', ui_schema_json: { a: 2 } });
    await hall.destroy();
    await build.tourPage(db, { projectId, slug: 'garden', name: 'Garden' });
    await track.update({ volume: 1 });
    await publishEnvironment(db, projectId, 'dev', 'stage', { userId: owner.id });
    const stageBeforeRollback = await state(db, projectId, 'stage');
    const second = (await publishHistory(db, projectId))[0];
    expect(second?.event.title).toBe('Save to stage');
    expect(await state(db, projectId, 'stage')).not.toEqual(firstState);

    const result = await rollbackPublish(db, second?.event.id as string, { userId: owner.id });
    expect(result).toMatchObject({ pagesCopied: 2, transitionsCopied: 1, audiosCopied: 1 });
    expect(await state(db, projectId, 'stage')).toEqual(firstState);
    if (firstText) expect(await text(db, projectId, 'stage')).toEqual(firstText);
    // dev is untouched.
    expect(
      (await db.tour_pages.findAll({ where: { projectId, environment: 'dev' } })).map((p) => p.slug).sort(),
    ).toEqual(['garden', 'lobby']);

    expect(result.event).toMatchObject({
      title: 'Rollback',
      status: 'success',
      from_environment: 'stage',
      to_environment: 'stage',
      rollbackOfId: second?.event.id,
      userId: owner.id,
    });
    // The rollback kept a snapshot of its own: rolling it back brings the second publish's content again.
    await rollbackPublish(db, result.event.id);
    expect(await state(db, projectId, 'stage')).toEqual(stageBeforeRollback);
  });

  test('publishHistory lists the events newest first, with what can be rolled back', async () => {
    const db = t.db;
    const { project } = await tour(db);
    const projectId = project.id;
    const first = await publishEnvironment(db, projectId, 'dev', 'stage', { description: 'first' });
    const second = await publishEnvironment(db, projectId, 'stage', 'production');
    const third = await publishEnvironment(db, projectId, 'dev', 'stage', { keepSnapshots: 0 });
    const history = await publishHistory(db, projectId);
    expect(history.map((entry) => [entry.event.id, entry.snapshotId !== null])).toEqual([
      [third.event.id, false],
      // keepSnapshots: 0 also dropped the snapshots of stage kept so far.
      [second.event.id, true],
      [first.event.id, false],
    ]);
    expect((await publishHistory(db, projectId, { environment: 'production' })).map((e) => e.event.id)).toEqual([
      second.event.id,
    ]);
    expect(await publishHistory(db, projectId, { limit: 1 })).toHaveLength(1);
  });

  test('keeps the newest snapshots per environment; older publishes cannot be rolled back', async () => {
    const db = t.db;
    const { project, lobby } = await tour(db);
    const projectId = project.id;
    const events = [];
    for (const name of ['One', 'Two', 'Three']) {
      await lobby.update({ name });
      events.push((await publishEnvironment(db, projectId, 'dev', 'stage', { keepSnapshots: 2 })).event);
    }
    await publishEnvironment(db, projectId, 'stage', 'production', { keepSnapshots: 2 });
    expect(await db.publish_snapshots.count({ where: { projectId, environment: 'stage' } })).toBe(2);
    expect(await db.publish_snapshots.count({ where: { projectId, environment: 'production' } })).toBe(1);
    await expect(rollbackPublish(db, events[0]?.id as string)).rejects.toThrow(
      `No snapshot is kept for publish event ${events[0]?.id}`,
    );
    const rolledBack = await rollbackPublish(db, events[1]?.id as string);
    expect(rolledBack.event.status).toBe('success');
    // Back to the state before "Two": the copy of "One".
    const stage = await db.tour_pages.findOne({ where: { projectId, environment: 'stage', source_key: lobby.id } });
    expect(stage?.name).toBe('One');
  });

  test('refuses unknown, failed and running events with a PublishError, writing nothing', async () => {
    const db = t.db;
    const { project } = await tour(db);
    await expect(rollbackPublish(db, 'nope')).rejects.toThrow('No publish event with id nope');
    await expect(rollbackPublish(db, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(PublishError);
    const failed = await build.publishEvent(db, { projectId: project.id, status: 'failed' });
    await expect(rollbackPublish(db, failed.id)).rejects.toThrow(
      `Publish event ${failed.id} is failed, not success: there is nothing to roll back`,
    );
    expect(await db.publish_events.count({ where: { projectId: project.id } })).toBe(1);
  });
});

describe('previewPublish', () => {
  test('lists what a publish would create, update (with the changes) and remove, writing nothing', async () => {
    const db = t.db;
    const { project, lobby, hall, track } = await tour(db);
    const projectId = project.id;
    await publishEnvironment(db, projectId, 'dev', 'stage');
    await lobby.update({ name: 'Grand Lobby', sort_order: 3 });
    await hall.destroy();
    await build.tourPage(db, { projectId, slug: 'garden', name: 'Garden', ui_schema_json: { elements: [] } });
    await track.update({ volume: 0.5 });
    const counts = async () => ({
      pages: await db.tour_pages.count({ paranoid: false }),
      events: await db.publish_events.count(),
      snapshots: await db.publish_snapshots.count(),
    });
    const before = await counts();

    const preview = await previewPublish(db, projectId, 'dev', 'stage');
    expect(await counts()).toEqual(before);
    const pages = preview.tables.tour_pages;
    expect(pages.create.map((row) => [row.label, row.values.ui_schema_json])).toEqual([
      ['garden "Garden"', { elements: [] }],
    ]);
    expect(pages.update.map((row) => [row.label, row.changes])).toEqual([
      ['lobby "Grand Lobby"', { name: { from: 'Lobby', to: 'Grand Lobby' }, sort_order: { from: 0, to: 3 } }],
    ]);
    expect(pages.remove.map((row) => [row.label, row.reason, row.deleted])).toEqual([
      ['hall "Hall"', 'original gone', false],
    ]);
    expect(preview.tables.project_transition_settings).toMatchObject({
      create: [],
      update: [],
      remove: [],
      unchanged: 1,
    });
    expect(preview.tables.project_audio_tracks.update.map((row) => row.changes)).toEqual([
      { volume: { from: 0.25, to: 0.5 } },
    ]);
    expect(preview.changes).toBe(true);

    expect(formatPublishPreview(preview, project)).toBe(
      [
        'Publish dev -> stage of Harbour (harbour): preview, nothing written',
        'Pages: 1 to create, 1 to update, 1 to remove',
        '  + garden "Garden"',
        '  ~ lobby "Grand Lobby": name "Lobby" -> "Grand Lobby"; sort_order 0 -> 3',
        '  - hall "Hall" (original gone)',
        'Transition settings: 1 unchanged',
        'Audio tracks: 1 to update',
        '  ~ Waves: volume 0.25 -> 0.5',
        '',
      ].join('\n'),
    );

    // After the publish, the preview is empty.
    await publishEnvironment(db, projectId, 'dev', 'stage');
    const after = await previewPublish(db, projectId, 'dev', 'stage');
    expect(after.changes).toBe(false);
    expect(formatPublishPreview(after)).toMatch(/stage already matches dev: publishing would change nothing\.\n$/);
  });

  test('refuses what a publish refuses', async () => {
    const db = t.db;
    const { project } = await tour(db);
    await expect(previewPublish(db, project.id, 'dev', 'production')).rejects.toThrow(PublishError);
    await expect(previewPublish(db, '00000000-0000-4000-8000-000000000000', 'dev', 'stage')).rejects.toThrow(
      'No project with id 00000000-0000-4000-8000-000000000000',
    );
  });
});
