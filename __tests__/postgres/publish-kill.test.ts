import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from 'pg';
import { type Db, publishEnvironment, publishStatus } from '../../src';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';
import { urlOf, workerDatabase } from '../support/server';
import { addDevPages, connect, holdRow, projectLockers, publisherStoppedMidCopy, waitFor } from './publish-support';

/**
 * A publisher process killed with SIGKILL in the middle of a large copy: its
 * transaction dies with its connection, its event is found `abandoned`, and
 * the next publish works. The child is stopped mid-copy by a row lock this
 * test holds, so the kill always lands inside the copy.
 */

jest.setTimeout(180_000);

const t = useTestDatabase();
let client: Client;
let child: ChildProcess | undefined;

beforeAll(async () => {
  client = await connect();
}, 60_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await client?.end();
}, 60_000);

async function stage(db: Db, projectId: string) {
  const rows = await db.sequelize.query(
    `SELECT id, source_key, slug, name, "deletedAt" FROM tour_pages
     WHERE "projectId" = :projectId AND environment = 'stage' ORDER BY id`,
    { type: 'SELECT', replacements: { projectId } },
  );
  return rows;
}

test('a publisher killed mid-copy leaves the target as it was, its event abandoned, and the next publish works', async () => {
  const db = t.db;
  const project = await build.project(db);
  await addDevPages(db, project.id, 3000);
  await publishEnvironment(db, project.id, 'dev', 'stage');
  await db.tour_pages.update({ name: 'Second edition' }, { where: { projectId: project.id, environment: 'dev' } });
  const before = await stage(db, project.id);
  const last = await db.tour_pages.findOne({
    where: { projectId: project.id, environment: 'stage', slug: 'page-3000' },
  });
  const release = await holdRow(client, 'tour_pages', last?.id as string);

  const script = join(__dirname, 'fixtures', 'publisher.ts');
  const spawned = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', script, urlOf(workerDatabase()), project.id],
    { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = spawned;
  let output = '';
  spawned.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  spawned.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => spawned.on('exit', (_, signal) => resolve(signal)));

  await publisherStoppedMidCopy(client, project.id);
  const [running] = await db.publish_events.findAll({ where: { projectId: project.id, status: 'running' } });
  expect(running?.description).toBe('from a child process');
  spawned.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(output).not.toContain('done');
  await release();
  // The server ends the dead client's transaction once it notices the connection is gone.
  await waitFor('the killed publisher’s backend to end', async () =>
    (await projectLockers(client, project.id, true)).length === 0 ? true : undefined,
  );

  const status = await publishStatus(db, project.id);
  expect(status.abandoned.map((event) => [event.id, event.status])).toEqual([[running?.id, 'abandoned']]);
  expect(status.running).toEqual([]);
  expect(await stage(db, project.id)).toEqual(before);
  // Its snapshot went with its transaction.
  expect(await db.publish_snapshots.count({ where: { projectId: project.id } })).toBe(1);

  const next = await publishEnvironment(db, project.id, 'dev', 'stage');
  expect(next).toMatchObject({ pagesCopied: 3000 });
  expect(
    await db.tour_pages.count({ where: { projectId: project.id, environment: 'stage', name: 'Second edition' } }),
  ).toBe(3000);
  const events = await db.publish_events.findAll({ where: { projectId: project.id }, order: [['started_at', 'ASC']] });
  expect(events.map((event) => event.status)).toEqual(['success', 'abandoned', 'success']);
});
