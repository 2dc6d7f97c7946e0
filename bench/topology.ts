/**
 * `npm run bench:topology`: read throughput of the presentation read path (a
 * project's production pages with its transition settings and audio tracks),
 * directly on the primary, through PgBouncer (transaction mode), and spread
 * over the primary and its replica, in the same run, on the test topology of
 * scripts/pg-topology.sh (brought up when it is not). Interleaved rounds,
 * medians with their spread; writes bench/TOPOLOGY.md and its table into
 * bench/RESULTS.md. A script, not a test.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { QueryTypes } from 'sequelize';
import { readTopology, type Topology } from '../__tests__/topology/env';
import { createDb, type Db, importRows, migrate } from '../src';
import { median } from './data';

const ROOT = join(__dirname, '..');
const DATABASE = 'tbp_bench_topology';
const ROUNDS = Number(process.env.BENCH_TOPOLOGY_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_TOPOLOGY_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_TOPOLOGY_CONCURRENCY ?? 16);
const POOL_MAX = Number(process.env.BENCH_TOPOLOGY_POOL ?? 8);
const PROJECTS = 200;
const PAGES = 10; // production pages a project (and as many in dev)

const summary = (values: number[], digits = 0) =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;

function withDatabase(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${DATABASE}`;
  return parsed.toString();
}

function topologyUp(): Topology {
  const script = join(ROOT, 'scripts', 'pg-topology.sh');
  try {
    execFileSync('bash', [script, 'status'], { stdio: 'ignore' });
  } catch {
    process.stderr.write('bench: bringing the test topology up (scripts/pg-topology.sh up)\n');
    execFileSync('bash', [script, 'up'], { stdio: 'inherit' });
  }
  const topology = readTopology();
  if (!topology) throw new Error('scripts/pg-topology.sh up wrote no .topology.env');
  return topology;
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** 200 public projects, each with 10 dev and 10 production pages (~1 KB UI schema), a transition setting and 2 tracks a side. */
async function seed(db: Db): Promise<string[]> {
  await migrate(db.sequelize);
  const projects = Array.from({ length: PROJECTS }, (_, p) => ({
    id: randomUUID(),
    name: `Tour ${p}`,
    slug: `tour-${p}`,
    production_presentation_visibility: 'public',
  }));
  await importRows(db.projects, projects);
  const environments = ['dev', 'production'] as const;
  await importRows(
    db.tour_pages,
    projects.flatMap(({ id: projectId }, p) =>
      environments.flatMap((environment) =>
        Array.from({ length: PAGES }, (_, i) => ({
          projectId,
          environment,
          name: `Room ${i}`,
          slug: `room-${i}`,
          sort_order: i,
          background_image_url: `https://cdn.example.com/${p}/${i}.jpg`,
          ui_schema_json: {
            elements: Array.from({ length: 6 }, (_, e) => ({
              id: `el-${p}-${i}-${e}`,
              type: ['hotspot', 'button', 'tooltip', 'gallery', 'text', 'media'][e],
              x: (p * 7 + e * 31) % 1920,
              y: (i * 13 + e * 17) % 1080,
              label: `Element ${e} of room ${i}`,
              action: { kind: 'navigate', target: `room-${(i + e) % PAGES}`, transition: 'fade' },
            })),
          },
        })),
      ),
    ),
  );
  await importRows(
    db.project_transition_settings,
    projects.flatMap(({ id: projectId }) =>
      environments.map((environment) => ({ projectId, environment, transition_type: 'crossfade', duration_ms: 900 })),
    ),
  );
  await importRows(
    db.project_audio_tracks,
    projects.flatMap(({ id: projectId }) =>
      environments.flatMap((environment) =>
        [0, 1].map((t) => ({
          projectId,
          environment,
          name: `Track ${t}`,
          slug: `track-${t}`,
          url: `https://cdn.example.com/${projectId}/${t}.mp3`,
          loop: true,
          volume: 0.6,
          is_enabled: true,
          sort_order: t,
        })),
      ),
    ),
  );
  await db.sequelize.query('VACUUM ANALYZE');
  return projects.map((project) => project.slug);
}

/** The presentation read path: a public project by slug, its production pages in order, transitions and tracks. */
async function presentation(db: Db, slug: string): Promise<number> {
  const production = { environment: 'production' };
  const project = await db.projects.findOne({
    where: { slug },
    include: [
      { association: 'tour_pages_project', where: production, required: false },
      { association: 'project_transition_settings_project', where: production, required: false },
      { association: 'project_audio_tracks_project', where: production, required: false },
    ],
    order: [['tour_pages_project', 'sort_order', 'ASC']],
  });
  const pages = project?.tour_pages_project?.length ?? 0;
  if (pages !== PAGES || project?.project_audio_tracks_project?.length !== 2) {
    throw new Error(`the read path read ${pages} pages of ${slug}: the seed is not what the bench expects`);
  }
  return pages;
}

/** Node's own CPU time of the last `throughput` call, in ms per second of it: 1000 is one core busy all along. */
let nodeCpuMsPerSecond = 0;

/** Reads per second: CONCURRENCY loops reading presentations for SECONDS. */
async function throughput(db: Db, slugs: string[]): Promise<number> {
  let reads = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const until = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = worker; performance.now() < until; i += CONCURRENCY) {
        await presentation(db, slugs[i % slugs.length] as string);
        reads += 1;
      }
    }),
  );
  // Over the time it took, with the reads still running at the deadline.
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  nodeCpuMsPerSecond = (used.user + used.system) / 1000 / seconds;
  return reads / seconds;
}

type Variant = 'direct' | 'pgbouncer' | 'spread';
const VARIANTS: Variant[] = ['direct', 'pgbouncer', 'spread'];

async function main(): Promise<void> {
  const topology = topologyUp();
  await admin(topology.primaryUrl, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin(topology.primaryUrl, `CREATE DATABASE ${DATABASE}`);
  const primary = withDatabase(topology.primaryUrl);
  const replica = withDatabase(topology.replicaUrl);
  const pool = { max: POOL_MAX };
  const dbs: Record<Variant, Db> = {
    direct: createDb({ url: primary, logging: false, pool }),
    pgbouncer: createDb({ url: withDatabase(topology.pgbouncerUrl), logging: false, pool }),
    // Sequelize opens read connections round-robin over its read URLs: listing the primary too spreads reads over both.
    spread: createDb({ url: primary, readUrls: [replica, primary], logging: false, pool }),
  };
  try {
    const slugs = await seed(dbs.direct);
    // The replica applies the seed 500 ms late (the topology's recovery_min_apply_delay).
    const onReplica = new Client({ connectionString: replica });
    await onReplica.connect();
    for (;;) {
      const { rows } = await onReplica.query<{ n: string }>('SELECT count(*) AS n FROM tour_pages');
      if (Number(rows[0]?.n) === PROJECTS * PAGES * 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await onReplica.end();
    const results: Record<Variant, number[]> = { direct: [], pgbouncer: [], spread: [] };
    const ratios: Record<'pgbouncer' | 'spread', number[]> = { pgbouncer: [], spread: [] };
    const nodeCpu: Record<Variant, number[]> = { direct: [], pgbouncer: [], spread: [] };
    for (const variant of VARIANTS) await throughput(dbs[variant], slugs.slice(0, 20)); // warm-up: pools, caches
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length] as Variant);
      const measured: Partial<Record<Variant, number>> = {};
      for (const variant of order) {
        measured[variant] = await throughput(dbs[variant], slugs);
        nodeCpu[variant].push(nodeCpuMsPerSecond / 10); // % of one core
      }
      for (const variant of VARIANTS) results[variant].push(measured[variant] as number);
      ratios.pgbouncer.push((measured.pgbouncer as number) / (measured.direct as number));
      ratios.spread.push((measured.spread as number) / (measured.direct as number));
      process.stderr.write(`bench: round ${round + 1}/${ROUNDS} ${JSON.stringify(measured)}\n`);
    }
    const [serverVersion] = await dbs.direct.sequelize.query<{ server_version: string }>('SHOW server_version', {
      type: QueryTypes.SELECT,
    });
    const lines = [
      '## Read scaling on the test topology (`npm run bench:topology`)',
      '',
      `The presentation read path (a public project by slug with its ${PAGES} production pages in order, its transition`,
      `setting and its 2 audio tracks; one query) over ${PROJECTS} projects, ${CONCURRENCY} concurrent readers, a pool of ${POOL_MAX}`,
      `connections per pool, ${ROUNDS} interleaved rounds of ${SECONDS} s (the order rotating), medians with the range of the rounds.`,
      `PostgreSQL ${serverVersion?.server_version} primary, a streaming replica and PgBouncer ${pgbouncerVersion()} (transaction`,
      `mode), all on this machine (${cpus().length} cores, shared with Node).`,
      '',
      ...markdownTable([
        ['reads go to', 'reads / s', '/ direct', 'Node process, % of one core'],
        ['the primary, directly', summary(results.direct), '1.00', summary(nodeCpu.direct)],
        [
          'the primary, through PgBouncer',
          summary(results.pgbouncer),
          summary(ratios.pgbouncer, 2),
          summary(nodeCpu.pgbouncer),
        ],
        [
          'the replica and the primary (`DB_READ_URLS` = replica, primary)',
          summary(results.spread),
          summary(ratios.spread, 2),
          summary(nodeCpu.spread),
        ],
      ]),
      '',
    ];
    const report = lines.join('\n');
    writeFileSync(join(__dirname, 'TOPOLOGY.md'), report);
    spliceIntoResults(report);
    process.stdout.write(`${report}\n`);
  } finally {
    await Promise.all(Object.values(dbs).map((db) => db.sequelize.close()));
    await admin(topology.primaryUrl, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  }
}

/** A Markdown table with its columns aligned, as the repository's formatter writes them. */
function markdownTable(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(3, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [header = [], ...body] = rows;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)];
}

function pgbouncerVersion(): string {
  try {
    return /PgBouncer\s+(\S+)/i.exec(execFileSync('pgbouncer', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** Puts the table into RESULTS.md before its notes (bench.ts puts TOPOLOGY.md there when it rewrites the file). */
function spliceIntoResults(report: string): void {
  const file = join(__dirname, 'RESULTS.md');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('## Read scaling on the test topology');
  const notes = text.indexOf('## How to read this');
  const withoutOld = start === -1 ? text : text.slice(0, start) + text.slice(notes === -1 ? text.length : notes);
  const at = withoutOld.indexOf('## How to read this');
  writeFileSync(
    file,
    at === -1 ? `${withoutOld}\n${report}` : `${withoutOld.slice(0, at)}${report}\n${withoutOld.slice(at)}`,
  );
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
