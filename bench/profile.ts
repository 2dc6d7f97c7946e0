/**
 * `npm run bench:profile`: where the time of each of the package's operations
 * goes, from a CPU profile of this process (the inspector's profiler, as
 * `node --cpu-prof` records it) while the operation runs many times in a row on
 * the benchmark's data. Prints, and writes into bench/RESULTS.md, each
 * operation's time split by who spends it (the package, Sequelize, pg, Node,
 * and idle: waiting for PostgreSQL) and its top frames by self time.
 * `PROFILE_OPS=byPk,insertPage` profiles only those. A script, not a test.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createDb, type Db, importRows, loadEditorView, loadPresentation, migrate } from '../src';
import {
  type Fixture,
  freshDatabase,
  prepareImport,
  seed,
  seedCatalogues,
  seedPresentations,
  uiSchema,
  urlOf,
} from './data';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = process.env.BENCH_PROFILE_DATABASE ?? 'tbp_bench_profile';
const RESULTS = join(__dirname, 'RESULTS.md');
const SECTION_START = '<!-- profile:start -->';
const SECTION_END = '<!-- profile:end -->';

interface Profiled {
  key: string;
  label: string;
  times: number;
  run: (i: number) => Promise<unknown>;
  prepare?: () => Promise<void>;
}

function operations(db: Db, pool: Pool, fixture: Fixture, catalogues: string[]): Profiled[] {
  const projectId = (i: number) => fixture.projectIds[(i * 104729) % fixture.projectIds.length] as string;
  const written: string[] = [];
  let counter = 0;
  let importBatch: object[] = [];
  return [
    {
      key: 'byPk',
      label: 'project by primary key (findByPk, raw)',
      times: 3000,
      run: (i) => db.projects.findByPk(projectId(i), { raw: true }),
    },
    {
      key: 'pagesByName',
      label: '100 pages of a project by name (findAll, raw)',
      times: 500,
      run: (i) =>
        db.tour_pages.findAll({
          where: { projectId: catalogues[i % catalogues.length] as string },
          order: [['name', 'ASC']],
          limit: 100,
          raw: true,
        }),
    },
    {
      key: 'projectWithPagesMembers',
      label: 'project + production pages + members with users (loadEditorView)',
      times: 1000,
      run: (i) => loadEditorView(db, projectId(i), 'production'),
    },
    {
      key: 'presentation',
      label: 'presentation (loadPresentation)',
      times: 1000,
      run: (i) => loadPresentation(db, projectId(i), 'production'),
    },
    {
      key: 'insertPage',
      label: 'insert one page (create)',
      times: 2000,
      run: async () => {
        counter += 1;
        const page = await db.tour_pages.create({
          name: `Profiled ${counter}`,
          slug: `profiled-${counter}`,
          projectId: fixture.benchProjectId,
          ui_schema_json: uiSchema(counter),
        });
        written.push(page.id);
      },
    },
    {
      key: 'updatePageName',
      label: 'update one page’s name (static update)',
      times: 2000,
      run: (i) => db.tour_pages.update({ name: `Renamed ${i}` }, { where: { id: written[i] as string } }),
    },
    {
      key: 'softDeletePage',
      label: 'soft delete one page (static destroy)',
      times: 2000,
      run: (i) => db.tour_pages.destroy({ where: { id: written[i] as string } }),
    },
    {
      key: 'importPages',
      label: 'import 10,000 pages (importRows)',
      times: 1,
      prepare: async () => {
        importBatch = await prepareImport(pool, `profile-${randomUUID().slice(0, 8)}`);
      },
      run: () => importRows(db.tour_pages, importBatch),
    },
  ];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

const ROOT = join(__dirname, '..');

/** Who a frame's time belongs to. */
function ownerOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (functionName === '(idle)') return 'idle (waiting for PostgreSQL)';
  if (functionName === '(garbage collector)') return 'garbage collector';
  // Frames without a script: the socket's writes and reads, V8's own work.
  if (!url)
    return /^(writeBuffer|writev|writeUtf8String|dispatch|onStreamRead)$/.test(functionName)
      ? 'socket I/O'
      : 'V8 / native';
  const path = url.replace('file://', '');
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  if (dependency) return dependency;
  if (path.startsWith(join(ROOT, 'src')) || path.startsWith(join(ROOT, 'dist'))) return 'the package';
  if (path.startsWith('node:')) return 'Node';
  return path.startsWith(ROOT) ? 'benchmark script' : 'Node';
}

function frameName(node: ProfileNode): string {
  const { url, functionName, lineNumber } = node.callFrame;
  const where = url
    .replace('file://', '')
    .replace(/.*node_modules\//, '')
    .replace(`${ROOT}/`, '');
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
}

function summarise(profile: CpuProfile, times: number) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // The profiler's own stop (under node:inspector's post) is not the operation's time.
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const inspector = (id: number | undefined): boolean =>
    id !== undefined && (byId.get(id)?.callFrame.url === 'node:inspector' || inspector(parentOf.get(id)));
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  let total = 0;
  const owners = new Map<string, number>();
  const frames = new Map<string, number>();
  for (const [id, micros] of self) {
    if (inspector(id)) continue;
    const node = byId.get(id) as ProfileNode;
    total += micros;
    const owner = ownerOf(node);
    owners.set(owner, (owners.get(owner) ?? 0) + micros);
    if (owner !== 'idle (waiting for PostgreSQL)' && node.callFrame.functionName !== '(program)') {
      const name = frameName(node);
      frames.set(name, (frames.get(name) ?? 0) + micros);
    }
  }
  const perOp = (micros: number) => micros / times;
  const sorted = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return {
    perOp: perOp(total),
    owners: sorted(owners).map(([owner, micros]) => ({ owner, perOp: perOp(micros), share: micros / total })),
    frames: sorted(frames)
      .slice(0, 10)
      .map(([frame, micros]) => ({ frame, perOp: perOp(micros), share: micros / total })),
  };
}

async function main(): Promise<void> {
  const only = process.env.PROFILE_OPS?.split(',').map((key) => key.trim());
  await freshDatabase(SERVER, DATABASE);
  const url = urlOf(SERVER, DATABASE);
  const db = createDb({ url, logging: false, sequelize: { pool: { max: 4 } } });
  await migrate(db.sequelize);
  const pool = new Pool({ connectionString: url, max: 2 });
  process.stderr.write(`seeding ${DATABASE} ...\n`);
  const fixture = await seed(pool);
  await seedPresentations(pool, fixture);
  const catalogues = await seedCatalogues(pool, 20, 120);

  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
  const lines: string[] = [];
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  lines.push(
    SECTION_START,
    '## Where the time goes: CPU profiles of the package’s operations',
    '',
    `\`npm run bench:profile\`, ${new Date().toISOString().slice(0, 10)}; Node ${process.versions.node}, PostgreSQL ${rows[0]?.server_version}, the benchmark's data.`,
    'Each operation runs many times in a row after a warm-up; the inspector profiles the process meanwhile (what `node --cpu-prof` records).',
    '"idle" is the process waiting for PostgreSQL; the rest is CPU spent in this process, by owner, then the top frames by self time.',
    '',
  );
  for (const op of operations(db, pool, fixture, catalogues)) {
    if (only && !only.includes(op.key)) continue;
    // Warm-up: the JIT, the statement paths, the server's caches.
    await op.prepare?.();
    for (let i = 0; i < Math.min(op.times, 200); i += 1) await op.run(i);
    await op.prepare?.();
    await post(session, 'Profiler.start');
    for (let i = 0; i < op.times; i += 1) await op.run(i);
    const { profile } = await post<{ profile: CpuProfile }>(session, 'Profiler.stop');
    // PROFILE_SAVE=dir keeps each profile, for Chrome DevTools or a closer look.
    if (process.env.PROFILE_SAVE) {
      writeFileSync(join(process.env.PROFILE_SAVE, `${op.key}.cpuprofile`), JSON.stringify(profile));
    }
    const summary = summarise(profile, op.times);
    const unit = summary.perOp >= 10_000 ? 'ms' : 'µs';
    const show = (micros: number) => (unit === 'ms' ? (micros / 1000).toFixed(1) : micros.toFixed(0));
    process.stderr.write(`${op.label}: ${show(summary.perOp)} ${unit} per operation\n`);
    lines.push(
      `### ${op.label}: ${show(summary.perOp)} ${unit} an operation (${op.times.toLocaleString('en')} in a row)`,
      '',
      `By owner: ${summary.owners
        .filter(({ share }) => share >= 0.01)
        .map(({ owner, perOp, share }) => `${owner} ${show(perOp)} ${unit} (${(share * 100).toFixed(0)}%)`)
        .join(', ')}.`,
      '',
      `| top frames by self time | ${unit} an operation | share |`,
      '|---|---|---|',
      ...summary.frames.map(
        ({ frame, perOp, share }) =>
          `| \`${frame.replace(/\|/g, '\\|')}\` | ${show(perOp)} | ${(share * 100).toFixed(1)}% |`,
      ),
      '',
    );
  }
  lines.push(SECTION_END);
  session.disconnect();
  await Promise.all([db.sequelize.close(), pool.end()]);
  const admin = new Pool({ connectionString: SERVER, max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
  const section = lines.join('\n');
  process.stdout.write(`${section}\n`);
  if (only) return;
  const results = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const start = results.indexOf(SECTION_START);
  const end = results.indexOf(SECTION_END);
  writeFileSync(
    RESULTS,
    start >= 0 && end > start
      ? results.slice(0, start) + section + results.slice(end + SECTION_END.length)
      : `${results.trimEnd()}\n\n${section}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`bench:profile: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
