/**
 * `npm run bench:publish` (and the end of `npm run bench`): publishing on the
 * local PostgreSQL against a raw `INSERT ... SELECT` of the same rows, in
 * interleaved rounds; statements counted through Sequelize's logging; a
 * 10,000-page publish with the process's memory sampled while it runs.
 * Replaces its section of bench/RESULTS.md. A script, not a test.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { createDb, type Db, migrate, publishEnvironment, rollbackPublish } from '../src';
import { median, summary, urlOf } from './data';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = process.env.BENCH_PUBLISH_DATABASE ?? 'tbp_bench_publish';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const PAGES = 1000;
const LARGE = 10_000;
const TRACKS = 40;
const RESULTS = join(__dirname, 'RESULTS.md');
const START = '<!-- publish:start (written by `npm run bench:publish`) -->';
const END = '<!-- publish:end -->';

const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const elapsed = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

async function freshDatabase(): Promise<void> {
  const admin = new Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${DATABASE}"`);
  await admin.end();
}

async function dropDatabase(): Promise<void> {
  const admin = new Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await admin.end();
}

/** A project with `pages` dev pages (UI schemas of about 1 KB), a transition setting and 40 audio tracks. */
async function project(pool: Pool, slug: string, pages: number): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO projects (id, name, slug, production_presentation_visibility, "createdAt", "updatedAt")
     VALUES (gen_random_uuid(), $1, $1, 'public', now(), now()) RETURNING id`,
    [slug],
  );
  const id = rows[0]?.id as string;
  await pool.query(
    `INSERT INTO tour_pages (id, "projectId", environment, name, slug, sort_order, background_loop, requires_auth,
       ui_schema_json, "createdAt", "updatedAt")
     SELECT gen_random_uuid(), $1, 'dev', 'Page ' || n, 'page-' || n, n, false, false,
       json_build_object('version', 3, 'elements', (SELECT json_agg(json_build_object(
         'id', 'el-' || n || '-' || e, 'type', (ARRAY['hotspot','button','tooltip','gallery','text','media'])[e],
         'x', (n * 7 + e * 31) % 1920, 'y', (n * 13 + e * 17) % 1080, 'label', 'Element ' || e || ' of page ' || n,
         'action', json_build_object('kind', 'navigate', 'target', 'page-' || ((n + e) % 20), 'transition', 'fade')))
         FROM generate_series(1, 6) e),
         'links', json_build_array(json_build_object('to', 'page-' || ((n + 1) % 20)))), now(), now()
     FROM generate_series(1, $2::int) n`,
    [id, pages],
  );
  await pool.query(
    `INSERT INTO project_transition_settings (id, "projectId", environment, transition_type, duration_ms, easing,
       overlay_color, "createdAt", "updatedAt")
     VALUES (gen_random_uuid(), $1, 'dev', 'fade', 700, 'ease-in-out', '#000000', now(), now())`,
    [id],
  );
  await pool.query(
    `INSERT INTO project_audio_tracks (id, "projectId", environment, name, url, loop, volume, sort_order, is_enabled,
       "createdAt", "updatedAt")
     SELECT gen_random_uuid(), $1, 'dev', 'Track ' || n, 'https://cdn.example.com/' || n || '.mp3', true, 0.5, n, true,
       now(), now() FROM generate_series(1, $2::int) n`,
    [id, TRACKS],
  );
  return id;
}

/** Empties a project's stage and its publishing history (not timed). */
async function clearStage(pool: Pool, projectId: string): Promise<void> {
  for (const table of ['tour_pages', 'project_transition_settings', 'project_audio_tracks']) {
    await pool.query(`DELETE FROM ${table} WHERE "projectId" = $1 AND environment = 'stage'`, [projectId]);
  }
  await pool.query('DELETE FROM publish_events WHERE "projectId" = $1', [projectId]);
}

/** Changes every dev page of a project (not timed), so that the next publish updates every copy. */
async function edit(pool: Pool, projectId: string, round: number): Promise<void> {
  await pool.query(
    `UPDATE tour_pages SET name = 'Page ' || sort_order || ' (edit ' || $2::int || ')', "updatedAt" = now()
     WHERE "projectId" = $1 AND environment = 'dev'`,
    [projectId, round],
  );
}

/** The floor: the same three copies as single `INSERT ... SELECT` statements in one transaction, raw pg. */
async function rawCopy(pool: Pool, projectId: string): Promise<number> {
  const client = await pool.connect();
  try {
    const started = process.hrtime.bigint();
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO tour_pages (id, environment, source_key, "projectId", name, slug, sort_order, background_image_url,
         background_video_url, background_audio_url, background_loop, requires_auth, ui_schema_json, "createdAt",
         "updatedAt")
       SELECT gen_random_uuid(), 'stage', id::text, "projectId", name, slug, sort_order, background_image_url,
         background_video_url, background_audio_url, background_loop, requires_auth, ui_schema_json, now(), now()
       FROM tour_pages WHERE "projectId" = $1 AND environment = 'dev' AND "deletedAt" IS NULL`,
      [projectId],
    );
    await client.query(
      `INSERT INTO project_transition_settings (id, environment, source_key, "projectId", transition_type, duration_ms,
         easing, overlay_color, "createdAt", "updatedAt")
       SELECT gen_random_uuid(), 'stage', id::text, "projectId", transition_type, duration_ms, easing, overlay_color,
         now(), now()
       FROM project_transition_settings WHERE "projectId" = $1 AND environment = 'dev' AND "deletedAt" IS NULL`,
      [projectId],
    );
    await client.query(
      `INSERT INTO project_audio_tracks (id, environment, source_key, "projectId", name, slug, url, loop, volume,
         sort_order, is_enabled, "createdAt", "updatedAt")
       SELECT gen_random_uuid(), 'stage', id::text, "projectId", name, slug, url, loop, volume, sort_order, is_enabled,
         now(), now()
       FROM project_audio_tracks WHERE "projectId" = $1 AND environment = 'dev' AND "deletedAt" IS NULL`,
      [projectId],
    );
    await client.query('COMMIT');
    return elapsed(started);
  } finally {
    client.release();
  }
}

interface Counter {
  statements: number;
}

/** Runs `work`, returning its time in ms and the statements Sequelize sent meanwhile. */
async function measure<T>(counter: Counter, work: () => Promise<T>) {
  counter.statements = 0;
  const started = process.hrtime.bigint();
  const result = await work();
  return { ms: elapsed(started), statements: counter.statements, result };
}

/** The process's memory while `work` runs: growth of the peak over the start, in MB, sampled every 5 ms. */
async function memoryDuring<T>(work: () => Promise<T>) {
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.memoryUsage();
  const peak = { rss: start.rss, heapUsed: start.heapUsed };
  const sample = () => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
  };
  const timer = setInterval(sample, 5);
  try {
    const result = await work();
    sample();
    return { result, rssMb: (peak.rss - start.rss) / 2 ** 20, heapMb: (peak.heapUsed - start.heapUsed) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

export async function benchPublish(): Promise<string> {
  await freshDatabase();
  const counter: Counter = { statements: 0 };
  const db: Db = createDb({
    url: urlOf(SERVER, DATABASE),
    logging: () => {
      counter.statements += 1;
    },
    sequelize: { pool: { max: 5 } },
  });
  const pool = new Pool({ connectionString: urlOf(SERVER, DATABASE), max: 3 });
  try {
    await migrate(db.sequelize);
    process.stderr.write(
      `publish: seeding ${PAGES.toLocaleString('en')} and ${LARGE.toLocaleString('en')} pages ...\n`,
    );
    const small = await project(pool, 'bench-1k', PAGES);
    const large = await project(pool, 'bench-10k', LARGE);
    await pool.query('VACUUM ANALYZE');
    const { rows: version } = await pool.query<{ server_version: string }>('SHOW server_version');

    const samples = {
      first: [] as number[],
      unchanged: [] as number[],
      repeat: [] as number[],
      rollback: [] as number[],
      raw: [] as number[],
      statements: { first: 0, unchanged: 0, repeat: 0, rollback: 0 },
    };
    for (let round = 0; round <= ROUNDS; round += 1) {
      process.stderr.write(`publish: round ${round}/${ROUNDS}\n`);
      const timings: { raw?: number; first?: number; unchanged?: number; repeat?: number; rollback?: number } = {};
      const runRaw = async () => {
        await clearStage(pool, small);
        timings.raw = await rawCopy(pool, small);
      };
      const runPackage = async () => {
        await clearStage(pool, small);
        const first = await measure(counter, () => publishEnvironment(db, small, 'dev', 'stage'));
        const unchanged = await measure(counter, () => publishEnvironment(db, small, 'dev', 'stage'));
        await edit(pool, small, round);
        const repeat = await measure(counter, () => publishEnvironment(db, small, 'dev', 'stage'));
        const rollback = await measure(counter, () => rollbackPublish(db, repeat.result.event.id));
        if (rollback.result.pagesCopied !== PAGES) throw new Error('the rollback did not restore every page');
        Object.assign(timings, { first: first.ms, unchanged: unchanged.ms, repeat: repeat.ms, rollback: rollback.ms });
        samples.statements = {
          first: first.statements,
          unchanged: unchanged.statements,
          repeat: repeat.statements,
          rollback: rollback.statements,
        };
      };
      for (const run of round % 2 ? [runRaw, runPackage] : [runPackage, runRaw]) await run();
      if (round === 0) continue; // warm-up
      samples.raw.push(timings.raw as number);
      samples.first.push(timings.first as number);
      samples.unchanged.push(timings.unchanged as number);
      samples.repeat.push(timings.repeat as number);
      samples.rollback.push(timings.rollback as number);
    }

    process.stderr.write('publish: 1,000 and 10,000 pages with memory sampled ...\n');
    await clearStage(pool, small);
    const memorySmall = await memoryDuring(() => measure(counter, () => publishEnvironment(db, small, 'dev', 'stage')));
    const memoryLarge = await memoryDuring(() => measure(counter, () => publishEnvironment(db, large, 'dev', 'stage')));
    await edit(pool, large, 1);
    const largeRepeat = await memoryDuring(() => measure(counter, () => publishEnvironment(db, large, 'dev', 'stage')));
    const largeRollback = await memoryDuring(() =>
      measure(counter, () => rollbackPublish(db, largeRepeat.result.result.event.id)),
    );
    await clearStage(pool, large);
    const largeRaw = await rawCopy(pool, large);

    const ratio = (values: number[]) => values.map((value, i) => value / (samples.raw[i] as number));
    const row = (name: string, values: number[], statements: number) =>
      `| ${name} | ${summary(values, 1)} | ${statements} | ${summary(samples.raw, 1)} | ${summary(ratio(values), 2)} | ` +
      `<= 3x raw and <= 20 statements: ${verdict(median(ratio(values)) <= 3 && statements <= 20)} |`;
    const large1 = memoryLarge.result;
    const memoryRow = (name: string, run: typeof memorySmall, rows: number) =>
      `| ${name} | ${run.result.ms.toFixed(0)} | ${run.result.statements} | ${run.heapMb.toFixed(1)} | ${run.rssMb.toFixed(1)} | ${rows.toLocaleString('en')} |`;
    const lines = [
      START,
      '## Publishing (dev -> stage, on PostgreSQL)',
      '',
      `A project of ${PAGES.toLocaleString('en')} dev pages with ~1 KB UI schemas, a transition setting and ${TRACKS} audio ` +
        `tracks. ${ROUNDS} interleaved rounds after a warm-up round, package and raw baseline taking turns; ` +
        'medians (range). "raw" is the floor: the same three copies as one `INSERT ... SELECT` each, in one ' +
        'transaction, with pg. Statements are what Sequelize sent (BEGIN and COMMIT included, the side ' +
        'connection’s event INSERT too).',
      `Node ${process.versions.node}, PostgreSQL ${version[0]?.server_version}, on the machine named at the top.`,
      '',
      '| operation | package (ms) | statements | raw INSERT ... SELECT (ms) | package / raw | target |',
      '|---|---|---|---|---|---|',
      row(`first publish of ${PAGES.toLocaleString('en')} pages`, samples.first, samples.statements.first),
      row('the same publish again, nothing changed', samples.unchanged, samples.statements.unchanged),
      row('again after every page changed (every copy updated)', samples.repeat, samples.statements.repeat),
      row(
        `rollback of that publish (${PAGES.toLocaleString('en')} pages restored)`,
        samples.rollback,
        samples.statements.rollback,
      ),
      '',
      `### ${LARGE.toLocaleString('en')} pages`,
      '',
      'One run each; memory is the growth of the process’s peak over its level before the call (after a GC), ' +
        'sampled every 5 ms while it runs.',
      '',
      '| operation | ms | statements | heap growth (MB) | RSS growth (MB) | pages |',
      '|---|---|---|---|---|---|',
      memoryRow('first publish', memorySmall, PAGES),
      memoryRow('first publish', memoryLarge, LARGE),
      memoryRow('again after every page changed', largeRepeat, LARGE),
      memoryRow('rollback of it', largeRollback, LARGE),
      `| raw INSERT ... SELECT | ${largeRaw.toFixed(0)} | - | - | - | ${LARGE.toLocaleString('en')} |`,
      '',
      `${LARGE.toLocaleString('en')} pages in well under a minute: ${verdict(large1.ms < 60_000)}; memory that does not ` +
        `grow with the page count: ${verdict(memoryLarge.heapMb < Math.max(10, memorySmall.heapMb * 3))} (the rows ` +
        'never leave the server: the copy, the snapshot and the restore are SQL statements whose size is fixed).',
      END,
    ];
    return lines.join('\n');
  } finally {
    await db.sequelize.close();
    await pool.end();
    await dropDatabase();
  }
}

/** Puts the section into bench/RESULTS.md: where it was, else before the notes, else at the end. */
export function writeSection(section: string): void {
  let text = '';
  try {
    text = readFileSync(RESULTS, 'utf8');
  } catch {
    text = '# Benchmark results\n';
  }
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start >= 0 && end > start) {
    text = `${text.slice(0, start)}${section}${text.slice(end + END.length)}`;
  } else {
    const notes = text.indexOf('\n## How to read this');
    text =
      notes >= 0 ? `${text.slice(0, notes)}\n${section}\n${text.slice(notes)}` : `${text.trimEnd()}\n\n${section}\n`;
  }
  writeFileSync(RESULTS, text);
}

export async function main(): Promise<void> {
  const section = await benchPublish();
  writeSection(section);
  process.stdout.write(`${section}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench:publish: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
