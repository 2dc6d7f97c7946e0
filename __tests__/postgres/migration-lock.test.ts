import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import {
  checkSchemaDrift,
  createDb,
  MIGRATION_TABLE,
  MIGRATIONS,
  migrate,
  permissionNames,
  rollback,
  SEED_ROLES,
} from '../../src';
import { scratchDatabases } from '../support/scratch-databases';
import { urlOf, workerDatabase } from '../support/server';

const databases = scratchDatabases();
afterAll(() => databases.dropAll(), 60_000);

const root = resolve(__dirname, '../..');
const PROCESSES = 5;

interface Finished {
  code: number | null;
  out: string;
  err: string;
}

/** Starts `count` CLI processes, waits until every one has loaded, then lets them all go at once. */
async function runTogether(count: number, args: string[]): Promise<Finished[]> {
  const children: ChildProcessWithoutNullStreams[] = [];
  const ready: Promise<void>[] = [];
  const finished: Promise<Finished>[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '__tests__/support/cli-on-signal.ts', ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: '' } },
    );
    children.push(child);
    let out = '';
    let err = '';
    ready.push(
      new Promise((resolveReady) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.startsWith('ready\n')) resolveReady();
        });
      }),
    );
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    finished.push(
      new Promise((resolveDone) => child.on('close', (code) => resolveDone({ code, out: out.slice(6), err }))),
    );
  }
  await Promise.all(ready);
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(finished);
}

function ranCounts(results: Finished[]): number {
  return results
    .map((result) => Number(/ran (\d+) migration/.exec(result.out)?.[1] ?? 0))
    .reduce((sum, count) => sum + count, 0);
}

describe('the migration lock', () => {
  test(`${PROCESSES} processes migrating one fresh database at once all succeed, each migration running once`, async () => {
    const db = await databases.open('lock_migrate');
    const results = await runTogether(PROCESSES, ['migrate', '--url', urlOf(`${workerDatabase()}_lock_migrate`)]);
    expect(results.map(({ code, err }) => ({ code, err }))).toEqual(
      Array.from({ length: PROCESSES }, () => ({ code: 0, err: '' })),
    );
    // Every migration ran in exactly one process; the others found it done once they held the lock.
    expect(ranCounts(results)).toBe(MIGRATIONS.length);
    const rows = await db.sequelize.query(`SELECT name FROM "${MIGRATION_TABLE}" ORDER BY name`, { type: 'SELECT' });
    expect(rows).toEqual(MIGRATIONS.map(({ name }) => ({ name })));
    expect(await checkSchemaDrift(db.sequelize)).toEqual([]);
  }, 120_000);

  test(`${PROCESSES} processes seeding one fresh database at once all succeed and create every row once`, async () => {
    const db = await databases.open('lock_seed');
    const results = await runTogether(PROCESSES, ['seed', '--url', urlOf(`${workerDatabase()}_lock_seed`)]);
    expect(results.map(({ code, err }) => ({ code, err }))).toEqual(
      Array.from({ length: PROCESSES }, () => ({ code: 0, err: '' })),
    );
    const created = results.map((result) => Number(/permissions created: (\d+)/.exec(result.out)?.[1]));
    expect(created.reduce((sum, count) => sum + count, 0)).toBe(permissionNames().length);
    expect(created.filter((count) => count > 0)).toHaveLength(1);
    const count = async (sql: string) =>
      Number(((await db.sequelize.query(sql, { type: 'SELECT' })) as { n: string }[])[0]?.n);
    expect(await count('SELECT count(*) AS n FROM permissions')).toBe(permissionNames().length);
    expect(await count('SELECT count(DISTINCT name) AS n FROM roles')).toBe(SEED_ROLES.length);
    expect(await count('SELECT count(*) AS n FROM roles')).toBe(SEED_ROLES.length);
    const rows = await db.sequelize.query(`SELECT name FROM "${MIGRATION_TABLE}" ORDER BY name`, { type: 'SELECT' });
    expect(rows).toEqual(MIGRATIONS.map(({ name }) => ({ name })));
    expect(await checkSchemaDrift(db.sequelize)).toEqual([]);
  }, 120_000);

  test('rollbacks started together revert each migration once (separate connections of one process)', async () => {
    const db = await databases.open('lock_rollback');
    await migrate(db.sequelize);
    const url = urlOf(`${workerDatabase()}_lock_rollback`);
    const others = Array.from({ length: 3 }, () => createDb({ url, logging: false }));
    try {
      const reverted = await Promise.all(others.map((other) => rollback(other.sequelize, { to: 0 })));
      expect(reverted.flat().sort()).toEqual(MIGRATIONS.map(({ name }) => name).sort());
      const rows = await db.sequelize.query(`SELECT name FROM "${MIGRATION_TABLE}"`, { type: 'SELECT' });
      expect(rows).toEqual([]);
    } finally {
      await Promise.all(others.map((other) => other.sequelize.close()));
    }
  }, 60_000);
});
