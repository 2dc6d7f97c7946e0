import type { ParseArgsConfig } from 'node:util';
import { DurationError, parseDuration, pruneAccessLogs } from '../access/logs';
import { PUBLISH_STEPS, PublishError, publishEnvironment, resolveProject } from '../content/publish';
import { formatPublishPreview, previewPublish } from '../content/publish-preview';
import { seedRbac } from '../content/seed';
import type { Db } from '../db/create-db';
import { BaselineRefusedError, baseline } from '../migrations/baseline';
import { schemaDrift } from '../migrations/drift';
import { MIGRATIONS, type Migration } from '../migrations/list';
import { migrate, migrationStatus, rollback, rollbackPlan } from '../migrations/runner';
import { schemaDdl } from '../schema/ddl';
import { erDiagram } from '../schema/erd';
import { appMigrations } from './config';
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
  /** Resolves to the exit code, 0 when it returns nothing. */
  run(values: Values, target: Target, io: CliIo): Promise<number | undefined>;
}

const MIGRATIONS_OPTION = { migrations: { type: 'string' } } as const;
const MIGRATIONS_HELP = [
  "  --migrations DIR  the app's own migrations: a folder of .js/.cjs files exporting up and down, run after",
  "                    the package's, by file name (default: the migrations of tbp-models.config.js, if any)",
].join('\n');

/** The package's migrations, then the app's (from `--migrations` or tbp-models.config.js). */
function migrationList(values: Values, io: CliIo): Migration[] {
  return [...MIGRATIONS, ...appMigrations(values.migrations as string | undefined, io.cwd ?? process.cwd())];
}

async function migrateWithProgress(db: Db, io: CliIo, migrations: readonly Migration[]): Promise<string[]> {
  const bar = progress(io);
  const ran = await migrate(db.sequelize, {
    migrations,
    onProgress: ({ name, phase, skipped }) =>
      bar.update(`migrating ${name} ${phase === 'start' ? '...' : skipped ? 'done by another process' : 'done'}`),
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
        await migrateWithProgress(db, io, MIGRATIONS);
        await seedWithProgress(db, io);
        io.out(`${await runDemo(db)}\n`);
        return 0;
      }),
  },
  {
    name: 'migrate',
    summary: 'run the pending migrations',
    help: [
      'Runs every migration not yet recorded in "SequelizeMeta", each in its own transaction, under a PostgreSQL',
      'advisory lock: several processes can migrate at once, and each migration runs once.',
      '',
      MIGRATIONS_HELP,
    ].join('\n'),
    options: MIGRATIONS_OPTION,
    database: true,
    run: (values, target, io) =>
      withDb(target, io, async (db) => {
        const ran = await migrateWithProgress(db, io, migrationList(values, io));
        io.out(ran.length > 0 ? `ran ${ran.length} migration(s): ${ran.join(', ')}\n` : 'no pending migrations\n');
        return 0;
      }),
  },
  {
    name: 'rollback',
    summary: 'revert the last migration (--to NAME: down to it, --all: every one)',
    help: [
      'Refused while the database has applied migrations that the list does not have (pass --migrations).',
      '',
      '  --to NAME         revert the applied migrations down to and including NAME',
      '  --all             revert every migration',
      `  --yes             needed to revert ${MIGRATIONS[0]?.name}, which drops every table of the package and its data`,
      MIGRATIONS_HELP,
    ].join('\n'),
    options: { all: { type: 'boolean' }, to: { type: 'string' }, yes: { type: 'boolean' }, ...MIGRATIONS_OPTION },
    database: true,
    run: (values, target, io) =>
      withDb(target, io, async (db) => {
        if (values.all && values.to !== undefined) throw new UsageError('give --all or --to, not both', 'rollback');
        const options = {
          migrations: migrationList(values, io),
          ...(values.all ? { to: 0 as const } : values.to !== undefined ? { to: values.to as string } : {}),
        };
        const initial = MIGRATIONS[0]?.name;
        const plan = await rollbackPlan(db.sequelize, options);
        if (initial !== undefined && plan.includes(initial) && !values.yes) {
          io.err(
            `tbp-models: this would revert ${plan.join(', ')}; reverting ${initial} drops every table of the ` +
              'package with its data. Run it again with --yes to do it.\n',
          );
          return 1;
        }
        const reverted = await rollback(db.sequelize, options);
        io.out(reverted.length > 0 ? `reverted: ${reverted.join(', ')}\n` : 'nothing to revert\n');
        return 0;
      }),
  },
  {
    name: 'status',
    summary: 'list the migrations, run and pending',
    help: [
      'One line per migration: "up" (recorded as run), "pending", or "unknown" (recorded as run, but not in the',
      'list: an app migration that --migrations did not bring). Reads only: creates nothing.',
      '',
      MIGRATIONS_HELP,
    ].join('\n'),
    options: MIGRATIONS_OPTION,
    database: true,
    run: (values, target, io) =>
      withDb(target, io, async (db) => {
        const states = await migrationStatus(db.sequelize, { migrations: migrationList(values, io) });
        const line = ({ name, state }: { name: string; state: string }) =>
          `${state.padEnd(9)}${name}${state === 'unknown' ? '  (applied, but not in the list given)' : ''}`;
        io.out(`${states.map(line).join('\n')}\n`);
        return 0;
      }),
  },
  {
    name: 'baseline',
    summary: 'adopt a database built by sync() or another tool: check its schema, record the migrations',
    help: [
      "Runs the migrations one by one in a scratch namespace and compares the live schema (the package's tables",
      'only) with the schema after each; records as applied every migration up to the last one that matches.',
      '"migrate" then runs the rest. Refused, with the differences listed, when none matches, and when the',
      'database already records migrations.',
      '',
      MIGRATIONS_HELP,
    ].join('\n'),
    options: MIGRATIONS_OPTION,
    database: true,
    run: (values, target, io) =>
      withDb(target, io, async (db) => {
        try {
          const result = await baseline(db.sequelize, { migrations: migrationList(values, io) });
          io.out(`recorded as applied: ${result.recorded.join(', ')}\n`);
          if (result.notOurs.length > 0) io.out(`not ours (left alone): ${result.notOurs.join(', ')}\n`);
          return 0;
        } catch (error) {
          if (!(error instanceof BaselineRefusedError)) throw error;
          io.err(`tbp-models: baseline refused, nothing recorded. ${error.message}\n`);
          return 1;
        }
      }),
  },
  {
    name: 'drift',
    summary: "compare the package's tables in the database with the models",
    help: [
      'Prints every difference ("-" missing from the database, "+" not in the models, "~" different) and exits 1',
      'when there is one. Tables that are not the package\'s are listed apart as "not ours".',
      '',
      '  --ignore NAMES    tables (app_notes) or columns (users.app_flag) to leave out, comma-separated',
    ].join('\n'),
    options: { ignore: { type: 'string', multiple: true } },
    database: true,
    run: (values, target, io) =>
      withDb(target, io, async (db) => {
        const ignore = ((values.ignore as string[] | undefined) ?? []).flatMap((value) =>
          value.split(',').map((name) => name.trim()),
        );
        const report = await schemaDrift(db.sequelize, { ignore: ignore.filter(Boolean) });
        io.out(report.differences.length > 0 ? `${report.differences.join('\n')}\n` : 'no drift\n');
        if (report.notOurs.length > 0) io.out(`not ours (left alone): ${report.notOurs.join(', ')}\n`);
        return report.differences.length > 0 ? 1 : 0;
      }),
  },
  {
    name: 'seed',
    summary: 'create the RBAC permissions and roles (idempotent)',
    help: [
      'Migrates first; a second run creates nothing, a later one adds only what is missing. Under the migration',
      'lock, so that seeds started together create each row once.',
      '',
      MIGRATIONS_HELP,
    ].join('\n'),
    options: MIGRATIONS_OPTION,
    database: true,
    run: (values, target, io) =>
      withDb(target, io, async (db) => {
        await migrateWithProgress(db, io, migrationList(values, io));
        const report = await seedWithProgress(db, io);
        io.out(
          `permissions created: ${report.permissionsCreated}, roles created: ${report.rolesCreated}, grants added: ${report.grantsAdded}\n`,
        );
        return 0;
      }),
  },
  {
    name: 'publish',
    summary: 'publish a project dev -> stage or stage -> production (--dry-run: only show what would change)',
    help: [
      '  --project ID|SLUG   required: the project',
      '  --from ENV --to ENV required: dev -> stage (save to stage) or stage -> production (publish)',
      '  --dry-run           print what the publish would create, update and remove, and write nothing',
      '  --user ID           the user recorded on the publish event and the copies',
      '',
      'Prints the preview, then publishes and prints the publish event. A publish of the same project that is',
      'under way is waited for (10 s at most).',
    ].join('\n'),
    options: {
      project: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      user: { type: 'string' },
    },
    database: true,
    run: (values, target, io) => {
      const { project: key, from, to, user } = values as Record<string, string | undefined>;
      if (!key) throw new UsageError('--project is required (an id or a slug)', 'publish');
      const step = PUBLISH_STEPS.find((candidate) => candidate.from === from && candidate.to === to);
      if (!step) {
        const steps = PUBLISH_STEPS.map((candidate) => `--from ${candidate.from} --to ${candidate.to}`).join(' or ');
        throw new UsageError(`give ${steps}`, 'publish');
      }
      return withDb(target, io, async (db) => {
        try {
          const project = await resolveProject(db, key);
          io.out(`${formatPublishPreview(await previewPublish(db, project.id, step.from, step.to), project)}\n`);
          if (values['dry-run']) return 0;
          const result = await publishEnvironment(db, project.id, step.from, step.to, { userId: user ?? null });
          io.out(
            `${step.title}: ${step.from} -> ${step.to} of ${project.name} (${project.slug}): ${result.pagesCopied} page(s), ` +
              `${result.transitionsCopied} transition setting(s), ${result.audiosCopied} audio track(s) (event ${result.event.id})\n`,
          );
          return 0;
        } catch (error) {
          if (!(error instanceof PublishError)) throw error;
          io.err(`tbp-models: ${error.message}\n`);
          return 1;
        }
      });
    },
  },
  {
    name: 'prune-access-logs',
    summary: 'delete access logs older than an age, in short batches (safe on a live database)',
    help: [
      '  --older-than AGE   required: a whole number and a unit (ms, s, m, h, d, w), e.g. 90d',
      '  --batch-size N     rows a statement (default 1000): each batch holds its locks only briefly',
    ].join('\n'),
    options: { 'older-than': { type: 'string' }, 'batch-size': { type: 'string' } },
    database: true,
    run: (values, target, io) => {
      const age = values['older-than'];
      if (typeof age !== 'string')
        throw new UsageError('--older-than is required (e.g. --older-than 90d)', 'prune-access-logs');
      let olderThan: number;
      try {
        olderThan = parseDuration(age);
      } catch (error) {
        if (error instanceof DurationError) throw new UsageError(`--older-than: ${error.message}`, 'prune-access-logs');
        throw error;
      }
      const batch = values['batch-size'];
      const batchSize = batch === undefined ? 1000 : Number(batch);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new UsageError(`--batch-size must be a positive whole number, got "${batch}"`, 'prune-access-logs');
      }
      return withDb(target, io, async (db) => {
        const cutoff = new Date(Date.now() - olderThan);
        const deleted = await pruneAccessLogs(db, { olderThan: cutoff, batchSize });
        io.out(`deleted ${deleted} access log(s) from before ${cutoff.toISOString()}\n`);
        return 0;
      });
    },
  },
  {
    name: 'schema',
    summary: 'print the PostgreSQL DDL of the models',
    help: 'The statements sync() runs: types, tables, indexes, then the keys that close the users <-> roles cycle.',
    options: {},
    database: false,
    run: async (_, __, io) => {
      io.out(await schemaDdl());
      return 0;
    },
  },
  {
    name: 'erd',
    summary: 'print a Mermaid erDiagram of the models',
    help: 'Every table with its columns and every association with its aliases.',
    options: {},
    database: false,
    run: async (_, __, io) => {
      io.out(erDiagram());
      return 0;
    },
  },
];

export function commandNamed(name: string | undefined): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map(({ name }) => name).join(', ')}`);
  }
  return command;
}
