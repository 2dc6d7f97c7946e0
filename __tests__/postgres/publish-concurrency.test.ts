import type { Client } from 'pg';
import { createDb, type Db, PublishError, publishEnvironment, publishStatus } from '../../src';
import { lockSql } from '../../src/models/base/project-lock';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';
import { urlOf, workerDatabase } from '../support/server';
import {
  addDevPages,
  connect,
  holdRow,
  liveChildren,
  projectLockers,
  publisherStoppedMidCopy,
  waitFor,
} from './publish-support';

/**
 * Publishing under real concurrency on PostgreSQL: two connections (two
 * Sequelize instances) publishing, deleting, and backends killed mid-copy. A
 * publish is stopped mid-copy by a row lock this test holds on a stage copy
 * that the publish must update, so that every interleaving is deterministic.
 */

jest.setTimeout(120_000);

const t = useTestDatabase();
let other: Db;
let client: Client;

beforeAll(async () => {
  other = createDb({ url: urlOf(workerDatabase()), logging: false });
  client = await connect();
}, 60_000);

afterAll(async () => {
  await other?.sequelize.close();
  await client?.end();
}, 60_000);

/** A project with 20 pages and 40 audio tracks in dev, saved to stage once. */
async function publishedTour(db: Db) {
  const project = await build.project(db);
  await addDevPages(db, project.id, 20);
  await build.projectTransitionSetting(db, { projectId: project.id, environment: 'dev' });
  for (let i = 0; i < 40; i += 1) {
    await build.projectAudioTrack(db, { projectId: project.id, environment: 'dev', name: `Track ${i}` });
  }
  await publishEnvironment(db, project.id, 'dev', 'stage');
  // What the next publish must update: a stage copy this test can hold.
  await db.tour_pages.update(
    { name: 'Renamed' },
    { where: { projectId: project.id, environment: 'dev', slug: 'page-1' } },
  );
  const held = await db.tour_pages.findOne({ where: { projectId: project.id, environment: 'stage', slug: 'page-1' } });
  return { project, heldId: held?.id as string };
}

/** A gate a transaction waits at: opened by the test, or at the latest after the test, so nothing stays open. */
const gates: (() => void)[] = [];
function opening() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  gates.push(open);
  return { opened, open };
}
afterEach(() => {
  for (const open of gates.splice(0)) open();
});

async function stageOf(db: Db, projectId: string) {
  const pages = await db.tour_pages.findAll({ where: { projectId, environment: 'stage' }, paranoid: false });
  const tracks = await db.project_audio_tracks.findAll({ where: { projectId, environment: 'stage' }, paranoid: false });
  return {
    pages: pages.map((p) => [p.id, p.source_key, p.slug, p.name, p.deletedAt]).sort(),
    tracks: tracks.map((s) => [s.id, s.source_key, s.name, s.deletedAt]).sort(),
  };
}

describe('two publishers of one project', () => {
  test('take turns: the second waits for the first, both succeed, one copy of each row', async () => {
    const db = t.db;
    const { project, heldId } = await publishedTour(db);
    const release = await holdRow(client, 'tour_pages', heldId);
    const first = publishEnvironment(db, project.id, 'dev', 'stage');
    await publisherStoppedMidCopy(client, project.id);
    const second = publishEnvironment(other, project.id, 'dev', 'stage');
    await waitFor('the second publisher to wait for the lock', async () =>
      (await projectLockers(client, project.id, false)).length === 1 ? true : undefined,
    );
    await release();
    const results = await Promise.all([first, second]);

    expect(results.map((r) => [r.event.status, r.pagesCopied, r.audiosCopied])).toEqual([
      ['success', 20, 40],
      ['success', 20, 40],
    ]);
    const stage = await stageOf(db, project.id);
    expect(stage.pages).toHaveLength(20);
    expect(stage.tracks).toHaveLength(40);
    expect(new Set(stage.tracks.map((track) => track[1])).size).toBe(40);
    expect(stage.pages.filter((page) => page[3] === 'Renamed')).toHaveLength(1);
    const events = await db.publish_events.findAll({
      where: { projectId: project.id },
      order: [['started_at', 'ASC']],
    });
    expect(events.map((e) => e.status)).toEqual(['success', 'success', 'success']);
    expect(await db.publish_snapshots.count({ where: { projectId: project.id } })).toBe(3);
  });

  test('a second publisher that would wait longer than lockTimeoutMs gets a PublishError and writes nothing', async () => {
    const db = t.db;
    const { project, heldId } = await publishedTour(db);
    const release = await holdRow(client, 'tour_pages', heldId);
    const first = publishEnvironment(db, project.id, 'dev', 'stage');
    await publisherStoppedMidCopy(client, project.id);
    const started = Date.now();
    await expect(publishEnvironment(other, project.id, 'dev', 'stage', { lockTimeoutMs: 300 })).rejects.toThrow(
      new PublishError(
        `Project ${project.id} is being published, rolled back, deleted or restored by someone else, who still ` +
          'held it after 300 ms: nothing was written; try again when that is done',
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // Only the first publisher's event: the second one never started.
    expect((await db.publish_events.findAll({ where: { projectId: project.id } })).map((e) => e.status).sort()).toEqual(
      ['running', 'success'],
    );
    await release();
    expect((await first).event.status).toBe('success');
  });
});

describe('a publish and a soft delete of its project', () => {
  test('a delete that comes during a publish waits, then takes the publish’s new copies along', async () => {
    const db = t.db;
    const { project, heldId } = await publishedTour(db);
    await addDevPages(db, project.id, 5, 'late');
    const release = await holdRow(client, 'tour_pages', heldId);
    const publishing = publishEnvironment(db, project.id, 'dev', 'stage');
    await publisherStoppedMidCopy(client, project.id);
    const deleting = other.projects.findByPk(project.id).then((row) => row?.destroy());
    await waitFor('the delete to wait for the publish', async () =>
      (await projectLockers(client, project.id, false)).length === 1 ? true : undefined,
    );
    await release();
    await publishing;
    await deleting;

    expect(await liveChildren(db, project.id)).toEqual({});
    const deletedAt = (await db.projects.findByPk(project.id, { paranoid: false }))?.deletedAt;
    const late = await db.tour_pages.findAll({
      where: { projectId: project.id, environment: 'stage', name: 'Page 3' },
      paranoid: false,
    });
    // The late pages' copies were written by the publish, then deleted with the project.
    expect(late.map((page) => page.deletedAt?.getTime())).toEqual([deletedAt?.getTime(), deletedAt?.getTime()]);
    expect((await publishStatus(db, project.id)).running).toEqual([]);
  });

  test('a publish that comes during a delete waits, then finds the project deleted and writes nothing', async () => {
    const db = t.db;
    const { project } = await publishedTour(db);
    await addDevPages(db, project.id, 5, 'late');
    const before = await stageOf(db, project.id);
    const gate = opening();
    const deleting = other.sequelize.transaction(async (transaction) => {
      const row = await other.projects.findByPk(project.id, { transaction });
      await row?.destroy({ transaction });
      await gate.opened;
    });
    await waitFor('the delete to hold the project', async () =>
      (await projectLockers(client, project.id, true)).length === 1 ? true : undefined,
    );
    const publishing = publishEnvironment(db, project.id, 'dev', 'stage');
    await waitFor('the publish to wait for the delete', async () =>
      (await projectLockers(client, project.id, false)).length === 1 ? true : undefined,
    );
    gate.open();
    await deleting;
    await expect(publishing).rejects.toThrow(`Project ${project.id} is deleted: restore it before publishing`);

    expect(await liveChildren(db, project.id)).toEqual({});
    const after = await stageOf(db, project.id);
    expect(after.pages.map((page) => page.slice(0, 4))).toEqual(before.pages.map((page) => page.slice(0, 4)));
    expect(await db.publish_events.count({ where: { projectId: project.id }, paranoid: false })).toBe(1);
  });

  test('a restore waits for the lock as a delete does', async () => {
    const db = t.db;
    const { project } = await publishedTour(db);
    await project.destroy();
    const gate = opening();
    // Hold the project's lock in a transaction, as a publish does.
    const holding = other.sequelize.transaction(async (transaction) => {
      await other.sequelize.query(`SELECT ${lockSql('project', ':id')}`, {
        replacements: { id: project.id },
        transaction,
      });
      await gate.opened;
    });
    await waitFor('the lock to be held', async () =>
      (await projectLockers(client, project.id, true)).length === 1 ? true : undefined,
    );
    const restoring = db.projects.restore({ where: { id: project.id } });
    await waitFor('the restore to wait', async () =>
      (await projectLockers(client, project.id, false)).length === 1 ? true : undefined,
    );
    expect((await db.projects.findByPk(project.id, { paranoid: false }))?.deletedAt).toBeInstanceOf(Date);
    gate.open();
    await holding;
    await restoring;
    expect((await db.projects.findByPk(project.id))?.id).toBe(project.id);
    expect(await db.tour_pages.count({ where: { projectId: project.id, environment: 'stage' } })).toBe(20);
  });
});

describe('set-based copy', () => {
  test('the number of statements of a publish does not grow with the rows', async () => {
    const statements: string[] = [];
    const counted = createDb({
      url: urlOf(workerDatabase()),
      logging: (sql: string) => statements.push(sql),
    });
    try {
      const count = async (projectId: string) => {
        statements.length = 0;
        await publishEnvironment(counted, projectId, 'dev', 'stage');
        return statements.length;
      };
      const small = await build.project(t.db);
      await addDevPages(t.db, small.id, 5);
      const large = await build.project(t.db);
      await addDevPages(t.db, large.id, 500);
      for (let i = 0; i < 30; i += 1) {
        await build.projectAudioTrack(t.db, { projectId: large.id, environment: 'dev', name: `T${i}` });
      }
      const firstSmall = await count(small.id);
      const firstLarge = await count(large.id);
      const againLarge = await count(large.id);
      expect(firstLarge).toBe(firstSmall);
      expect(againLarge).toBe(firstSmall);
      expect(firstSmall).toBeLessThanOrEqual(20);
      expect(await t.db.tour_pages.count({ where: { projectId: large.id, environment: 'stage' } })).toBe(500);
    } finally {
      await counted.sequelize.close();
    }
  });
});

describe('a publisher whose connection is killed', () => {
  afterEach(async () => {
    await t.db.sequelize.query(
      'DROP TRIGGER IF EXISTS events_offline ON publish_events; DROP FUNCTION IF EXISTS events_offline();',
    );
  }, 60_000);

  async function killMidCopy(db: Db, projectId: string, heldId: string) {
    const release = await holdRow(client, 'tour_pages', heldId);
    const publishing = publishEnvironment(db, projectId, 'dev', 'stage');
    const outcome = publishing.then(
      () => undefined,
      (error: unknown) => error as Error & { recordingError?: Error },
    );
    const pid = await publisherStoppedMidCopy(client, projectId);
    await client.query('SELECT pg_terminate_backend($1)', [pid]);
    await release();
    const error = await outcome;
    if (!error) throw new Error('the publish succeeded although its backend was killed');
    return error;
  }

  test('fails with its original error, recorded on its event, and leaves the target as it was', async () => {
    const db = t.db;
    const { project, heldId } = await publishedTour(db);
    const before = await stageOf(db, project.id);
    const error = await killMidCopy(db, project.id, heldId);
    expect(error.message).toMatch(/terminating connection due to administrator command/);
    expect(error.recordingError).toBeUndefined();
    expect(await stageOf(db, project.id)).toEqual(before);
    const events = await db.publish_events.findAll({
      where: { projectId: project.id },
      order: [['started_at', 'ASC']],
    });
    expect(events.map((e) => e.status)).toEqual(['success', 'failed']);
    expect(events[1]?.error_message).toMatch(/terminating connection due to administrator command/);
    expect(await db.publish_snapshots.count({ where: { projectId: project.id } })).toBe(1);

    const next = await publishEnvironment(db, project.id, 'dev', 'stage');
    expect(next.event.status).toBe('success');
    expect((await stageOf(db, project.id)).pages.filter((page) => page[3] === 'Renamed')).toHaveLength(1);
  });

  test('keeps its original error when recording the failure fails too; the event is then found abandoned', async () => {
    const db = t.db;
    const { project, heldId } = await publishedTour(db);
    await db.sequelize.query(`
      CREATE FUNCTION events_offline() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'event store offline'; END $$;
      CREATE TRIGGER events_offline BEFORE UPDATE ON publish_events
      FOR EACH ROW WHEN (NEW.status = 'failed') EXECUTE FUNCTION events_offline();`);
    const error = await killMidCopy(db, project.id, heldId);
    expect(error.message).toMatch(/terminating connection due to administrator command/);
    expect(error.recordingError?.message).toMatch(/event store offline/);
    const [, event] = await db.publish_events.findAll({
      where: { projectId: project.id },
      order: [['started_at', 'ASC']],
    });
    expect(event?.status).toBe('running');

    const status = await publishStatus(db, project.id);
    expect(status.abandoned.map((e) => [e.id, e.status])).toEqual([[event?.id, 'abandoned']]);
    expect(status.running).toEqual([]);
    const next = await publishEnvironment(db, project.id, 'dev', 'stage');
    expect(next.event.status).toBe('success');
    expect(await db.publish_events.count({ where: { projectId: project.id, status: 'running' } })).toBe(0);
  });
});
