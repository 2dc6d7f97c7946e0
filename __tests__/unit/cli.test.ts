import { type CliIo, main } from '../../src/cli';
import { MIGRATIONS } from '../../src/migrations/list';

const NAMES = MIGRATIONS.map((migration) => migration.name);

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
  });

  test('shows progress on a terminal', async () => {
    const run = capture({ interactive: true });
    expect(await main(['seed'], run.io)).toBe(0);
    expect(run.err()).toContain('\r\u001b[2Kmigrating 0001-initial-schema');
    expect(run.err()).toMatch(/seeding \[\d+\/\d+\] role Public/);
    expect(run.out()).toMatch(/^permissions created: 84, roles created: 4, grants added: \d+\n$/);
  });

  test('migrate, status and rollback', async () => {
    const migrateRun = capture();
    expect(await main(['migrate'], migrateRun.io)).toBe(0);
    expect(migrateRun.out()).toBe(`ran ${NAMES.length} migration(s): ${NAMES.join(', ')}\n`);
    const status = capture();
    expect(await main(['status'], status.io)).toBe(0);
    expect(status.out()).toBe(NAMES.map((name) => `pending  ${name}\n`).join(''));
    const rollbackRun = capture();
    expect(await main(['rollback'], rollbackRun.io)).toBe(0);
    expect(rollbackRun.out()).toBe('nothing to revert\n');
  });

  test('schema prints the DDL of every table', async () => {
    const run = capture();
    expect(await main(['schema'], run.io)).toBe(0);
    const ddl = run.out();
    expect(ddl.match(/^CREATE TABLE/gm)).toHaveLength(23);
    expect(ddl.match(/^CREATE TYPE/gm)).toHaveLength(16);
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
    [['frob'], 2, 'tbp-models: unknown command "frob"; commands: demo, migrate, rollback, status, seed, schema, erd'],
    [['migrate', 'now'], 2, 'tbp-models: unexpected argument "now"'],
    [['migrate', '--frob'], 2, "tbp-models: Unknown option '--frob'"],
    [
      ['migrate', '--url', 'mysql://h/db'],
      1,
      'tbp-models: DATABASE_URL must start with postgres:// or postgresql://, got "mysql://"',
    ],
    [
      ['migrate', '--url', 'postgres://u@127.0.0.1:1/db'],
      1,
      'tbp-models: cannot connect to PostgreSQL at 127.0.0.1:1: ECONNREFUSED',
    ],
  ])('%j fails with exit %i and one clear line', async (argv, code, line) => {
    const run = capture();
    expect(await main(argv, run.io)).toBe(code);
    expect(run.err().split('\n')[0]).toContain(line);
    expect(run.out()).toBe('');
  });

  test('DATABASE_URL from the environment is used', async () => {
    const run = capture({ env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/db' } });
    expect(await main(['status'], run.io)).toBe(1);
    expect(run.err()).toContain('cannot connect to PostgreSQL at 127.0.0.1:1');
  });

  test('--help prints the usage; no command prints it and fails', async () => {
    const help = capture();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.out()).toContain('usage: tbp-models <command>');
    const none = capture();
    expect(await main([], none.io)).toBe(2);
  });
});
