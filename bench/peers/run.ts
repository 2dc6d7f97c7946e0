/**
 * `npm run bench:peers`: the package beside the ORMs people would pick
 * instead (drizzle, kysely, TypeORM, Prisma, plain Sequelize) and raw pg, on
 * the package's migrated schema and the main benchmark's data. Every
 * contender's answers are checked first; then interleaved rounds (the
 * contenders taking turns 25 calls at a time, their order rotating), medians with their range, each contender
 * as a ratio to raw pg in the same round; cold starts as whole processes.
 * Writes the table to bench/peers/RESULTS.md and into the Peers section of
 * bench/RESULTS.md. A script, not a test.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import type * as Package from '../../dist';
import {
  type Fixture,
  freshDatabase,
  median,
  PAGES_PER_PROJECT,
  PROJECTS,
  prepareImport,
  SLICE,
  type Turn as SlicedTurn,
  seed,
  seedCatalogues,
  seedPresentations,
  summary,
  timeInSlices,
  uiSchema,
  urlOf,
} from '../data';
import { plainSchemaSource } from '../plain-schema';
import type { Contender, ContenderModule, Environment, ImportRow, Operations } from './contender';
import { repositoryRoot } from './contender';
import * as drizzle from './drizzle';
import * as kysely from './kysely';
import * as prisma from './prisma';
import * as raw from './raw-pg';
import * as plain from './sequelize-plain';
import * as tbp from './tbp-models';
import * as typeorm from './typeorm';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tbp_bench_peers';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const CATALOGUES = 20;
const CATALOGUE_PAGES = 120;

/** In the table's order; raw pg first, as every ratio is to it. */
const MODULES: ContenderModule[] = [raw, tbp, plain, drizzle, kysely, typeorm, prisma];
const PEERS = [plain.name, drizzle.name, kysely.name, typeorm.name, prisma.name];

type OperationName = keyof Operations;

interface Operation {
  key: OperationName;
  label: string;
  /** How many times one sample runs it. */
  times: number;
}

const OPERATIONS: Operation[] = [
  { key: 'byPk', label: 'project by primary key', times: 300 },
  { key: 'projectWithPagesMembers', label: 'project + production pages + members with users', times: 300 },
  { key: 'pagesByName', label: '100 pages of a project, by name', times: 50 },
  { key: 'insertPage', label: 'insert one page', times: 200 },
  { key: 'updatePageName', label: 'update one page’s name', times: 200 },
  { key: 'softDeletePage', label: 'soft delete one page', times: 200 },
  { key: 'importPages', label: 'import 10,000 pages in one transaction', times: 1 },
  { key: 'presentation', label: 'presentation (project, pages of one environment, settings)', times: 300 },
];

// ---------------------------------------------------------------------------------------------- checks

/** An answer as plain data, whatever the ORM returned (model instances, entities, rows). */
const plainData = (value: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(value, (_key, inner) => (typeof inner === 'bigint' ? Number(inner) : inner)));

function check(condition: unknown, contender: string, what: string): asserts condition {
  if (!condition) throw new Error(`${contender}: ${what}`);
}

const list = (value: unknown) => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);
const ascending = (rows: Record<string, unknown>[], key: string) =>
  rows.every((row, i) => i === 0 || (rows[i - 1]?.[key] as number | string) <= (row[key] as number | string));

type Row = Record<string, unknown>;

/**
 * The rows anywhere in an answer (to a depth of three) that have `field`: the
 * peers' answers name their lists alike, but loadPresentation's may not.
 */
function rowsWith(value: unknown, field: string, depth = 0): Row[] {
  if (depth > 3 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    const rows = value.filter((item): item is Row => item !== null && typeof item === 'object' && field in item);
    return rows.length ? rows : value.flatMap((item) => rowsWith(item, field, depth + 1));
  }
  if (field in value) return [value as Row];
  return Object.values(value).flatMap((inner) => rowsWith(inner, field, depth + 1));
}

async function checkPresentation(contender: Contender, projectId: string): Promise<void> {
  const answer = plainData(await contender.ops.presentation(projectId, 'production'));
  const project = rowsWith(answer, 'production_presentation_visibility');
  const pages = rowsWith(answer, 'ui_schema_json');
  const transitions = rowsWith(answer, 'transition_type');
  const tracks = rowsWith(answer, 'loop');
  const elements = rowsWith(answer, 'element_type');
  const { name } = contender;
  check(project.length === 1 && project[0]?.id === projectId, name, 'presentation: not the project');
  check(pages.length === PAGES_PER_PROJECT / 2, name, `presentation: ${pages.length} pages`);
  check(
    pages.every((page) => page.environment === 'production'),
    name,
    'presentation: pages of another environment',
  );
  check(ascending(pages, 'sort_order'), name, 'presentation: pages out of order');
  check(transitions.length === 1 && transitions[0]?.environment === 'production', name, 'presentation: transitions');
  check(tracks.length === 2 && ascending(tracks, 'sort_order'), name, 'presentation: audio tracks');
  check(elements.length === 5 && ascending(elements, 'sort_order'), name, 'presentation: element defaults');
}

/** Runs every operation once and holds its answer (or what it wrote) to the same rules for all. */
async function verify(contender: Contender, fixture: Fixture, catalogues: string[], pool: Pool): Promise<void> {
  const { name, ops } = contender;
  const projectId = fixture.projectIds[1] as string;
  const project = plainData(await ops.byPk(projectId));
  check(project.id === projectId && project.name === 'Project 1', name, 'byPk');

  const nested = plainData(await ops.projectWithPagesMembers(projectId));
  const pages = list(nested.tour_pages_project);
  const members = list(nested.project_memberships_project);
  check(pages.length === PAGES_PER_PROJECT / 2, name, `project + pages: ${pages.length} pages`);
  check(
    pages.every((page) => page.environment === 'production'),
    name,
    'project + pages: environment',
  );
  check(ascending(pages, 'sort_order'), name, 'project + pages: order');
  check(members.length === 3, name, `project + members: ${members.length} members`);
  for (const member of members) {
    const user = member.user as Record<string, unknown> | null;
    check(user && typeof user.email === 'string', name, 'project + members: user');
    check(
      !('password' in user) || user.password === undefined,
      name,
      'project + members: the password left the database',
    );
  }

  const byName = list(plainData(await ops.pagesByName(catalogues[0] as string)));
  check(byName.length === 100, name, `pagesByName: ${byName.length} pages`);
  check(ascending(byName, 'name'), name, 'pagesByName: order');

  const id = randomUUID();
  const page = { id, name: 'Checked', slug: `checked-${name.replace(/\W/g, '')}`, projectId: fixture.benchProjectId };
  await ops.insertPage({ ...page, ui_schema_json: uiSchema(1) });
  await ops.updatePageName(id, 'Checked again');
  const row = async () =>
    (await pool.query('SELECT name, "createdAt", "updatedAt", "deletedAt" FROM tour_pages WHERE id = $1', [id]))
      .rows[0];
  const updated = await row();
  check(updated?.name === 'Checked again' && updated.createdAt && updated.updatedAt, name, 'insert + update');
  await ops.softDeletePage(id);
  check((await row())?.deletedAt, name, 'soft delete');

  const rows = await prepareImport(pool, `check-${name.replace(/\W/g, '')}`);
  await ops.importPages(rows);
  const { rows: counts } = await pool.query('SELECT count(*)::int AS n FROM tour_pages WHERE "projectId" = $1', [
    rows[0]?.projectId,
  ]);
  check(counts[0]?.n === rows.length, name, `import: ${counts[0]?.n} pages`);
  await dropImport(pool, rows);

  await checkPresentation(contender, fixture.projectIds[2] as string);
}

async function dropImport(pool: Pool, rows: ImportRow[]): Promise<void> {
  const projectId = rows[0]?.projectId;
  await pool.query('DELETE FROM tour_pages WHERE "projectId" = $1', [projectId]);
  await pool.query('DELETE FROM projects WHERE id = $1', [projectId]);
}

// ---------------------------------------------------------------------------------------------- rounds

type Samples = Record<string, Record<string, number[]>>;

async function measure(contenders: Contender[], fixture: Fixture, catalogues: string[], pool: Pool) {
  const samples: Samples = {};
  for (const op of OPERATIONS) {
    samples[op.key] = Object.fromEntries(contenders.map((contender) => [contender.name, []]));
  }
  const projectId = (i: number) => fixture.projectIds[(i * 104729) % fixture.projectIds.length] as string;
  const written: Record<string, string[]> = {};
  let counter = 0;
  // Round 0 warms the JIT, the statement caches and the server, and is not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    for (const op of OPERATIONS) {
      const order = contenders.map((_, k) => contenders[(k + round) % contenders.length] as Contender);
      const turns: Turn[] = [];
      for (const contender of order) {
        const { ops, name } = contender;
        let run: (i: number) => Promise<unknown>;
        let prepare: (() => Promise<void>) | undefined;
        let finish: (() => Promise<void>) | undefined;
        switch (op.key) {
          case 'byPk':
            run = (i) => ops.byPk(projectId(i));
            break;
          case 'projectWithPagesMembers':
            run = (i) => ops.projectWithPagesMembers(projectId(i));
            break;
          case 'pagesByName':
            run = (i) => ops.pagesByName(catalogues[i % catalogues.length] as string);
            break;
          case 'insertPage': {
            const ids = Array.from({ length: op.times }, () => randomUUID());
            written[name] = ids;
            run = (i) => {
              counter += 1;
              return ops.insertPage({
                id: ids[i] as string,
                name: `Written ${counter}`,
                slug: `w-${counter}`,
                projectId: fixture.benchProjectId,
                ui_schema_json: uiSchema(counter),
              });
            };
            break;
          }
          case 'updatePageName':
            run = (i) => ops.updatePageName(written[name]?.[i] as string, `Renamed ${i}`);
            break;
          case 'softDeletePage':
            run = (i) => ops.softDeletePage(written[name]?.[i] as string);
            break;
          case 'importPages': {
            let rows: ImportRow[] = [];
            // Each contender's import alone in the table: its project made just before, its pages gone just after
            // (the imported pages go again, so that every round reads and writes tables of the same size).
            prepare = async () => {
              rows = await prepareImport(pool, `${name.replace(/\W/g, '')}-${round}`);
            };
            run = () => ops.importPages(rows);
            finish = () => dropImport(pool, rows);
            break;
          }
          case 'presentation':
            run = (i) => ops.presentation(projectId(i), (i % 2 ? 'dev' : 'production') as Environment);
            break;
        }
        turns.push({ name, prepare, run, finish, nanoseconds: 0n });
      }
      await timeInSlices(op.times, turns);
      for (const turn of turns) {
        const perOp = Number(turn.nanoseconds) / 1e6 / op.times;
        if (round > 0) samples[op.key]?.[turn.name]?.push(perOp);
        if (VERBOSE) process.stderr.write(`round ${round} ${op.key} ${turn.name}: ${perOp.toFixed(3)} ms\n`);
      }
    }
    process.stderr.write(`\rpeers: round ${round}/${ROUNDS}`);
  }
  process.stderr.write('\n');
  return samples;
}

/** A contender's turn in a sample (see `timeInSlices`). */
interface Turn extends SlicedTurn {
  name: string;
}

// ---------------------------------------------------------------------------------------------- cold start

/** A new process per sample: load the contender's module and define its models or build its client. */
function coldStart(url: string): Record<string, number[]> {
  const times: Record<string, number[]> = Object.fromEntries(MODULES.map((module) => [module.name, []]));
  for (let round = 0; round <= ROUNDS; round += 1) {
    const order = MODULES.map((_, k) => MODULES[(k + round) % MODULES.length] as ContenderModule);
    for (const module of order) {
      const script = `Promise.resolve(require(${JSON.stringify(module.file)}).define(${JSON.stringify(url)})).catch((e) => { console.error(e); process.exitCode = 1; });`;
      const started = process.hrtime.bigint();
      const child = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8', timeout: 60_000 });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (child.status !== 0) throw new Error(`cold start (${module.name}) failed: ${child.stderr}`);
      if (round > 0) times[module.name]?.push(elapsed);
    }
  }
  return times;
}

// ---------------------------------------------------------------------------------------------- report

/** The version installed where `from` would load `name` from (some packages do not export package.json). */
function version(name: string, from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).version;
  }
  return 'unknown';
}

function ratios(values: number[], baseline: number[]): number[] {
  return values.map((value, i) => value / (baseline[i] as number));
}

function report(
  rows: { label: string; byContender: Record<string, number[]>; digits: number }[],
  notes: string[],
  serverVersion: string,
): string {
  const names = MODULES.map((module) => module.name);
  const others = names.filter((name) => name !== raw.name);
  const lines = [
    '<!-- peers:start (written by bench/peers/run.ts) -->',
    '## Peers: the package beside other ORMs',
    '',
    `\`npm run bench:peers\` (BENCH_ROUNDS=${ROUNDS}), ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}; Node ${process.versions.node}, PostgreSQL ${serverVersion}.`,
    `Contenders: @tbp/models (dist/), sequelize ${version('sequelize', repositoryRoot())} (plain \`define\`), drizzle-orm ${version('drizzle-orm', __dirname)}, kysely ${version('kysely', __dirname)}, typeorm ${version('typeorm', __dirname)}, prisma ${version('@prisma/client', __dirname)} with @prisma/adapter-pg, pg ${version('pg', __dirname)}; ${MODULES.length} pools of at most 4 connections.`,
    `Data: the main benchmark's (${PROJECTS.toLocaleString('en')} projects x ${PAGES_PER_PROJECT} pages with a ~1 KB UI schema, 500 users, 3 memberships a project), plus each project's transition settings, audio tracks and element defaults, and ${CATALOGUES} projects of ${CATALOGUE_PAGES} pages for the listing by name.`,
    `Each cell: the contender's time over raw pg's in the same round, median of ${ROUNDS} rounds (after a warm-up round; in each, the contenders take turns ${SLICE} calls at a time, their order rotating) with the range in brackets; raw pg in ms. Last column: the package over the fastest of the five peers (raw pg not counted) in the same round, and which peer that was by median.`,
    '',
    `| operation | raw pg (ms) | ${others.map((name) => `${name} / raw`).join(' | ')} | package / best peer |`,
    `|---|---|${others.map(() => '---').join('|')}|---|`,
  ];
  for (const { label, byContender, digits } of rows) {
    const baseline = byContender[raw.name] as number[];
    const cells = others.map((name) => summary(ratios(byContender[name] as number[], baseline)));
    const peerRounds = baseline.map((_, i) => Math.min(...PEERS.map((peer) => byContender[peer]?.[i] as number)));
    const best = PEERS.reduce((a, b) =>
      median(byContender[a] as number[]) <= median(byContender[b] as number[]) ? a : b,
    );
    const packageOverBest = summary(ratios(byContender[tbp.name] as number[], peerRounds));
    lines.push(`| ${label} | ${summary(baseline, digits)} | ${cells.join(' | ')} | ${packageOverBest} (${best}) |`);
  }
  lines.push('', ...notes, '<!-- peers:end -->', '');
  return lines.join('\n');
}

/** Puts the section into bench/RESULTS.md, in place of the one before it if there was one. */
function writeResults(section: string): void {
  const root = repositoryRoot();
  const own = join(root, 'bench', 'peers', 'RESULTS.md');
  const file = join(root, 'bench', 'RESULTS.md');
  writeFileSync(own, section);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const marked = /<!-- peers:start[\s\S]*?<!-- peers:end -->\n?/;
  let next: string;
  if (marked.test(current)) next = current.replace(marked, section);
  else {
    // Before the notes that bench.ts appends, which start with this heading.
    const notes = current.indexOf('## How to read this');
    next =
      notes < 0
        ? `${current.trimEnd()}\n\n${section}`
        : `${current.slice(0, notes)}${section}\n${current.slice(notes)}`;
  }
  writeFileSync(file, next);
  // Aligned as the repository's formatter, which lints these files, has them.
  spawnSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', file, own], {
    cwd: root,
    stdio: 'ignore',
  });
}

// ---------------------------------------------------------------------------------------------- main

export async function runPeers(): Promise<string> {
  const url = urlOf(SERVER, DATABASE);
  await freshDatabase(SERVER, DATABASE);
  const dist = require(join(repositoryRoot(), 'dist')) as typeof Package;
  const db = dist.createDb({ url, logging: false });
  await dist.migrate(db.sequelize);
  // The plain models are written from the package's own metadata, as the main benchmark does.
  writeFileSync(plain.PLAIN_SCHEMA_FILE, plainSchemaSource(db.sequelize));
  await db.sequelize.close();

  const pool = new Pool({ connectionString: url, max: 2 });
  process.stderr.write(`seeding ${DATABASE} ...\n`);
  const fixture = await seed(pool);
  await seedPresentations(pool, fixture);
  const catalogues = await seedCatalogues(pool, CATALOGUES, CATALOGUE_PAGES);
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');

  const contenders: Contender[] = [];
  for (const module of MODULES) contenders.push(await module.setup(url));
  process.stderr.write('checking every contender’s answers ...\n');
  for (const contender of contenders) {
    try {
      await verify(contender, fixture, catalogues, pool);
    } catch (error) {
      // A loadPresentation whose answer has another shape is reported, not fatal: the include stands in.
      if (contender.name === tbp.name && contender.note === 'loadPresentation') {
        process.stderr.write(
          `loadPresentation's answer did not pass the checks (${String(error)}); using the include\n`,
        );
        const fallback = await tbp.setupWithoutLoadPresentation(url);
        contenders[contenders.indexOf(contender)] = fallback;
        await contender.close();
        await verify(fallback, fixture, catalogues, pool);
      } else throw error;
    }
  }

  if (process.env.BENCH_CHECK_ONLY === '1') {
    await Promise.all(contenders.map((contender) => contender.close()));
    await pool.end();
    await dropDatabase();
    return 'every contender’s answers passed the checks';
  }
  const samples = await measure(contenders, fixture, catalogues, pool);
  await Promise.all(contenders.map((contender) => contender.close()));
  await pool.end();
  process.stderr.write('cold start ...\n');
  const cold = coldStart(url);

  const tableRows = OPERATIONS.map((op) => ({
    label: op.label,
    byContender: samples[op.key] as Record<string, number[]>,
    digits: op.key === 'importPages' ? 1 : 3,
  }));
  tableRows.push({
    label: 'cold start (new process: load + define models / build client)',
    byContender: cold,
    digits: 0,
  });
  const presentationNotes = contenders
    .filter((contender) => contender.note)
    .map((contender) => `${contender.name}: ${contender.note}`);
  const notes = [`Presentation read: ${presentationNotes.join('; ')}; the others as in bench/peers/README.md.`];
  const section = report(tableRows, notes, rows[0]?.server_version ?? 'unknown');
  writeResults(section);
  await dropDatabase();
  return section;
}

async function dropDatabase(): Promise<void> {
  if (process.env.BENCH_KEEP_DATABASE === '1') return;
  const admin = new Pool({ connectionString: SERVER, max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
}

if (require.main === module) {
  runPeers()
    .then((section) => process.stdout.write(`${section}\n`))
    .catch((error) => {
      process.stderr.write(`bench:peers: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    });
}
