/**
 * The benchmarks' data and statistics, shared by `bench/bench.ts` and the ORM
 * peers (`bench/peers/run.ts`) so that both measure the same rows, seeded the
 * same way: raw SQL with bound parameters, on a schema the package migrated.
 * Depends on pg and bcryptjs only, not on the package.
 */
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { Client, type Pool } from 'pg';

export const PROJECTS = 1000;
export const PAGES_PER_PROJECT = 20;
export const IMPORT_ROWS = 10_000;

/** `server` (a postgres:// URL) with its database replaced. */
export function urlOf(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Median with the spread of the rounds, as `1.23 (1.10-1.40)`. */
export function summary(values: number[], digits = 2): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;
}

/** One contender's part in a sample: its calls, what is done (untimed) before the first and after the last. */
export interface Turn {
  prepare?: (() => Promise<void>) | undefined;
  run: (i: number) => Promise<unknown>;
  finish?: (() => Promise<void>) | undefined;
  /** The time its calls took, added up over the slices. */
  nanoseconds: bigint;
}

/** Calls a contender makes in a row before the next one takes over (see `timeInSlices`). */
export const SLICE = 25;

/**
 * Runs `times` calls of every turn in slices of SLICE calls: each turn its first slice (in the order given),
 * then each its second (the order turned by one), and so on, adding up each one's time. On a shared machine
 * the server and the host pause now and then for some milliseconds; a sample of one contender's calls in one
 * piece takes such a pause whole, while sliced, the pauses of a round fall on every contender alike, and the
 * ratios of one round compare like with like. A sample of fewer than SLICE calls (the import) is one slice:
 * each turn prepares, runs and finishes before the next begins.
 */
export async function timeInSlices(times: number, turns: Turn[]): Promise<void> {
  for (let start = 0, slice = 0; start < times; start += SLICE, slice += 1) {
    const end = Math.min(times, start + SLICE);
    for (let k = 0; k < turns.length; k += 1) {
      const turn = turns[(k + slice) % turns.length] as Turn;
      if (start === 0) await turn.prepare?.();
      const started = process.hrtime.bigint();
      for (let i = start; i < end; i += 1) await turn.run(i);
      turn.nanoseconds += process.hrtime.bigint() - started;
      if (end === times) await turn.finish?.();
    }
  }
}

export function uiSchema(seed: number): Record<string, unknown> {
  // About 1 KB of page elements, like the editor's.
  return {
    version: 3,
    elements: Array.from({ length: 6 }, (_, i) => ({
      id: `el-${seed}-${i}`,
      type: ['hotspot', 'button', 'tooltip', 'gallery', 'text', 'media'][i],
      x: (seed * 7 + i * 31) % 1920,
      y: (seed * 13 + i * 17) % 1080,
      label: `Element ${i} of page ${seed}`,
      action: { kind: 'navigate', target: `page-${(seed + i) % 20}`, transition: 'fade' },
    })),
    links: [{ to: `page-${(seed + 1) % 20}` }, { to: `page-${(seed + 2) % 20}` }],
  };
}

/** Drops and re-creates `database` on `server`; the name is the caller's own. */
export async function freshDatabase(server: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
}

export async function insertMany(
  pool: Pool,
  table: string,
  columns: string[],
  rows: unknown[][],
  suffix = '',
): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    const batch = rows.slice(start, start + 500);
    const values: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((value) => `$${values.push(value)}`).join(', ')})`);
    await pool.query(
      `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}${suffix}`,
      values,
    );
  }
}

export interface Fixture {
  userIds: string[];
  projectIds: string[];
  benchProjectId: string;
}

const PROJECT_COLUMNS = ['id', 'name', 'slug', 'production_presentation_visibility', 'createdAt', 'updatedAt'];
const PAGE_COLUMNS = [
  'id',
  'projectId',
  'environment',
  'name',
  'slug',
  'sort_order',
  'background_loop',
  'requires_auth',
  'ui_schema_json',
  'createdAt',
  'updatedAt',
];

/** 500 users, 1,000 projects of 20 pages (half dev, half production) and 3 members each, a project to write to. */
export async function seed(pool: Pool): Promise<Fixture> {
  const now = new Date();
  const hash = bcrypt.hashSync('benchmark password', 10);
  const userIds = Array.from({ length: 500 }, () => randomUUID());
  await insertMany(
    pool,
    'users',
    [
      'id',
      'email',
      'password',
      'firstName',
      'lastName',
      'disabled',
      'emailVerified',
      'provider',
      'createdAt',
      'updatedAt',
    ],
    userIds.map((id, i) => [id, `user${i}@bench.example`, hash, 'Bench', `User ${i}`, false, true, 'local', now, now]),
  );
  const projectIds = Array.from({ length: PROJECTS }, () => randomUUID());
  await insertMany(
    pool,
    'projects',
    PROJECT_COLUMNS,
    projectIds.map((id, i) => [id, `Project ${i}`, `project-${i}`, 'public', now, now]),
  );
  const pages: unknown[][] = [];
  const memberships: unknown[][] = [];
  projectIds.forEach((projectId, p) => {
    for (let i = 0; i < PAGES_PER_PROJECT; i += 1) {
      const environment = i % 2 ? 'production' : 'dev';
      pages.push([
        randomUUID(),
        projectId,
        environment,
        `Page ${i}`,
        `page-${i}`,
        i,
        false,
        false,
        JSON.stringify(uiSchema(p * 20 + i)),
        now,
        now,
      ]);
    }
    for (let m = 0; m < 3; m += 1) {
      const access = ['owner', 'editor', 'viewer'][m];
      memberships.push([randomUUID(), projectId, userIds[(p * 3 + m) % userIds.length], access, true, now, now]);
    }
  });
  await insertMany(pool, 'tour_pages', PAGE_COLUMNS, pages);
  await insertMany(
    pool,
    'project_memberships',
    ['id', 'projectId', 'userId', 'access_level', 'is_active', 'createdAt', 'updatedAt'],
    memberships,
  );
  const benchProjectId = randomUUID();
  await insertMany(pool, 'projects', PROJECT_COLUMNS, [[benchProjectId, 'Writes', 'writes', 'public', now, now]]);
  await pool.query('VACUUM ANALYZE');
  return { userIds, projectIds, benchProjectId };
}

export const ELEMENT_TYPES_SEEDED = ['hotspot', 'button', 'tooltip', 'gallery', 'text'];

/**
 * What a presentation shows besides its pages, for every seeded project: the
 * transition settings and two audio tracks of each of dev and production
 * (one of each soft-deleted, which a presentation must leave out), and five
 * element defaults.
 */
export async function seedPresentations(pool: Pool, fixture: Fixture): Promise<void> {
  const now = new Date();
  const transitions: unknown[][] = [];
  const tracks: unknown[][] = [];
  const defaults: unknown[][] = [];
  fixture.projectIds.forEach((projectId, p) => {
    for (const environment of ['dev', 'production']) {
      transitions.push([randomUUID(), projectId, environment, 'fade', 500 + (p % 5) * 100, 'ease-in-out', '#000000']);
      for (let t = 0; t < 3; t += 1) {
        tracks.push([
          randomUUID(),
          projectId,
          environment,
          `Track ${t}`,
          `track-${t}`,
          `https://cdn.bench.example/${p}/${environment}/track-${t}.mp3`,
          t === 0,
          0.8,
          t,
          true,
          t === 2 ? now : null,
        ]);
      }
    }
    ELEMENT_TYPES_SEEDED.forEach((elementType, e) => {
      defaults.push([
        randomUUID(),
        projectId,
        elementType,
        `Default ${elementType}`,
        e,
        JSON.stringify({ color: '#336699', size: 12 + e, animation: 'pulse' }),
      ]);
    });
  });
  const stamp = (rows: unknown[][]) => rows.map((row) => [...row, now, now]);
  await insertMany(
    pool,
    'project_transition_settings',
    [
      'id',
      'projectId',
      'environment',
      'transition_type',
      'duration_ms',
      'easing',
      'overlay_color',
      'createdAt',
      'updatedAt',
    ],
    stamp(transitions),
  );
  await insertMany(
    pool,
    'project_audio_tracks',
    [
      'id',
      'projectId',
      'environment',
      'name',
      'slug',
      'url',
      'loop',
      'volume',
      'sort_order',
      'is_enabled',
      'deletedAt',
      'createdAt',
      'updatedAt',
    ],
    stamp(tracks),
  );
  await insertMany(
    pool,
    'project_element_defaults',
    ['id', 'projectId', 'element_type', 'name', 'sort_order', 'settings_json', 'createdAt', 'updatedAt'],
    stamp(defaults),
  );
  await pool.query('VACUUM ANALYZE');
}

/**
 * Projects of `pages` dev pages each, named `Catalogue N`, whose pages are
 * listed by name a hundred at a time; returns their ids.
 */
export async function seedCatalogues(pool: Pool, count: number, pages: number): Promise<string[]> {
  const now = new Date();
  const ids = Array.from({ length: count }, () => randomUUID());
  await insertMany(
    pool,
    'projects',
    PROJECT_COLUMNS,
    ids.map((id, c) => [id, `Catalogue ${c}`, `catalogue-${c}`, 'public', now, now]),
  );
  const rows: unknown[][] = [];
  ids.forEach((projectId, c) => {
    for (let i = 0; i < pages; i += 1) {
      // Names out of insertion order, so that ordering by name is real work.
      const n = (i * 7919) % pages;
      rows.push([
        randomUUID(),
        projectId,
        'dev',
        `Page ${String(n).padStart(4, '0')}`,
        `page-${i}`,
        i,
        false,
        false,
        JSON.stringify(uiSchema(c * pages + i)),
        now,
        now,
      ]);
    }
  });
  await insertMany(pool, 'tour_pages', PAGE_COLUMNS, rows);
  await pool.query('VACUUM ANALYZE');
  return ids;
}

export const IMPORT_COLUMN_NAMES = [
  'id',
  'name',
  'slug',
  'projectId',
  'environment',
  'sort_order',
  'background_loop',
  'requires_auth',
  'ui_schema_json',
  'importHash',
  'createdAt',
  'updatedAt',
];

/** The parameters of one imported page, in the order of IMPORT_COLUMN_NAMES. */
export function importParams(row: Record<string, unknown>, now: Date): unknown[] {
  const json = JSON.stringify(row.ui_schema_json);
  return [
    randomUUID(),
    row.name,
    row.slug,
    row.projectId,
    row.environment,
    row.sort_order,
    false,
    false,
    json,
    row.importHash,
    now,
    now,
  ];
}

export interface ImportRow {
  name: string;
  slug: string;
  projectId: string;
  environment: 'dev';
  sort_order: number;
  ui_schema_json: Record<string, unknown>;
  importHash: string;
}

/**
 * A new project and the IMPORT_ROWS pages to import into it, keyed by `key`;
 * the first 1,000 were imported before, so an import must skip them by importHash.
 */
export async function prepareImport(pool: Pool, key: string): Promise<ImportRow[]> {
  const projectId = randomUUID();
  const now = new Date();
  await pool.query(
    `INSERT INTO projects (id, name, slug, production_presentation_visibility, "createdAt", "updatedAt") VALUES ($1, $2, $3, 'public', $4, $4)`,
    [projectId, `Import ${key}`, `import-${key}`, now],
  );
  const rows: ImportRow[] = Array.from({ length: IMPORT_ROWS }, (_, i) => ({
    name: `Imported ${i}`,
    slug: `imported-${i}`,
    projectId,
    environment: 'dev',
    sort_order: i,
    ui_schema_json: uiSchema(i),
    importHash: `${key}-${i}`,
  }));
  await insertMany(
    pool,
    'tour_pages',
    IMPORT_COLUMN_NAMES,
    rows.slice(0, 1000).map((row) => importParams(row as unknown as Record<string, unknown>, now)),
  );
  return rows;
}
