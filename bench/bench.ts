/**
 * `npm run bench`: what the package costs, side by side with plain Sequelize
 * and raw pg, on the local PostgreSQL. Interleaved rounds, medians with their
 * spread; prints a table and writes it to bench/RESULTS.md. A script, not a test.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { Pool } from 'pg';
import { type IncludeOptions, type Model, type ModelStatic, Sequelize, type WhereOptions } from 'sequelize';
import { createDb, type Db, importRows, loadEditorView, loadPresentation, migrate, models } from '../src';
import { HashPool } from '../src/auth/hash-pool';
import { createTestDb } from '../src/testing';
import {
  type Fixture,
  freshDatabase,
  IMPORT_COLUMN_NAMES,
  IMPORT_ROWS,
  median,
  PAGES_PER_PROJECT,
  PROJECTS,
  prepareImport,
  SLICE,
  seed,
  seedPresentations,
  summary,
  timeInSlices,
  uiSchema,
  urlOf,
} from './data';
import { plainSchemaSource } from './plain-schema';
import { benchPublish, writeSection } from './publish';

const ROOT = join(__dirname, '..');
const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tbp_bench';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/** Only the operations whose name contains this, printed and not written to RESULTS.md: for working on one. */
const FILTER = process.env.BENCH_FILTER;

// ---------------------------------------------------------------------------------------------- queries

type Variant = 'package' | 'plain' | 'raw';
const VARIANTS: Variant[] = ['package', 'plain', 'raw'];

/** A model of the plain schema: no typed attributes, as `sequelize.define` gives it. */
type PlainModel = ModelStatic<Model<Record<string, unknown>, Record<string, unknown>>>;

interface Subjects {
  db: Db;
  plain: Record<string, PlainModel>;
  pool: Pool;
}

interface Operation {
  name: string;
  /** How many times one sample runs it. */
  times: number;
  /** Plain Sequelize is left out where it has no equivalent (the rules of D9). */
  run: Record<'package' | 'raw', Run> & { plain?: Run };
  /** Work done before a sample, outside the timing. */
  prepare?: (variant: Variant, round: number) => Promise<void>;
  /** The package's bound: at most `max` times the variant's time (default: 1.10x plain Sequelize). */
  target?: { against: 'plain' | 'raw'; max: number };
}

type Run = (i: number, round: number) => Promise<unknown>;

const IMPORT_COLUMNS = IMPORT_COLUMN_NAMES.map((column) => `"${column}"`).join(', ');

const RAW_INCLUDE = `
  SELECT p.*, tp.id AS "tp.id", tp.name AS "tp.name", tp.slug AS "tp.slug", tp.ui_schema_json AS "tp.ui",
         m.id AS "m.id", m.access_level AS "m.access", u.id AS "u.id", u.email AS "u.email"
  FROM projects p
  INNER JOIN tour_pages tp ON tp."projectId" = p.id AND tp."deletedAt" IS NULL AND tp.environment = 'production'
  LEFT JOIN project_memberships m ON m."projectId" = p.id AND m."deletedAt" IS NULL
  LEFT JOIN users u ON u.id = m."userId" AND u."deletedAt" IS NULL
  WHERE p.id = $1 AND p."deletedAt" IS NULL`;

// The same answers as loadPresentation and loadEditorView, as someone would write them by hand: one statement,
// the JSON built by the server, every list ordered, soft-deleted rows left out, no secret selected.
const RAW_PRESENTATION = `
SELECT json_build_object(
  'project', to_json(p),
  'pages', coalesce((SELECT json_agg(x ORDER BY x.sort_order, x.slug) FROM tour_pages x
    WHERE x."projectId" = p.id AND x.environment = $2 AND x."deletedAt" IS NULL), '[]'),
  'transitionSettings', (SELECT to_json(x) FROM project_transition_settings x
    WHERE x."projectId" = p.id AND x.environment = $3 AND x."deletedAt" IS NULL LIMIT 1),
  'uiControlSettings', (SELECT to_json(x) FROM project_ui_control_settings x
    WHERE x."projectId" = p.id AND x.environment = $4 AND x."deletedAt" IS NULL LIMIT 1),
  'audioTracks', coalesce((SELECT json_agg(x ORDER BY x.sort_order, x.id) FROM project_audio_tracks x
    WHERE x."projectId" = p.id AND x.environment = $5 AND x."deletedAt" IS NULL), '[]'),
  'elementDefaults', coalesce((SELECT json_agg(x ORDER BY x.sort_order, x.element_type) FROM project_element_defaults x
    WHERE x."projectId" = p.id AND x."deletedAt" IS NULL), '[]')
) AS answer
FROM projects p WHERE p.id = $1 AND p."deletedAt" IS NULL`;

// D9 by hand: the presentation if the viewer ($2) may see it, its pages filtered by requires_auth.
const RAW_VISIBLE_PRESENTATION = `
WITH v AS (SELECT u.id, u."app_roleId" FROM users u WHERE u.id = $2 AND u."deletedAt" IS NULL AND NOT u.disabled),
p AS (SELECT * FROM projects WHERE id = $1 AND "deletedAt" IS NULL),
f AS (
  SELECT EXISTS (SELECT 1 FROM v) AS signed_in, EXISTS (SELECT 1 FROM v WHERE
      EXISTS (SELECT 1 FROM project_memberships m WHERE m."projectId" = $1 AND m."userId" = v.id
        AND m.is_active AND m."deletedAt" IS NULL)
      OR EXISTS (SELECT 1 FROM production_presentation_access g WHERE g."projectId" = $1 AND g."userId" = v.id
        AND g."deletedAt" IS NULL)
      OR EXISTS (SELECT 1 FROM roles r
        JOIN "rolesPermissionsPermissions" rp ON rp."roles_permissionsId" = r.id
        JOIN permissions pe ON pe.id = rp."permissionId" AND pe."deletedAt" IS NULL
        WHERE r.id = v."app_roleId" AND r."deletedAt" IS NULL AND pe.name = 'READ_PROJECTS')
      OR EXISTS (SELECT 1 FROM "usersCustom_permissionsPermissions" up
        JOIN permissions pe ON pe.id = up."permissionId" AND pe."deletedAt" IS NULL
        WHERE up."users_custom_permissionsId" = v.id AND pe.name = 'READ_PROJECTS')) AS insider
)
SELECT json_build_object(
  'project', to_json(p),
  'pages', coalesce((SELECT json_agg(x ORDER BY x.sort_order, x.slug) FROM tour_pages x
    WHERE x."projectId" = p.id AND x.environment = 'production' AND x."deletedAt" IS NULL
      AND (f.insider OR NOT x.requires_auth OR f.signed_in)), '[]'),
  'transitionSettings', (SELECT to_json(x) FROM project_transition_settings x
    WHERE x."projectId" = p.id AND x.environment = 'production' AND x."deletedAt" IS NULL LIMIT 1),
  'uiControlSettings', (SELECT to_json(x) FROM project_ui_control_settings x
    WHERE x."projectId" = p.id AND x.environment = 'production' AND x."deletedAt" IS NULL LIMIT 1),
  'audioTracks', coalesce((SELECT json_agg(x ORDER BY x.sort_order, x.id) FROM project_audio_tracks x
    WHERE x."projectId" = p.id AND x.environment = 'production' AND x."deletedAt" IS NULL), '[]'),
  'elementDefaults', coalesce((SELECT json_agg(x ORDER BY x.sort_order, x.element_type) FROM project_element_defaults x
    WHERE x."projectId" = p.id AND x."deletedAt" IS NULL), '[]')
) AS answer
FROM p, f WHERE p.production_presentation_visibility = 'public' OR f.insider`;

const RAW_EDITOR_VIEW = `
SELECT json_build_object(
  'project', to_json(p),
  'pages', coalesce((SELECT json_agg(x ORDER BY x.sort_order, x.slug) FROM tour_pages x
    WHERE x."projectId" = p.id AND x.environment = $2 AND x."deletedAt" IS NULL), '[]'),
  'members', coalesce((SELECT json_agg(
      (to_jsonb(m) || jsonb_build_object('user',
        to_jsonb(u) - 'password' - 'emailVerificationToken' - 'passwordResetToken'))::json
      ORDER BY m."createdAt", m.id)
    FROM project_memberships m LEFT JOIN users u ON u.id = m."userId" AND u."deletedAt" IS NULL
    WHERE m."projectId" = p.id AND m."deletedAt" IS NULL), '[]')
) AS answer
FROM projects p WHERE p.id = $1 AND p."deletedAt" IS NULL`;

async function rawAnswer(pool: Pool, sql: string, values: unknown[]): Promise<unknown> {
  return (await pool.query(sql, values)).rows[0]?.answer ?? null;
}

function operations(subjects: Subjects, fixture: Fixture): Operation[] {
  const { db, plain, pool } = subjects;
  const userId = (i: number) => fixture.userIds[(i * 7919) % fixture.userIds.length] as string;
  const projectId = (i: number) => fixture.projectIds[(i * 104729) % fixture.projectIds.length] as string;
  const fivePages = (i: number) => [0, 1, 2, 3, 4].map((k) => projectId(i * 5 + k));
  const include = () => [
    { association: 'tour_pages_project', where: { environment: 'production' } },
    { association: 'project_memberships_project', include: ['user'] },
  ];
  let counter = 0;
  const written: Record<Variant, string[]> = { package: [], plain: [], raw: [] };
  const page = (variant: Variant) => {
    counter += 1;
    return {
      name: `Written ${counter}`,
      slug: `w-${variant}-${counter}`,
      projectId: fixture.benchProjectId,
      ui_schema_json: uiSchema(counter),
    };
  };
  const now = () => new Date();
  // Sequelize's own best equivalent: `separate` runs each list as its own query, no product of the lists.
  const listOf = (association: string, order: [string, string][], where?: WhereOptions): IncludeOptions => ({
    association,
    separate: true,
    order,
    ...(where ? { where, required: false } : {}),
  });
  const environment = 'production';
  const presentationIncludes = () => [
    listOf(
      'tour_pages_project',
      [
        ['sort_order', 'ASC'],
        ['slug', 'ASC'],
      ],
      { environment },
    ),
    listOf('project_transition_settings_project', [], { environment }),
    listOf('project_ui_control_settings_project', [], { environment }),
    listOf(
      'project_audio_tracks_project',
      [
        ['sort_order', 'ASC'],
        ['id', 'ASC'],
      ],
      { environment },
    ),
    listOf('project_element_defaults_project', [
      ['sort_order', 'ASC'],
      ['element_type', 'ASC'],
    ]),
  ];
  const editorIncludes = () => [
    listOf(
      'tour_pages_project',
      [
        ['sort_order', 'ASC'],
        ['slug', 'ASC'],
      ],
      { environment },
    ),
    {
      ...listOf('project_memberships_project', [
        ['createdAt', 'ASC'],
        ['id', 'ASC'],
      ]),
      include: [
        { association: 'user', attributes: { exclude: ['password', 'emailVerificationToken', 'passwordResetToken'] } },
      ],
    },
  ];
  const presentationTarget = { against: 'raw', max: 1.3 } as const;
  return [
    {
      name: 'presentation (loadPresentation: project, production pages, settings, tracks, element defaults)',
      times: 100,
      target: presentationTarget,
      run: {
        package: (i) => loadPresentation(db, projectId(i), environment),
        plain: (i) => plain.projects.findOne({ where: { id: projectId(i) }, include: presentationIncludes() }),
        raw: (i) =>
          rawAnswer(pool, RAW_PRESENTATION, [projectId(i), environment, environment, environment, environment]),
      },
    },
    {
      name: 'presentation, prepared (loadPresentation with prepared: true; raw: a named statement)',
      times: 100,
      target: presentationTarget,
      run: {
        package: (i) => loadPresentation(db, projectId(i), environment, { prepared: true }),
        raw: async (i) =>
          (
            await pool.query({
              name: 'raw_presentation',
              text: RAW_PRESENTATION,
              values: [projectId(i), environment, environment, environment, environment],
            })
          ).rows[0]?.answer ?? null,
      },
    },
    {
      name: 'presentation for a signed-in viewer (loadPresentation with D9)',
      times: 100,
      target: presentationTarget,
      run: {
        package: (i) => loadPresentation(db, projectId(i), environment, { viewer: userId(i) }),
        raw: (i) => rawAnswer(pool, RAW_VISIBLE_PRESENTATION, [projectId(i), userId(i)]),
      },
    },
    {
      name: 'editor view (loadEditorView: project, production pages, members with users)',
      times: 100,
      target: presentationTarget,
      run: {
        package: (i) => loadEditorView(db, projectId(i), environment),
        plain: (i) => plain.projects.findOne({ where: { id: projectId(i) }, include: editorIncludes() }),
        raw: (i) => rawAnswer(pool, RAW_EDITOR_VIEW, [projectId(i), environment]),
      },
    },
    {
      name: 'editor view, prepared (loadEditorView with prepared: true; raw: a named statement)',
      times: 100,
      target: presentationTarget,
      run: {
        package: (i) => loadEditorView(db, projectId(i), environment, { prepared: true }),
        raw: async (i) =>
          (await pool.query({ name: 'raw_editor_view', text: RAW_EDITOR_VIEW, values: [projectId(i), environment] }))
            .rows[0]?.answer ?? null,
      },
    },
    {
      name: 'findByPk of a user',
      times: 300,
      run: {
        package: (i) => db.users.findByPk(userId(i)),
        plain: (i) => plain.users.findByPk(userId(i)),
        raw: (i) => pool.query('SELECT * FROM users WHERE id = $1 AND "deletedAt" IS NULL', [userId(i)]),
      },
    },
    {
      name: 'project + production pages + members’ users',
      times: 100,
      run: {
        package: (i) => db.projects.findOne({ where: { id: projectId(i) }, include: include() }),
        plain: (i) => plain.projects.findOne({ where: { id: projectId(i) }, include: include() }),
        raw: (i) => pool.query(RAW_INCLUDE, [projectId(i)]),
      },
    },
    {
      name: 'findAll of 100 pages',
      times: 50,
      run: {
        package: (i) => db.tour_pages.findAll({ where: { projectId: fivePages(i) } }),
        plain: (i) => plain.tour_pages.findAll({ where: { projectId: fivePages(i) } }),
        raw: (i) =>
          pool.query('SELECT * FROM tour_pages WHERE "projectId" = ANY($1::uuid[]) AND "deletedAt" IS NULL', [
            fivePages(i),
          ]),
      },
    },
    {
      name: 'create a page',
      times: 200,
      // Each round writes its own pages, which the update and the destroy then use.
      prepare: async (variant) => {
        written[variant] = [];
      },
      run: {
        package: async () => written.package.push((await db.tour_pages.create(page('package'))).id),
        plain: async () =>
          written.plain.push(((await plain.tour_pages.create(page('plain') as never)) as unknown as { id: string }).id),
        raw: async () => {
          const values = page('raw');
          const id = randomUUID();
          await pool.query(
            `INSERT INTO tour_pages (id, name, slug, "projectId", ui_schema_json, environment, sort_order, background_loop, requires_auth, "createdAt", "updatedAt")
             VALUES ($1, $2, $3, $4, $5, 'dev', 0, false, false, $6, $6)`,
            [id, values.name, values.slug, values.projectId, JSON.stringify(values.ui_schema_json), now()],
          );
          written.raw.push(id);
        },
      },
    },
    {
      name: 'update by id',
      times: 200,
      run: {
        package: (i) => db.tour_pages.update({ name: `Renamed ${i}` }, { where: { id: written.package[i] as string } }),
        plain: (i) =>
          plain.tour_pages.update({ name: `Renamed ${i}` } as never, { where: { id: written.plain[i] as string } }),
        raw: (i) =>
          pool.query('UPDATE tour_pages SET name = $1, "updatedAt" = $2 WHERE id = $3 AND "deletedAt" IS NULL', [
            `Renamed ${i}`,
            now(),
            written.raw[i],
          ]),
      },
    },
    {
      name: 'soft destroy by id',
      times: 200,
      run: {
        package: (i) => db.tour_pages.destroy({ where: { id: written.package[i] as string } }),
        plain: (i) => plain.tour_pages.destroy({ where: { id: written.plain[i] as string } }),
        raw: (i) =>
          pool.query('UPDATE tour_pages SET "deletedAt" = $1 WHERE id = $2 AND "deletedAt" IS NULL', [
            now(),
            written.raw[i],
          ]),
      },
    },
  ];
}

/** 10,000 pages into a new project, 1,000 of them already there by importHash. */
function importOperation(subjects: Subjects): Operation {
  const { db, plain, pool } = subjects;
  const batches: Record<string, Record<string, unknown>[]> = {};
  const prepare = async (variant: Variant, round: number) => {
    const key = `${variant}-${round}`;
    // The first 1,000 were imported before: the run must skip them.
    batches[key] = (await prepareImport(pool, key)) as unknown as Record<string, unknown>[];
  };
  // The fastest INSERT by hand: every row in one JSON parameter, unpacked by the server with json_to_recordset.
  const rawImport = async (rows: Record<string, unknown>[]) => {
    const now = new Date();
    const records = rows.map((row) => ({ ...row, id: randomUUID() }));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO tour_pages (${IMPORT_COLUMNS})
         SELECT r.id, r.name, r.slug, r."projectId", r.environment, r.sort_order, false, false, r.ui_schema_json,
                r."importHash", $2, $2
         FROM json_to_recordset($1) AS r(id uuid, name text, slug text, "projectId" uuid,
           environment enum_tour_pages_environment, sort_order integer, ui_schema_json json, "importHash" varchar(255))
         ON CONFLICT ("importHash") DO NOTHING`,
        [JSON.stringify(records), now],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    name: `bulk import of ${IMPORT_ROWS.toLocaleString('en')} pages (by importHash; raw: json_to_recordset)`,
    times: 1,
    prepare,
    target: { against: 'raw', max: 1.0 },
    run: {
      package: (_, round) => importRows(db.tour_pages, batches[`package-${round}`] as object[]),
      plain: (_, round) =>
        plain.tour_pages.bulkCreate(batches[`plain-${round}`] as never[], { ignoreDuplicates: true }),
      raw: (_, round) => rawImport(batches[`raw-${round}`] as Record<string, unknown>[]),
    },
  };
}

async function measureQueries(subjects: Subjects, fixture: Fixture) {
  const ops = [...operations(subjects, fixture), importOperation(subjects)].filter(
    (op) => !FILTER || op.name.includes(FILTER),
  );
  const samples: Record<string, Record<Variant, number[]>> = {};
  for (const op of ops) samples[op.name] = { package: [], plain: [], raw: [] };
  const targets = new Map(ops.map((op) => [op.name, op.target]));
  // Round 0 warms the JIT and the server's caches and is not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    for (const op of ops) {
      const order = VARIANTS.map((_, k) => VARIANTS[(k + round) % VARIANTS.length] as Variant).filter(
        (variant) => op.run[variant],
      );
      const { prepare } = op;
      const turns = order.map((variant) => ({
        variant,
        prepare: prepare && (() => prepare(variant, round)),
        run: (i: number) => (op.run[variant] as Run)(i, round),
        nanoseconds: 0n,
      }));
      await timeInSlices(op.times, turns);
      for (const turn of turns) {
        if (round > 0) samples[op.name]?.[turn.variant].push(Number(turn.nanoseconds) / 1e6 / op.times);
      }
    }
    process.stderr.write(`\rqueries: round ${round}/${ROUNDS}`);
  }
  process.stderr.write('\n');
  return { samples, targets };
}

// ---------------------------------------------------------------------------------------------- cold start

/**
 * A new Node process per sample that loads the package and calls createDb (no connection), against one that
 * loads sequelize and defines the same tables plainly. Wall time, and the process's own CPU time (user +
 * system, from process.cpuUsage at its end), which a loaded machine disturbs less.
 */
function coldStart(plainModule: string) {
  const url = urlOf(SERVER, DATABASE);
  const cpu = `const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));`;
  const scripts = {
    package: `require('reflect-metadata'); const { createDb } = require(${JSON.stringify(join(ROOT, 'dist'))}); createDb({ url: ${JSON.stringify(url)}, logging: false }); ${cpu}`,
    plain: `const { Sequelize } = require('sequelize'); const s = new Sequelize(${JSON.stringify(url)}, { logging: false }); require(${JSON.stringify(plainModule)}).define(s); ${cpu}`,
  };
  const times = { package: [] as number[], plain: [] as number[] };
  const cpuTimes = { package: [] as number[], plain: [] as number[] };
  for (let round = 0; round <= ROUNDS; round += 1) {
    for (const variant of round % 2 ? (['plain', 'package'] as const) : (['package', 'plain'] as const)) {
      const started = process.hrtime.bigint();
      const child = spawnSync(process.execPath, ['-e', scripts[variant]], { cwd: ROOT, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`cold start (${variant}) failed: ${child.stderr}`);
      if (round > 0) {
        times[variant].push(Number(process.hrtime.bigint() - started) / 1e6);
        cpuTimes[variant].push(Number(child.stdout));
      }
    }
  }
  return { ...times, cpu: cpuTimes };
}

// ---------------------------------------------------------------------------------------------- test database

async function testDatabase() {
  const create: number[] = [];
  const reset: number[] = [];
  for (let round = 0; round <= ROUNDS; round += 1) {
    const started = process.hrtime.bigint();
    const db = await createTestDb();
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    await db.projects.create({ name: 'Tour', slug: 'tour' });
    const resetStarted = process.hrtime.bigint();
    for (let i = 0; i < 1000; i += 1) db.reset();
    const resetElapsed = Number(process.hrtime.bigint() - resetStarted) / 1e6 / 1000;
    await db.close();
    if (round > 0) {
      create.push(elapsed);
      reset.push(resetElapsed);
    }
  }
  return { create, reset };
}

// ---------------------------------------------------------------------------------------------- passwords

async function passwords(rounds: number) {
  const pool = new HashPool({ rounds });
  const result = {
    pool: { perSecond: [] as number[], maxDelay: [] as number[] },
    main: { perSecond: [] as number[], maxDelay: [] as number[] },
  };
  const measure = async (work: () => Promise<unknown>) => {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = process.hrtime.bigint();
    await work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    delay.disable();
    return { perSecond: 20 / seconds, maxDelay: delay.max / 1e6 };
  };
  await pool.hash('warm up');
  for (let round = 0; round < 3; round += 1) {
    for (const variant of round % 2 ? (['main', 'pool'] as const) : (['pool', 'main'] as const)) {
      const work =
        variant === 'pool'
          ? () => Promise.all(Array.from({ length: 20 }, (_, i) => pool.hash(`password ${i}`)))
          : () => Promise.all(Array.from({ length: 20 }, (_, i) => bcrypt.hash(`password ${i}`, rounds)));
      const sample = await measure(work);
      result[variant].perSecond.push(sample.perSecond);
      result[variant].maxDelay.push(sample.maxDelay);
    }
  }
  await pool.close();
  return { ...result, size: pool.size };
}

// ---------------------------------------------------------------------------------------------- report

function version(name: string): string {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

function verdict(ok: boolean): string {
  return ok ? 'met' : '**missed**';
}

async function main() {
  process.env.BCRYPT_ROUNDS ??= '12';
  await freshDatabase(SERVER, DATABASE);
  const url = urlOf(SERVER, DATABASE);
  const db = createDb({ url, logging: false, sequelize: { pool: { max: 5 } } });
  await migrate(db.sequelize);
  const pool = new Pool({ connectionString: url, max: 5 });
  process.stderr.write('seeding 1,000 projects x 20 pages ...\n');
  const fixture = await seed(pool);
  await seedPresentations(pool, fixture);

  // Beside this script, so that it resolves sequelize from the project's node_modules.
  const plainModule = join(__dirname, '.plain-schema.generated.js');
  writeFileSync(plainModule, plainSchemaSource(db.sequelize));
  const plainSequelize = new Sequelize(url, { logging: false, pool: { max: 5 } });
  const plain = require(plainModule).define(plainSequelize) as Record<string, PlainModel>;

  const { samples, targets } = await measureQueries({ db, plain, pool }, fixture);
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  await Promise.all([db.sequelize.close(), plainSequelize.close(), pool.end()]);
  if (FILTER) {
    for (const [name, byVariant] of Object.entries(samples)) {
      const ratio = (variant: Variant) =>
        byVariant[variant].length
          ? summary(byVariant.package.map((v, i) => v / (byVariant[variant][i] as number)))
          : '-';
      process.stdout.write(
        `${name}\n  package ${summary(byVariant.package, 3)} ms; / plain ${ratio('plain')}; / raw ${ratio('raw')}\n`,
      );
    }
    return;
  }

  process.stderr.write('cold start ...\n');
  const cold = coldStart(plainModule);
  process.stderr.write('test database ...\n');
  const tests = await testDatabase();
  process.stderr.write('passwords ...\n');
  const hashing = await passwords(Number(process.env.BCRYPT_ROUNDS));

  const lines: string[] = [];
  lines.push(
    '# Benchmark results',
    '',
    `\`npm run bench\`, ${new Date().toISOString().slice(0, 10)} (BENCH_ROUNDS=${ROUNDS}).`,
  );
  lines.push(
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}.`,
    `Node ${process.versions.node}, PostgreSQL ${rows[0]?.server_version}, sequelize ${version('sequelize')}, sequelize-typescript ${version('sequelize-typescript')}, pg ${version('pg')}, pg-mem ${version('pg-mem')}, bcryptjs ${version('bcryptjs')}.`,
    `Data: ${PROJECTS.toLocaleString('en')} projects x ${PAGES_PER_PROJECT} pages with a ~1 KB UI schema, 500 users, 3 memberships a project.`,
    `${ROUNDS} interleaved rounds after a warm-up round (in each, the variants take turns ${SLICE} calls at a time, their order rotating); medians, with the range of the rounds in brackets.`,
    '',
    '## Queries (ms per operation)',
    '',
    '| operation | package | plain Sequelize | raw pg | package / plain | package / raw | target |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [name, byVariant] of Object.entries(samples)) {
    const hasPlain = byVariant.plain.length > 0;
    const ratioPlain = byVariant.package.map((value, i) => value / (byVariant.plain[i] as number));
    const ratioRaw = byVariant.package.map((value, i) => value / (byVariant.raw[i] as number));
    const { against, max } = targets.get(name) ?? { against: 'plain', max: 1.1 };
    const ratio = against === 'raw' ? ratioRaw : ratioPlain;
    const target = `<= ${max.toFixed(2)}x ${against}: ${verdict(median(ratio) <= max)}`;
    const dash = (text: string) => (hasPlain ? text : '-');
    lines.push(
      `| ${name} | ${summary(byVariant.package, 3)} | ${dash(summary(byVariant.plain, 3))} | ${summary(byVariant.raw, 3)} | ${dash(summary(ratioPlain))} | ${summary(ratioRaw)} | ${target} |`,
    );
  }
  const coldRatio = cold.package.map((value, i) => value / (cold.plain[i] as number));
  const coldCpuRatio = cold.cpu.package.map((value, i) => value / (cold.cpu.plain[i] as number));
  lines.push(
    '',
    '## Cold start (a new process: import and createDb, no connection)',
    '',
    `| | package | plain define (same ${models.length} tables) | package / plain | target |`,
    '|---|---|---|---|---|',
    `| wall ms | ${summary(cold.package, 0)} | ${summary(cold.plain, 0)} | ${summary(coldRatio)} | <= 1.10x: ${verdict(median(coldRatio) <= 1.1)}; < 300 ms: ${verdict(median(cold.package) < 300)} |`,
    `| CPU ms (user + system) | ${summary(cold.cpu.package, 0)} | ${summary(cold.cpu.plain, 0)} | ${summary(coldCpuRatio)} | <= 1.10x: ${verdict(median(coldCpuRatio) <= 1.1)} |`,
    '',
    '## Tests’ database (pg-mem)',
    '',
    '| | ms | target |',
    '|---|---|---|',
    `| createTestDb() (new database, migrated) | ${summary(tests.create, 1)} | < 150 ms: ${verdict(median(tests.create) < 150)} |`,
    `| reset() | ${summary(tests.reset, 4)} | < 1 ms: ${verdict(median(tests.reset) < 1)} |`,
    '',
    `## Passwords (bcrypt cost ${process.env.BCRYPT_ROUNDS}, 20 hashes in flight)`,
    '',
    '| | hashes / s | event loop max delay (ms) |',
    '|---|---|---|',
    `| package (worker pool, ${hashing.size} threads) | ${summary(hashing.pool.perSecond)} | ${summary(hashing.pool.maxDelay, 1)} |`,
    `| bcryptjs on the main thread | ${summary(hashing.main.perSecond)} | ${summary(hashing.main.maxDelay, 1)} |`,
    '',
    `Throughput package / main thread: ${(median(hashing.pool.perSecond) / median(hashing.main.perSecond)).toFixed(2)}x (target >= 1.6x: ${verdict(median(hashing.pool.perSecond) / median(hashing.main.perSecond) >= 1.6)}); event loop max delay ${median(hashing.pool.maxDelay).toFixed(1)} ms (target < 15 ms: ${verdict(median(hashing.pool.maxDelay) < 15)}).`,
    '',
  );
  const report = lines.join('\n');
  // Kept in RESULTS.md as their last runs left them: the topology's read scaling (TOPOLOGY.md, npm run
  // bench:topology), the notes, the peers' section (npm run bench:peers) and the access decisions' section
  // (bench/access.ts, run after this script).
  const section = (file: string) =>
    existsSync(join(__dirname, file)) ? `\n${readFileSync(join(__dirname, file), 'utf8')}` : '';
  const previous = section('RESULTS.md');
  const kept = (name: string) => new RegExp(`<!-- ${name}:start -->[\\s\\S]*<!-- ${name}:end -->`).exec(previous)?.[0];
  // The CPU profiles' section (npm run bench:profile) stays too.
  const [access, profiles] = [kept('access'), kept('profile')];
  writeFileSync(
    join(__dirname, 'RESULTS.md'),
    `${report}${section('TOPOLOGY.md')}${section('peers/RESULTS.md')}${section('NOTES.md')}${access ? `\n${access}\n` : ''}${profiles ? `\n${profiles}\n` : ''}`,
  );
  process.stdout.write(`${report}\n`);
  if (process.env.BENCH_PEERS === '1') {
    // Its own dependencies and a compile step: a process of its own (bench/peers/run.ts).
    const child = spawnSync('npm', ['run', '--silent', 'bench:peers'], { cwd: ROOT, stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`bench:peers failed (exit ${child.status})`);
  }

  process.stderr.write('publishing ...\n');
  const publishing = await benchPublish();
  writeSection(publishing);
  process.stdout.write(`${publishing}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
