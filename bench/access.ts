/**
 * `npm run bench:access` (also the last part of `npm run bench`): the access
 * decisions against hand-written raw SQL through pg, on the local PostgreSQL,
 * in interleaved rounds; medians, their spread, and the ratio. Writes its
 * section of bench/RESULTS.md. A script, not a test.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { can, createDb, type Db, migrate, seedRbac, visibleProductionPages } from '../src';
import { median, summary, urlOf } from './data';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = process.env.BENCH_ACCESS_DATABASE ?? 'tbp_bench_access';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const PROJECTS = 1000;
const PAGES_PER_PROJECT = 20;
const USERS = 500;
const TARGET = 1.5;

const RESULTS = join(__dirname, 'RESULTS.md');
export const SECTION_START = '<!-- access:start -->';
export const SECTION_END = '<!-- access:end -->';

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function insertMany(pool: Pool, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    const batch = rows.slice(start, start + 500);
    const values: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((value) => `$${values.push(value)}`).join(', ')})`);
    await pool.query(
      `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}`,
      values,
    );
  }
}

interface Fixture {
  userIds: string[];
  projectIds: string[];
  /** [user, project] pairs: members of each level, outsiders, role holders. */
  questions: [string, string][];
}

/**
 * 1,000 projects (half private) x 20 pages (half in production, one in five of those requires_auth),
 * 500 users (one in ten with a seeded role, one in fifty disabled), 3 memberships a project, a grant on
 * every private project.
 */
export async function seed(db: Db, pool: Pool): Promise<Fixture> {
  await seedRbac(db);
  const roles = await pool.query<{ id: string }>(`SELECT id FROM roles ORDER BY name`);
  const now = new Date();
  const userIds = Array.from({ length: USERS }, () => randomUUID());
  await insertMany(
    pool,
    'users',
    ['id', 'email', 'password', 'disabled', 'emailVerified', 'provider', 'app_roleId', 'createdAt', 'updatedAt'],
    userIds.map((id, i) => [
      id,
      `user${i}@bench.example`,
      '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
      i % 50 === 0,
      true,
      'local',
      i % 10 === 0 ? roles.rows[(i / 10) % roles.rows.length]?.id : null,
      now,
      now,
    ]),
  );
  const projectIds = Array.from({ length: PROJECTS }, () => randomUUID());
  await insertMany(
    pool,
    'projects',
    ['id', 'name', 'slug', 'production_presentation_visibility', 'createdAt', 'updatedAt'],
    projectIds.map((id, i) => [id, `Project ${i}`, `project-${i}`, i % 2 ? 'private' : 'public', now, now]),
  );
  const pages: unknown[][] = [];
  const memberships: unknown[][] = [];
  const grants: unknown[][] = [];
  const questions: [string, string][] = [];
  projectIds.forEach((projectId, p) => {
    for (let i = 0; i < PAGES_PER_PROJECT; i += 1) {
      const schema = JSON.stringify({
        version: 3,
        elements: Array.from({ length: 6 }, (_, k) => ({ id: `${p}-${i}-${k}`, label: 'Element '.repeat(12) })),
      });
      pages.push([
        randomUUID(),
        projectId,
        i % 2 ? 'production' : 'dev',
        `Page ${i}`,
        `page-${i}`,
        i,
        i % 10 === 5,
        schema,
        now,
        now,
      ]);
    }
    for (let m = 0; m < 3; m += 1) {
      const userId = userIds[(p * 3 + m) % USERS] as string;
      memberships.push([randomUUID(), projectId, userId, ['owner', 'editor', 'viewer'][m], true, now, now]);
      questions.push([userId, projectId]);
    }
    if (p % 2) grants.push([randomUUID(), projectId, userIds[(p * 7 + 1) % USERS], now, now]);
    questions.push([userIds[(p * 11 + 5) % USERS] as string, projectId]);
  });
  await insertMany(
    pool,
    'tour_pages',
    [
      'id',
      'projectId',
      'environment',
      'name',
      'slug',
      'sort_order',
      'requires_auth',
      'ui_schema_json',
      'createdAt',
      'updatedAt',
    ],
    pages,
  );
  await insertMany(
    pool,
    'project_memberships',
    ['id', 'projectId', 'userId', 'access_level', 'is_active', 'createdAt', 'updatedAt'],
    memberships,
  );
  await insertMany(
    pool,
    'production_presentation_access',
    ['id', 'projectId', 'userId', 'createdAt', 'updatedAt'],
    grants,
  );
  await pool.query('VACUUM ANALYZE');
  return { userIds, projectIds, questions };
}

// What a developer would write by hand for the same two answers on PostgreSQL: EXISTS subqueries, one row.

export const RAW_CAN = `
SELECT NOT u.disabled AND (
  EXISTS (SELECT 1 FROM roles r
    JOIN "rolesPermissionsPermissions" rp ON rp."roles_permissionsId" = r.id
    JOIN permissions pe ON pe.id = rp."permissionId" AND pe."deletedAt" IS NULL
    WHERE r.id = u."app_roleId" AND r."deletedAt" IS NULL AND pe.name = $2)
  OR EXISTS (SELECT 1 FROM "usersCustom_permissionsPermissions" up
    JOIN permissions pe ON pe.id = up."permissionId" AND pe."deletedAt" IS NULL
    WHERE up."users_custom_permissionsId" = u.id AND pe.name = $2)
  OR EXISTS (SELECT 1 FROM project_memberships m
    JOIN projects p ON p.id = m."projectId" AND p."deletedAt" IS NULL
    WHERE m."userId" = u.id AND m."projectId" = $3 AND m.is_active AND m."deletedAt" IS NULL
      AND m.access_level IN ('editor', 'owner'))
) AS allowed
FROM users u WHERE u.id = $1 AND u."deletedAt" IS NULL`;

const RAW_PAGES = `
SELECT tp.*
FROM tour_pages tp
JOIN projects p ON p.id = tp."projectId" AND p."deletedAt" IS NULL
WHERE tp."projectId" = $1 AND tp.environment = 'production' AND tp."deletedAt" IS NULL
  AND (
    (p.production_presentation_visibility = 'public' AND (NOT tp.requires_auth OR EXISTS (
      SELECT 1 FROM users u WHERE u.id = $2 AND NOT u.disabled AND u."deletedAt" IS NULL)))
    OR EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND NOT u.disabled AND u."deletedAt" IS NULL AND (
      EXISTS (SELECT 1 FROM project_memberships m WHERE m."projectId" = p.id AND m."userId" = u.id
        AND m.is_active AND m."deletedAt" IS NULL)
      OR EXISTS (SELECT 1 FROM production_presentation_access g WHERE g."projectId" = p.id AND g."userId" = u.id
        AND g."deletedAt" IS NULL)
      OR EXISTS (SELECT 1 FROM roles r
        JOIN "rolesPermissionsPermissions" rp ON rp."roles_permissionsId" = r.id
        JOIN permissions pe ON pe.id = rp."permissionId" AND pe."deletedAt" IS NULL
        WHERE r.id = u."app_roleId" AND r."deletedAt" IS NULL AND pe.name = 'READ_PROJECTS')
      OR EXISTS (SELECT 1 FROM "usersCustom_permissionsPermissions" up
        JOIN permissions pe ON pe.id = up."permissionId" AND pe."deletedAt" IS NULL
        WHERE up."users_custom_permissionsId" = u.id AND pe.name = 'READ_PROJECTS')))
  )
ORDER BY tp.sort_order, tp.slug`;

type Variant = 'package' | 'raw';
const VARIANTS: Variant[] = ['package', 'raw'];

interface Operation {
  name: string;
  times: number;
  run: Record<Variant, (i: number) => Promise<unknown>>;
}

function operations(db: Db, pool: Pool, fixture: Fixture): Operation[] {
  const question = (i: number) => fixture.questions[(i * 7919) % fixture.questions.length] as [string, string];
  return [
    {
      name: "can(user, 'UPDATE', 'tour_pages', { projectId, environment: 'dev' })",
      times: 400,
      run: {
        package: (i) => {
          const [userId, projectId] = question(i);
          return can(db, userId, 'UPDATE', 'tour_pages', { projectId, environment: 'dev' });
        },
        raw: async (i) => {
          const [userId, projectId] = question(i);
          const { rows } = await pool.query(RAW_CAN, [userId, 'UPDATE_TOUR_PAGES', projectId]);
          return rows[0]?.allowed === true;
        },
      },
    },
    {
      name: 'visibleProductionPages(project, user) (about 10 pages of ~1 KB)',
      times: 200,
      run: {
        package: (i) => {
          const [userId, projectId] = question(i);
          return visibleProductionPages(db, projectId, i % 5 ? userId : null);
        },
        raw: async (i) => {
          const [userId, projectId] = question(i);
          return (await pool.query(RAW_PAGES, [projectId, i % 5 ? userId : null])).rows;
        },
      },
    },
  ];
}

/** Both sides must agree on every question asked, or the timing compares different work. */
async function checkAgreement(db: Db, pool: Pool, fixture: Fixture): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    const [userId, projectId] = fixture.questions[(i * 7919) % fixture.questions.length] as [string, string];
    const allowed = await can(db, userId, 'UPDATE', 'tour_pages', { projectId, environment: 'dev' });
    const raw = (await pool.query(RAW_CAN, [userId, 'UPDATE_TOUR_PAGES', projectId])).rows[0]?.allowed === true;
    const viewer = i % 5 ? userId : null;
    const pages = (await visibleProductionPages(db, projectId, viewer)).map((page) => page.id);
    const rawPages = (await pool.query<{ id: string }>(RAW_PAGES, [projectId, viewer])).rows.map((row) => row.id);
    if (allowed !== raw || pages.join() !== rawPages.join()) {
      throw new Error(`the package and the raw SQL disagree on user ${userId}, project ${projectId}`);
    }
  }
}

async function measure(ops: Operation[]) {
  const samples: Record<string, Record<Variant, number[]>> = {};
  for (const op of ops) samples[op.name] = { package: [], raw: [] };
  // Round 0 warms the JIT and the server's caches and is not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    for (const op of ops) {
      const order = round % 2 ? [...VARIANTS].reverse() : VARIANTS;
      for (const variant of order) {
        const started = process.hrtime.bigint();
        for (let i = 0; i < op.times; i += 1) await op.run[variant](i + round * op.times);
        const perOp = Number(process.hrtime.bigint() - started) / 1e6 / op.times;
        if (round > 0) samples[op.name]?.[variant].push(perOp);
      }
    }
    process.stderr.write(`\raccess: round ${round}/${ROUNDS}`);
  }
  process.stderr.write('\n');
  return samples;
}

/** A Markdown table laid out as the repository's formatter lays it out, so that the file stays lint-clean. */
function markdownTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(3, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [line(rows[0] ?? []), line(widths.map((width) => '-'.repeat(width))), ...rows.slice(1).map(line)].join('\n');
}

/** Puts the section between its markers in RESULTS.md, or at its end. */
export function withSection(results: string, section: string): string {
  const block = `${SECTION_START}\n${section}\n${SECTION_END}`;
  const start = results.indexOf(SECTION_START);
  const end = results.indexOf(SECTION_END);
  if (start >= 0 && end > start) return results.slice(0, start) + block + results.slice(end + SECTION_END.length);
  return `${results.trimEnd()}\n\n${block}\n`;
}

async function main() {
  await admin(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${DATABASE}"`);
  const url = urlOf(SERVER, DATABASE);
  const db = createDb({ url, logging: false, sequelize: { pool: { max: 5 } } });
  const pool = new Pool({ connectionString: url, max: 5 });
  try {
    await migrate(db.sequelize);
    process.stderr.write('seeding 1,000 projects x 20 pages, 500 users ...\n');
    const fixture = await seed(db, pool);
    await checkAgreement(db, pool, fixture);
    const samples = await measure(operations(db, pool, fixture));
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');

    const lines = [
      '## Access decisions (ms per call; `npm run bench:access`)',
      '',
      `PostgreSQL ${rows[0]?.server_version}. Data: ${PROJECTS.toLocaleString('en')} projects (half private) x ${PAGES_PER_PROJECT} pages, ${USERS} users (one in ten with a seeded role), 3 memberships and one outsider asked about per project. ${ROUNDS} interleaved rounds after a warm-up; medians with the range of the rounds. Raw is the same answer hand-written with EXISTS subqueries, through pg; both sides were first checked to agree on 300 questions.`,
      '',
    ];
    const table = [['operation', 'package', 'raw pg', 'package / raw', 'target']];
    for (const [name, byVariant] of Object.entries(samples)) {
      const ratio = byVariant.package.map((value, i) => value / (byVariant.raw[i] as number));
      const met = median(ratio) <= TARGET ? 'met' : '**missed**';
      table.push([
        name,
        summary(byVariant.package, 3),
        summary(byVariant.raw, 3),
        summary(ratio, 2),
        `<= ${TARGET}x raw: ${met}`,
      ]);
    }
    lines.push(markdownTable(table));
    const section = lines.join('\n');
    const results = (() => {
      try {
        return readFileSync(RESULTS, 'utf8');
      } catch {
        return '# Benchmark results\n';
      }
    })();
    writeFileSync(RESULTS, withSection(results, section));
    process.stdout.write(`${section}\n`);
  } finally {
    await Promise.all([db.sequelize.close(), pool.end()]);
    await admin(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  }
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench:access: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
