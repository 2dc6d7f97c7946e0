import { publishEnvironment } from '../../src';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';

const t = useTestDatabase();

afterEach(async () => {
  await t.db.sequelize.query(
    'DROP TRIGGER IF EXISTS audio_offline ON project_audio_tracks; DROP FUNCTION IF EXISTS audio_offline();',
  );
});

test('a failed publish leaves the target as it was and records the failure', async () => {
  const db = t.db;
  const project = await build.project(db);
  const projectId = project.id;
  await build.tourPage(db, { projectId, slug: 'home', name: 'Home' });
  await build.projectTransitionSetting(db, { projectId, environment: 'dev', duration_ms: 1200 });
  await build.projectAudioTrack(db, { projectId, environment: 'dev' });
  const before = await build.tourPage(db, { projectId, environment: 'stage', slug: 'old', name: 'Old stage page' });
  // The audio tracks are copied last: make that fail, after the pages and transitions were written.
  await db.sequelize.query(`
    CREATE FUNCTION audio_offline() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audio storage is offline'; END $$;
    CREATE TRIGGER audio_offline BEFORE INSERT ON project_audio_tracks
    FOR EACH ROW WHEN (NEW.environment = 'stage') EXECUTE FUNCTION audio_offline();`);

  await expect(publishEnvironment(db, projectId, 'dev', 'stage')).rejects.toThrow('audio storage is offline');

  const stagePages = await db.tour_pages.findAll({ where: { projectId, environment: 'stage' }, paranoid: false });
  expect(stagePages.map((page) => [page.id, page.name, page.deletedAt])).toEqual([[before.id, 'Old stage page', null]]);
  expect(await db.project_transition_settings.count({ where: { projectId, environment: 'stage' } })).toBe(0);
  expect(await db.project_audio_tracks.count({ where: { projectId, environment: 'stage' } })).toBe(0);

  const [event] = await db.publish_events.findAll({ where: { projectId } });
  expect(event).toMatchObject({ status: 'failed', pages_copied: null, title: 'Save to stage' });
  expect(event?.error_message).toMatch(/audio storage is offline/);
  expect(event?.finished_at).toBeInstanceOf(Date);
});
