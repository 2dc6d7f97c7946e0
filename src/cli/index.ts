#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConnectionError } from 'sequelize';
import { closeDefaultHasher } from '../auth/password';
import { seedRbac } from '../content/seed';
import { DbConfigError } from '../db/config';
import { createDb, type Db } from '../db/create-db';
import { executedMigrations, migrate, pendingMigrations, rollback } from '../migrations/runner';
import { erDiagram, schemaDdl } from '../schema/describe';
import { runDemo } from './demo';

const USAGE = `usage: tbp-models <command> [--url postgres://user:password@host:port/database]

commands:
  demo      build the schema, seed roles, create a sample tour, save it to stage and publish it
  migrate   run the pending migrations
  rollback  revert the last migration (--all: every one)
  status    list the migrations, run and pending
  seed      create the RBAC permissions and roles (idempotent)
  schema    print the PostgreSQL DDL of the models
  erd       print a Mermaid erDiagram of the models

Without --url or DATABASE_URL the database is an in-memory pg-mem one, gone when the command ends.`;

const COMMANDS = ['demo', 'migrate', 'rollback', 'status', 'seed', 'schema', 'erd'] as const;
type Command = (typeof COMMANDS)[number];

/** Where the CLI writes; a test passes its own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether `err` is a terminal: progress is shown only there. */
  interactive: boolean;
  env: Record<string, string | undefined>;
}

/** Raised for a usage mistake: printed with the usage, exit code 2. */
class UsageError extends Error {}

function progress(io: CliIo) {
  let open = false;
  return {
    update(text: string) {
      if (!io.interactive) return;
      io.err(`\r\u001b[2K${text}`);
      open = true;
    },
    done() {
      if (open) io.err('\n');
      open = false;
    },
  };
}

function openDb(url: string | undefined): Db {
  return url ? createDb({ url, logging: false }) : createDb({ inMemory: true, logging: false });
}

async function withDb<T>(url: string | undefined, io: CliIo, work: (db: Db) => Promise<T>): Promise<T> {
  const db = openDb(url);
  if (!url) io.err('(in-memory database: nothing is kept after this command)\n');
  try {
    return await work(db);
  } finally {
    await db.sequelize.close();
  }
}

async function migrateWithProgress(db: Db, io: CliIo): Promise<string[]> {
  const bar = progress(io);
  const ran = await migrate(db.sequelize, {
    onProgress: ({ name, phase }) => bar.update(`migrating ${name} ${phase === 'start' ? '...' : 'done'}`),
  });
  bar.done();
  return ran;
}

async function seedWithProgress(db: Db, io: CliIo) {
  const bar = progress(io);
  const report = await seedRbac(db, {
    onProgress: (done, total, what) => bar.update(`seeding [${done}/${total}] ${what}`),
  });
  bar.done();
  return report;
}

async function run(command: Command, url: string | undefined, all: boolean, io: CliIo): Promise<void> {
  switch (command) {
    case 'schema':
      io.out(await schemaDdl());
      return;
    case 'erd':
      io.out(erDiagram());
      return;
    case 'migrate':
      return withDb(url, io, async (db) => {
        const ran = await migrateWithProgress(db, io);
        io.out(ran.length > 0 ? `ran ${ran.length} migration(s): ${ran.join(', ')}\n` : 'no pending migrations\n');
      });
    case 'rollback':
      return withDb(url, io, async (db) => {
        const reverted = await rollback(db.sequelize, all ? { to: 0 } : {});
        io.out(reverted.length > 0 ? `reverted: ${reverted.join(', ')}\n` : 'nothing to revert\n');
      });
    case 'status':
      return withDb(url, io, async (db) => {
        const executed = await executedMigrations(db.sequelize);
        const pending = await pendingMigrations(db.sequelize);
        io.out(
          `${[...executed.map((name) => `up       ${name}`), ...pending.map((name) => `pending  ${name}`)].join('\n')}\n`,
        );
      });
    case 'seed':
      return withDb(url, io, async (db) => {
        await migrateWithProgress(db, io);
        const report = await seedWithProgress(db, io);
        io.out(
          `permissions created: ${report.permissionsCreated}, roles created: ${report.rolesCreated}, grants added: ${report.grantsAdded}\n`,
        );
      });
    case 'demo':
      return withDb(url, io, async (db) => {
        await migrateWithProgress(db, io);
        await seedWithProgress(db, io);
        io.out(`${await runDemo(db)}\n`);
      });
  }
}

/** One line that says what went wrong, in words a user can act on. */
function describeError(error: unknown, url: string | undefined): string {
  if (error instanceof ConnectionError) {
    const target = url ? new URL(url).host : 'the database';
    const reason = (error as { parent?: { code?: string; message?: string } }).parent;
    return `cannot connect to PostgreSQL at ${target}: ${reason?.code ?? reason?.message ?? error.message}`;
  }
  if (error instanceof DbConfigError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let url: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { url: { type: 'string' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help || positionals.length === 0) {
      io.out(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const [command, ...extra] = positionals;
    if (!(COMMANDS as readonly string[]).includes(command ?? '')) {
      throw new UsageError(`unknown command "${command}"; commands: ${COMMANDS.join(', ')}`);
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    url = values.url ?? io.env.DATABASE_URL ?? undefined;
    await run(command as Command, url, values.all ?? false, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`tbp-models: ${(error as Error).message}\nrun "tbp-models --help" for the commands\n`);
      return 2;
    }
    io.err(`tbp-models: ${describeError(error, url)}\n`);
    return 1;
  } finally {
    await closeDefaultHasher();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: Boolean(process.stderr.isTTY),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
