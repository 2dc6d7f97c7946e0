import { type CliIo, main } from '../../src/cli';
import { MIGRATIONS } from '../../src/migrations/list';

function capture(options: { interactive?: boolean; env?: Record<string, string | undefined> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    interactive: options.interactive ?? false,
    env: options.env ?? {},
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

describe('tbp-models', () => {
  test('demo builds a tour, saves it to stage and publishes it', async () => {
    const run = capture();
    expect(await main(['demo'], run.io)).toBe(0);
    const output = run.out();
    for (const environment of ['dev', 'stage', 'production']) {
      expect(output).toContain(`${environment}: 3 pages, 1 transition setting, 1 audio track`);
    }
    expect(output).toMatch(/Save to stage\s+dev -> stage\s+success\s+3\s+1\s+1/);
    expect(output).toMatch(/Publish\s+stage -> production\s+success\s+3\s+1\s+1/);
    expect(output).toMatch(/lobby\s+Lobby\s+0\s+4\s+\(original\)/);
    // Not a terminal: no progress, only the note that the database is in memory.
    expect(run.err()).toBe('(in-memory database: nothing is kept after this command)\n');
  }, 30_000);

  test('shows progress on a terminal', async () => {
    const run = capture({ interactive: true });
    expect(await main(['seed'], run.io)).toBe(0);
    expect(run.err()).toContain('\r\u001b[2Kmigrating 0001-initial-schema');
    expect(run.err()).toMatch(/seeding \[\d+\/\d+\] role Public/);
    expect(run.out()).toMatch(/^permissions created: 88, roles created: 4, grants added: \d+\n$/);
  });

  test('migrate, status and rollback', async () => {
    const migrateRun = capture();
    expect(await main(['migrate'], migrateRun.io)).toBe(0);
    const names = MIGRATIONS.map((migration) => migration.name);
    expect(migrateRun.out()).toBe(`ran ${names.length} migration(s): ${names.join(', ')}\n`);
    const status = capture();
    expect(await main(['status'], status.io)).toBe(0);
    expect(status.out()).toBe(`${names.map((name) => `pending  ${name}`).join('\n')}\n`);
    const rollbackRun = capture();
    expect(await main(['rollback'], rollbackRun.io)).toBe(0);
    expect(rollbackRun.out()).toBe('nothing to revert\n');
  });

  test('schema prints the DDL of every table', async () => {
    const run = capture();
    expect(await main(['schema'], run.io)).toBe(0);
    const ddl = run.out();
    expect(ddl.match(/^CREATE TABLE/gm)).toHaveLength(24);
    expect(ddl.match(/^CREATE TYPE/gm)).toHaveLength(17);
    expect(ddl).toContain(
      'CREATE UNIQUE INDEX "production_presentation_access_project_id_user_id" ON "production_presentation_access" ("projectId", "userId") WHERE "deletedAt" IS NULL;',
    );
    expect(ddl).toContain('ALTER TABLE "users" ADD CONSTRAINT "users_app_roleId_fkey" FOREIGN KEY ("app_roleId")');
  });

  test('erd prints a Mermaid diagram', async () => {
    const run = capture();
    expect(await main(['erd'], run.io)).toBe(0);
    expect(run.out()).toMatch(/^erDiagram\n/);
    expect(run.out()).toContain('projects ||--o{ tour_pages : "tour_pages_project / project"');
  });

  test.each([
    [
      ['frob'],
      2,
      'tbp-models: unknown command "frob"; commands: demo, migrate, rollback, status, baseline, drift, seed, publish, prune-access-logs, schema, erd',
    ],
    [['migrate', 'now'], 2, 'tbp-models: unexpected argument "now"'],
    [['migrate', '--frob'], 2, "tbp-models: Unknown option '--frob'"],
    [['migrate', '--all'], 2, "tbp-models: Unknown option '--all'"],
    [['schema', '--url', 'postgres://h/db'], 2, "tbp-models: Unknown option '--url'"],
    [['--url', 'postgres://h/db', 'migrate'], 2, 'tbp-models: expected a command before "--url"'],
    [
      ['migrate', '--url', 'mysql://h/db'],
      1,
      'tbp-models: --url must start with postgres:// or postgresql://, got "mysql://"',
    ],
    [['migrate', '--url', 'not a url'], 1, 'tbp-models: --url is not a valid URL'],
    [
      ['migrate', '--url', 'postgres://u@127.0.0.1:1/db'],
      1,
      'tbp-models: cannot connect to PostgreSQL at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
    ],
  ])('%j fails with exit %i and one clear line', async (argv, code, line) => {
    const run = capture();
    expect(await main(argv, run.io)).toBe(code);
    expect(run.err().split('\n')[0]).toContain(line);
    expect(run.out()).toBe('');
  });

  test('a usage mistake points to the help of the command it was made in', async () => {
    const run = capture();
    expect(await main(['rollback', '--frob'], run.io)).toBe(2);
    expect(run.err()).toContain('run "tbp-models help rollback" for the options');
  });

  test.each([
    ['postgres://app:S3cret@127.0.0.1:notaport/db'],
    ['postgres://app:S3cret@127.0.0.1:70000/db'],
    ['postgres://app:S3cret@127.0.0.1:1/'],
    ['postgres://app:S3cret@127.0.0.1:1/db'],
  ])('never prints the password of %s', async (url) => {
    for (const argv of [
      ['status', '--url', url],
      ['migrate', '--url', url],
    ]) {
      const run = capture();
      expect(await main(argv, run.io)).toBe(1);
      expect(run.err()).not.toContain('S3cret');
      expect(run.out()).not.toContain('S3cret');
    }
  });

  test('DATABASE_URL from the environment is used, and named in its errors', async () => {
    const run = capture({ env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/db' } });
    expect(await main(['status'], run.io)).toBe(1);
    expect(run.err()).toContain('cannot connect to PostgreSQL at 127.0.0.1:1');
    const bad = capture({ env: { DATABASE_URL: 'mysql://h/db' } });
    expect(await main(['status'], bad.io)).toBe(1);
    expect(bad.err()).toContain('DATABASE_URL must start with postgres://');
  });

  test('--help, help and no command print the usage', async () => {
    for (const argv of [['--help'], ['help'], []]) {
      const run = capture();
      expect(await main(argv, run.io)).toBe(0);
      expect(run.out()).toContain('usage: tbp-models <command> [options]');
      expect(run.out()).toMatch(/\n {2}rollback +revert the last migration/);
    }
  });

  test.each([[['help', 'rollback']], [['rollback', '--help']], [['rollback', '-h']]])(
    "%j prints the command's own help",
    async (argv) => {
      const run = capture();
      expect(await main(argv, run.io)).toBe(0);
      expect(run.out()).toMatch(
        /^usage: tbp-models rollback \[--url URL\] \[--all\] \[--to NAME\] \[--yes\] \[--migrations DIR\]\n/,
      );
      expect(run.out()).toContain('  --all             revert every migration\n');
      expect(run.out()).toContain('  --yes             needed to revert 0001-initial-schema');
      expect(run.out()).toContain('  --migrations DIR  the app');
      expect(run.out()).toContain('  --url URL         postgres://');
    },
  );

  test.each([
    [['prune-access-logs'], '--older-than is required (e.g. --older-than 90d)'],
    [['publish', '--from', 'dev', '--to', 'stage'], '--project is required'],
    [
      ['publish', '--project', 'p', '--from', 'dev', '--to', 'production'],
      'give --from dev --to stage or --from stage --to production',
    ],
    [['prune-access-logs', '--older-than', 'ninety days'], '--older-than: Cannot read the duration'],
    [['prune-access-logs', '--older-than', '90d', '--batch-size', '0'], '--batch-size must be a positive whole number'],
  ])('%j is a usage error', async (argv, message) => {
    const run = capture();
    expect(await main(argv, run.io)).toBe(2);
    expect(run.err()).toContain(message);
    expect(run.err()).toContain(`tbp-models help ${argv[0]}`);
  });

  test('help of an unknown command is a usage error', async () => {
    const run = capture();
    expect(await main(['help', 'frob'], run.io)).toBe(2);
    expect(run.err()).toContain('unknown command "frob"');
  });
});
