import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BaselineRefusedError,
  baseline,
  checkSchemaDrift,
  executedMigrations,
  loadMigrations,
  MIGRATION_TABLE,
  MIGRATIONS,
  type Migration,
  MigrationFailedError,
  migrate,
  migrationStatus,
  pendingMigrations,
  rollback,
  rollbackPlan,
  schemaDrift,
  UnknownMigrationsError,
} from '../../src';
import { type CliIo, main } from '../../src/cli';
import { scratchDatabases } from '../support/scratch-databases';
import { urlOf, workerDatabase } from '../support/server';

const databases = scratchDatabases();
const PACKAGE = MIGRATIONS.map(({ name }) => name);
const LAST = PACKAGE[PACKAGE.length - 1] as string;

/** An app's folder: its migrations in db/migrations, a config file naming them, and an empty folder beside. */
const app = mkdtempSync(join(tmpdir(), 'tbp-mig-app-'));
const folder = join(app, 'db', 'migrations');
const elsewhere = join(app, 'elsewhere');
const APP = ['20250101-app-notes', '20250102-app-flag'];

beforeAll(() => {
  mkdirSync(folder, { recursive: true });
  mkdirSync(elsewhere);
  // Written in reverse order: the name decides the order, not the file system.
  writeFileSync(
    join(folder, '20250102-app-flag.cjs'),
    `exports.up = async ({ context: { sequelize, transaction } }) => {
  await sequelize.query('ALTER TABLE users ADD COLUMN app_flag boolean', { transaction });
};
exports.down = async ({ context: { sequelize, transaction } }) => {
  await sequelize.query('ALTER TABLE users DROP COLUMN app_flag', { transaction });
};
`,
  );
  writeFileSync(
    join(folder, '20250101-app-notes.js'),
    `module.exports = {
  async up({ context: { sequelize, transaction } }) {
    await sequelize.query("CREATE TYPE app_mood AS ENUM ('calm', 'busy')", { transaction });
    await sequelize.query(
      'CREATE TABLE app_notes (id uuid PRIMARY KEY, "userId" uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE, mood app_mood)',
      { transaction },
    );
  },
  async down({ context: { sequelize, transaction } }) {
    await sequelize.query('DROP TABLE app_notes', { transaction });
    await sequelize.query('DROP TYPE app_mood', { transaction });
  },
};
`,
  );
  writeFileSync(join(folder, 'README.md'), 'not a migration');
  writeFileSync(join(app, 'tbp-models.config.js'), "module.exports = { migrations: './db/migrations' };\n");
});

afterAll(async () => {
  rmSync(app, { recursive: true, force: true });
  await databases.dropAll();
}, 60_000);

async function open(suffix: string) {
  const db = await databases.open(suffix);
  return { db, url: urlOf(`${workerDatabase()}_${suffix}`) };
}

async function cli(argv: string[], cwd = elsewhere) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false, env: {}, cwd };
  const code = await main(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

async function tables(db: Awaited<ReturnType<typeof open>>['db']): Promise<string[]> {
  const rows = (await db.sequelize.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", {
    type: 'SELECT',
  })) as { tablename: string }[];
  return rows.map((row) => row.tablename).sort();
}

describe('a failing migration', () => {
  test('names the migration and carries PostgreSQL’s message, SQLSTATE and detail', async () => {
    const { db } = await open('failing_detail');
    const duplicate: Migration = {
      name: '0001-duplicate',
      async up({ context: { sequelize, transaction } }) {
        await sequelize.query('CREATE TABLE dup (id int PRIMARY KEY)', { transaction });
        await sequelize.query('INSERT INTO dup VALUES (1)', { transaction });
        await sequelize.query('INSERT INTO dup VALUES (1)', { transaction });
      },
      async down() {},
    };
    const error = await migrate(db.sequelize, { migrations: [duplicate] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toBe(
      'Migration 0001-duplicate (up) failed: duplicate key value violates unique constraint "dup_pkey" (23505). ' +
        'Key (id)=(1) already exists.',
    );
    expect(error).toMatchObject({ migration: '0001-duplicate', direction: 'up', code: '23505' });
    expect(await tables(db)).toEqual([MIGRATION_TABLE]);
  }, 60_000);
});

describe('status', () => {
  test('reads without creating anything, from the API and the CLI', async () => {
    const { db, url } = await open('status_empty');
    expect(await pendingMigrations(db.sequelize)).toEqual(PACKAGE);
    expect(await executedMigrations(db.sequelize)).toEqual([]);
    expect(await rollbackPlan(db.sequelize, { to: 0 })).toEqual([]);
    expect(await migrationStatus(db.sequelize)).toEqual(PACKAGE.map((name) => ({ name, state: 'pending' })));
    const status = await cli(['status', '--url', url]);
    expect(status).toEqual({ code: 0, out: PACKAGE.map((name) => `pending  ${name}\n`).join(''), err: '' });
    const rollbackRun = await cli(['rollback', '--url', url]);
    expect(rollbackRun).toEqual({ code: 0, out: 'nothing to revert\n', err: '' });
    expect(await tables(db)).toEqual([]);
  }, 60_000);
});

describe("the app's migrations beside the package's", () => {
  test('loadMigrations reads a folder by file name; the API runs them after the package’s', async () => {
    const loaded = loadMigrations(folder);
    expect(loaded.map(({ name }) => name)).toEqual(APP);
    const { db } = await open('app_api');
    expect(await migrate(db.sequelize, { migrations: [...MIGRATIONS, ...loaded] })).toEqual([...PACKAGE, ...APP]);
    // The package's list alone cannot revert anything while the app's migrations are applied.
    const refused = await rollback(db.sequelize).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnknownMigrationsError);
    expect(refused).toMatchObject({ migration: LAST, unknown: APP });
    expect(await executedMigrations(db.sequelize)).toEqual([...PACKAGE, ...APP].sort());
    expect(await rollback(db.sequelize, { migrations: [...MIGRATIONS, ...loaded], to: APP[0] as string })).toEqual(
      [...APP].reverse(),
    );
  }, 60_000);

  test('a folder that is not one, and a file that is not a migration, are clear errors', () => {
    expect(() => loadMigrations(join(app, 'missing'))).toThrow(/^Cannot read the migrations folder .*missing: ENOENT/);
    const broken = mkdtempSync(join(tmpdir(), 'tbp-mig-broken-'));
    try {
      writeFileSync(join(broken, '0001-x.js'), 'exports.up = async () => {};\n');
      expect(() => loadMigrations(broken)).toThrow(
        /0001-x\.js is not a migration: it must export the functions up and down/,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  test('the CLI: --migrations or tbp-models.config.js; rollback refuses while an applied migration is unknown, and asks --yes for the initial schema', async () => {
    const { db, url } = await open('app_cli');
    const migrated = await cli(['migrate', '--url', url, '--migrations', folder]);
    expect(migrated).toEqual({
      code: 0,
      out: `ran ${PACKAGE.length + 2} migration(s): ${[...PACKAGE, ...APP].join(', ')}\n`,
      err: '',
    });

    // Without the app's list, its migrations are unknown: status says so and rollback refuses.
    const status = await cli(['status', '--url', url]);
    expect(status.out).toBe(
      `${[
        ...PACKAGE.map((name) => `up       ${name}`),
        ...APP.map((name) => `unknown  ${name}  (applied, but not in the list given)`),
      ].join('\n')}\n`,
    );
    const refused = await cli(['rollback', '--url', url]);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      `tbp-models: Refusing to revert ${LAST}: the database has applied migrations that the list given does not have ` +
        `(${APP.join(', ')}), which may depend on it. Pass the list that has them (the CLI: --migrations <dir> or ` +
        'tbp-models.config.js; the API: migrations: [...MIGRATIONS, ...yours]).\n',
    );
    expect(await tables(db)).toContain('app_notes');
    expect(await executedMigrations(db.sequelize)).toHaveLength(PACKAGE.length + 2);

    // tbp-models.config.js in the current directory brings them.
    const configured = await cli(['status', '--url', url], app);
    expect(configured.out).toBe([...PACKAGE, ...APP].map((name) => `up       ${name}\n`).join(''));
    expect(await cli(['rollback', '--url', url], app)).toEqual({ code: 0, out: `reverted: ${APP[1]}\n`, err: '' });
    expect(await cli(['rollback', '--url', url, '--migrations', folder, '--to', APP[0] as string])).toEqual({
      code: 0,
      out: `reverted: ${APP[0]}\n`,
      err: '',
    });

    // Reverting the initial schema drops every package table: not without --yes.
    const unconfirmed = await cli(['rollback', '--all', '--url', url], app);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.err).toContain(`reverting ${PACKAGE[0]} drops every table of the package with its data`);
    expect(unconfirmed.err).toContain('--yes');
    expect(await executedMigrations(db.sequelize)).toEqual(PACKAGE);
    expect(await cli(['rollback', '--all', '--yes', '--url', url], app)).toEqual({
      code: 0,
      out: `reverted: ${[...PACKAGE].reverse().join(', ')}\n`,
      err: '',
    });
    expect(await tables(db)).toEqual([MIGRATION_TABLE]);
  }, 120_000);
});

describe('drift that knows whose table is whose', () => {
  test('the app’s tables are not ours; its columns on our tables are drift unless ignored', async () => {
    const { db, url } = await open('app_drift');
    await migrate(db.sequelize, { migrations: [...MIGRATIONS, ...loadMigrations(folder)] });
    expect(await schemaDrift(db.sequelize)).toEqual({
      differences: ['+ column users.app_flag: boolean NULL  (not in the models)'],
      notOurs: ['table app_notes', 'enum type app_mood'],
    });
    expect(await checkSchemaDrift(db.sequelize, { ignore: ['users.app_flag'] })).toEqual([]);
    expect(await checkSchemaDrift(db.sequelize, { ignore: (_table, column) => column === 'app_flag' })).toEqual([]);
    // Ignoring a table leaves it out on both sides, and out of "not ours".
    await db.sequelize.query('DROP INDEX tour_pages_project_id');
    expect(await schemaDrift(db.sequelize, { ignore: ['users', 'app_notes'] })).toEqual({
      differences: [expect.stringMatching(/^- index tour_pages \(projectId\)/)],
      notOurs: ['enum type app_mood'],
    });

    const drift = await cli(['drift', '--url', url]);
    expect(drift.code).toBe(1);
    expect(drift.out).toContain('+ column users.app_flag: boolean NULL  (not in the models)\n');
    expect(drift.out).toContain('not ours (left alone): table app_notes, enum type app_mood\n');
    await db.sequelize.query('CREATE INDEX tour_pages_project_id ON tour_pages ("projectId")');
    expect(await cli(['drift', '--url', url, '--ignore', 'users.app_flag'])).toEqual({
      code: 0,
      out: 'no drift\nnot ours (left alone): table app_notes, enum type app_mood\n',
      err: '',
    });
  }, 120_000);
});

describe('baseline', () => {
  test('adopts a database built by sync(), leaving the app’s tables alone; migrate then has nothing to do', async () => {
    const { db, url } = await open('baseline_synced');
    await db.sequelize.sync();
    await db.sequelize.query('CREATE TABLE app_extra (id int PRIMARY KEY, "userId" uuid REFERENCES users (id))');
    const adopted = await cli(['baseline', '--url', url]);
    expect(adopted).toEqual({
      code: 0,
      out: `recorded as applied: ${PACKAGE.join(', ')}\nnot ours (left alone): table app_extra\n`,
      err: '',
    });
    expect(await executedMigrations(db.sequelize)).toEqual(PACKAGE);
    expect(await cli(['migrate', '--url', url])).toEqual({ code: 0, out: 'no pending migrations\n', err: '' });
    expect(await checkSchemaDrift(db.sequelize)).toEqual([]);
    // A second baseline has nothing to do.
    const again = await cli(['baseline', '--url', url]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already records migrations');
    // No scratch namespace is left behind.
    const scratch = await db.sequelize.query(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tbp\\_scratch\\_%'",
      {
        type: 'SELECT',
      },
    );
    expect(scratch).toEqual([]);
  }, 120_000);

  test('is refused, with the differences listed and nothing recorded, when the schema is not what the migrations make', async () => {
    const { db, url } = await open('baseline_differs');
    await db.sequelize.sync();
    await db.sequelize.query('DROP INDEX tour_pages_project_id; ALTER TABLE projects ADD COLUMN legacy_code text');
    const refused = await cli(['baseline', '--url', url]);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/^tbp-models: baseline refused, nothing recorded\. The database schema is not what/);
    expect(refused.err).toContain(
      '\n- index tour_pages (projectId): tour_pages_project_id  (missing from the database)\n',
    );
    expect(refused.err).toContain('\n+ column projects.legacy_code: text NULL  (not in the models)\n');
    expect(await executedMigrations(db.sequelize)).toEqual([]);

    const empty = await open('baseline_empty');
    const error = await baseline(empty.db.sequelize).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BaselineRefusedError);
    expect((error as BaselineRefusedError).differences.length).toBeGreaterThan(250);
    expect(await executedMigrations(empty.db.sequelize)).toEqual([]);
  }, 120_000);

  test('records only the migrations the schema already has; migrate runs the rest', async () => {
    const { db } = await open('baseline_prefix');
    await db.sequelize.sync();
    const later: Migration = {
      name: '9999-later',
      async up({ context: { sequelize, transaction } }) {
        await sequelize.query('ALTER TABLE users ADD COLUMN later_flag boolean', { transaction });
      },
      async down({ context: { sequelize, transaction } }) {
        await sequelize.query('ALTER TABLE users DROP COLUMN later_flag', { transaction });
      },
    };
    const migrations = [...MIGRATIONS, later];
    expect(await baseline(db.sequelize, { migrations })).toEqual({ recorded: PACKAGE, notOurs: [] });
    expect(await migrate(db.sequelize, { migrations })).toEqual(['9999-later']);
    const columns = await db.sequelize.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'later_flag'",
      { type: 'SELECT' },
    );
    expect(columns).toHaveLength(1);
  }, 120_000);
});
