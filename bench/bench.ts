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
import { type Model, type ModelStatic, Sequelize } from 'sequelize';
import { createDb, type Db, importRows, migrate, models } from '../src';
import { HashPool } from '../src/auth/hash-pool';
import { createTestDb } from '../src/testing';
import {
  type Fixture,
  freshDatabase,
  IMPORT_COLUMN_NAMES,
  IMPORT_ROWS,
  importParams,
  median,
  PAGES_PER_PROJECT,
  PROJECTS,
  prepareImport,
  seed,
  summary,
  uiSchema,
  urlOf,
} from './data';
import { plainSchemaSource } from './plain-schema';
import { benchPublish, writeSection } from './publish';

const ROOT = join(__dirname, '..');
const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tbp_bench';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

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
  run: Record<Variant, (i: number, round: number) => Promise<unknown>>;
  /** Work done before a sample, outside the timing. */
  prepare?: (variant: Variant, round: number) => Promise<void>;
}

const IMPORT_COLUMNS = IMPORT_COLUMN_NAMES.map((column) => `"${column}"`).join(', ');

const RAW_INCLUDE = `
  SELECT p.*, tp.id AS "tp.id", tp.name AS "tp.name", tp.slug AS "tp.slug", tp.ui_schema_json AS "tp.ui",
         m.id AS "m.id", m.access_level AS "m.access", u.id AS "u.id", u.email AS "u.email"
  FROM projects p
  INNER JOIN tour_pages tp ON tp."projectId" = p.id AND tp."deletedAt" IS NULL AND tp.environment = 'production'
  LEFT JOIN project_memberships m ON m."projectId" = p.id AND m."deletedAt" IS NULL
  LEFT JOIN users u ON u.id = m."userId" AND u."deletedAt" IS NULL
  WHERE p.id = $1 AND p."deletedAt" IS NULL`;

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
  return [
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
  const rawImport = async (rows: Record<string, unknown>[]) => {
    const now = new Date();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (let start = 0; start < rows.length; start += 1000) {
        const values: unknown[] = [];
        const tuples = rows.slice(start, start + 1000).map(
          (row) =>
            `(${importParams(row, now)
              .map((value) => `$${values.push(value)}`)
              .join(', ')})`,
        );
        await client.query(
          `INSERT INTO tour_pages (${IMPORT_COLUMNS}) VALUES ${tuples.join(', ')} ON CONFLICT ("importHash") DO NOTHING`,
          values,
        );
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };
  return {
    name: `bulk import of ${IMPORT_ROWS.toLocaleString('en')} pages (by importHash)`,
    times: 1,
    prepare,
    run: {
      package: (_, round) => importRows(db.tour_pages, batches[`package-${round}`] as object[]),
      plain: (_, round) =>
        plain.tour_pages.bulkCreate(batches[`plain-${round}`] as never[], { ignoreDuplicates: true }),
      raw: (_, round) => rawImport(batches[`raw-${round}`] as Record<string, unknown>[]),
    },
  };
}

async function measureQueries(subjects: Subjects, fixture: Fixture) {
  const ops = [...operations(subjects, fixture), importOperation(subjects)];
  const samples: Record<string, Record<Variant, number[]>> = {};
  for (const op of ops) samples[op.name] = { package: [], plain: [], raw: [] };
  // Round 0 warms the JIT and the server's caches and is not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    for (const op of ops) {
      const order = VARIANTS.map((_, k) => VARIANTS[(k + round) % VARIANTS.length] as Variant);
      for (const variant of order) {
        await op.prepare?.(variant, round);
        const started = process.hrtime.bigint();
        for (let i = 0; i < op.times; i += 1) await op.run[variant](i, round);
        const perOp = Number(process.hrtime.bigint() - started) / 1e6 / op.times;
        if (round > 0) samples[op.name]?.[variant].push(perOp);
      }
    }
    process.stderr.write(`\rqueries: round ${round}/${ROUNDS}`);
  }
  process.stderr.write('\n');
  return samples;
}

// ---------------------------------------------------------------------------------------------- cold start

function coldStart(plainModule: string) {
  const url = urlOf(SERVER, DATABASE);
  const scripts = {
    package: `require('reflect-metadata'); const { createDb } = require(${JSON.stringify(join(ROOT, 'dist'))}); createDb({ url: ${JSON.stringify(url)}, logging: false });`,
    plain: `const { Sequelize } = require('sequelize'); const s = new Sequelize(${JSON.stringify(url)}, { logging: false }); require(${JSON.stringify(plainModule)}).define(s);`,
  };
  const times: Record<'package' | 'plain', number[]> = { package: [], plain: [] };
  for (let round = 0; round <= ROUNDS; round += 1) {
    for (const variant of round % 2 ? (['plain', 'package'] as const) : (['package', 'plain'] as const)) {
      const started = process.hrtime.bigint();
      const child = spawnSync(process.execPath, ['-e', scripts[variant]], { cwd: ROOT, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`cold start (${variant}) failed: ${child.stderr}`);
      if (round > 0) times[variant].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return times;
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

  // Beside this script, so that it resolves sequelize from the project's node_modules.
  const plainModule = join(__dirname, '.plain-schema.generated.js');
  writeFileSync(plainModule, plainSchemaSource(db.sequelize));
  const plainSequelize = new Sequelize(url, { logging: false, pool: { max: 5 } });
  const plain = require(plainModule).define(plainSequelize) as Record<string, PlainModel>;

  const samples = await measureQueries({ db, plain, pool }, fixture);
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  await Promise.all([db.sequelize.close(), plainSequelize.close(), pool.end()]);

  process.stderr.write('cold start ...\n');
  const cold = coldStart(plainModule);
  process.stderr.write('test database ...\n');
  const tests = await testDatabase();
  process.stderr.write('passwords ...\n');
  const hashing = await passwords(Number(process.env.BCRYPT_ROUNDS));

  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push(
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}.`,
    `Node ${process.versions.node}, PostgreSQL ${rows[0]?.server_version}, sequelize ${version('sequelize')}, sequelize-typescript ${version('sequelize-typescript')}, pg ${version('pg')}, pg-mem ${version('pg-mem')}, bcryptjs ${version('bcryptjs')}.`,
    `Data: ${PROJECTS.toLocaleString('en')} projects x ${PAGES_PER_PROJECT} pages with a ~1 KB UI schema, 500 users, 3 memberships a project.`,
    `${ROUNDS} interleaved rounds after a warm-up round (the order of the variants rotates each round); medians, with the range of the rounds in brackets.`,
    '',
    '## Queries (ms per operation)',
    '',
    '| operation | package | plain Sequelize | raw pg | package / plain | package / raw | target |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [name, byVariant] of Object.entries(samples)) {
    const ratioPlain = byVariant.package.map((value, i) => value / (byVariant.plain[i] as number));
    const ratioRaw = byVariant.package.map((value, i) => value / (byVariant.raw[i] as number));
    const isImport = name.startsWith('bulk import');
    const target = isImport
      ? `<= 1.8x raw: ${verdict(median(ratioRaw) <= 1.8)}`
      : `<= 1.10x plain: ${verdict(median(ratioPlain) <= 1.1)}`;
    lines.push(
      `| ${name} | ${summary(byVariant.package, 3)} | ${summary(byVariant.plain, 3)} | ${summary(byVariant.raw, 3)} | ${summary(ratioPlain)} | ${summary(ratioRaw)} | ${target} |`,
    );
  }
  const coldRatio = cold.package.map((value, i) => value / (cold.plain[i] as number));
  lines.push(
    '',
    '## Cold start (a new process: import and createDb, no connection)',
    '',
    `| | package | plain define (same ${models.length} tables) | package / plain | target |`,
    '|---|---|---|---|---|',
    `| ms | ${summary(cold.package, 0)} | ${summary(cold.plain, 0)} | ${summary(coldRatio)} | <= 1.2x and < 300 ms: ${verdict(median(coldRatio) <= 1.2 && median(cold.package) < 300)} |`,
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
  const access = /<!-- access:start -->[\s\S]*<!-- access:end -->/.exec(previous)?.[0];
  writeFileSync(
    join(__dirname, 'RESULTS.md'),
    `${report}${section('TOPOLOGY.md')}${section('peers/RESULTS.md')}${section('NOTES.md')}${access ? `\n${access}\n` : ''}`,
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
