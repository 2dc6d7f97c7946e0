import type { ParseArgsConfig } from 'node:util';
import { seedRbac } from '../content/seed';
import type { Db } from '../db/create-db';
import { executedMigrations, migrate, pendingMigrations, rollback } from '../migrations/runner';
import { schemaDdl } from '../schema/ddl';
import { erDiagram } from '../schema/erd';
import { runDemo } from './demo';
import { type CliIo, progress, type Target, UsageError, withDb } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** One `tbp-models` command: its help and what it does. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The command's own help, after its usage line. */
  help: string;
  /** Options besides `--help` (and `--url` where `database` is set). */
  options: Options;
  /** Whether the command works on a database (takes `--url`, reads `DATABASE_URL`). */
  database: boolean;
  run(values: Values, target: Target, io: CliIo): Promise<void>;
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

export const COMMANDS: readonly Command[] = [
  {
    name: 'demo',
    summary: 'build the schema, seed roles, create a sample tour, save it to stage and publish it',
    help: 'Runs again on the same database without duplicating anything: it finds its rows by natural keys.',
    options: {},
    database: true,
    run: (_, target, io) =>
      withDb(target, io, async (db) => {
        await migrateWithProgress(db, io);
        await seedWithProgress(db, io);
        io.out(`${await runDemo(db)}\n`);
      }),
  },
  {
    name: 'migrate',
    summary: 'run the pending migrations',
    help: 'Runs every migration not yet recorded in "SequelizeMeta", each in its own transaction.',
    options: {},
    database: true,
    run: (_, target, io) =>
      withDb(target, io, async (db) => {
        const ran = await migrateWithProgress(db, io);
        io.out(ran.length > 0 ? `ran ${ran.length} migration(s): ${ran.join(', ')}\n` : 'no pending migrations\n');
      }),
  },
  {
    name: 'rollback',
    summary: 'revert the last migration (--all: every one)',
    help: '  --all    revert every migration, dropping the package tables and their data',
    options: { all: { type: 'boolean' } },
    database: true,
    run: (values, target, io) =>
      withDb(target, io, async (db) => {
        const reverted = await rollback(db.sequelize, values.all ? { to: 0 } : {});
        io.out(reverted.length > 0 ? `reverted: ${reverted.join(', ')}\n` : 'nothing to revert\n');
      }),
  },
  {
    name: 'status',
    summary: 'list the migrations, run and pending',
    help: 'One line per migration: "up" (recorded as run) or "pending".',
    options: {},
    database: true,
    run: (_, target, io) =>
      withDb(target, io, async (db) => {
        const executed = await executedMigrations(db.sequelize);
        const pending = await pendingMigrations(db.sequelize);
        io.out(
          `${[...executed.map((name) => `up       ${name}`), ...pending.map((name) => `pending  ${name}`)].join('\n')}\n`,
        );
      }),
  },
  {
    name: 'seed',
    summary: 'create the RBAC permissions and roles (idempotent)',
    help: 'Migrates first; a second run creates nothing, a later one adds only what is missing.',
    options: {},
    database: true,
    run: (_, target, io) =>
      withDb(target, io, async (db) => {
        await migrateWithProgress(db, io);
        const report = await seedWithProgress(db, io);
        io.out(
          `permissions created: ${report.permissionsCreated}, roles created: ${report.rolesCreated}, grants added: ${report.grantsAdded}\n`,
        );
      }),
  },
  {
    name: 'schema',
    summary: 'print the PostgreSQL DDL of the models',
    help: 'The statements sync() runs: types, tables, indexes, then the keys that close the users <-> roles cycle.',
    options: {},
    database: false,
    run: async (_, __, io) => io.out(await schemaDdl()),
  },
  {
    name: 'erd',
    summary: 'print a Mermaid erDiagram of the models',
    help: 'Every table with its columns and every association with its aliases.',
    options: {},
    database: false,
    run: async (_, __, io) => io.out(erDiagram()),
  },
];

export function commandNamed(name: string | undefined): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map(({ name }) => name).join(', ')}`);
  }
  return command;
}
