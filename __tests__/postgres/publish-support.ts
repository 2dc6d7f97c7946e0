import { Client } from 'pg';
import type { Db } from '../../src';
import { LOCK_NAMESPACES } from '../../src/models/base/project-lock';
import { urlOf, workerDatabase } from '../support/server';

/**
 * Tools of the PostgreSQL publishing tests: a plain connection of the test's
 * own (to hold row locks, kill backends, read pg_locks), and waits on what the
 * server says, never on sleeps.
 */

export async function connect(): Promise<Client> {
  const client = new Client({ connectionString: urlOf(workerDatabase()) });
  await client.connect();
  return client;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Locks a row from another connection until `release()`: a publish that must write it stops there, mid-copy. */
export async function holdRow(client: Client, table: string, id: string): Promise<() => Promise<void>> {
  await client.query('BEGIN');
  await client.query(`SELECT id FROM "${table}" WHERE id = $1 FOR UPDATE`, [id]);
  return async () => {
    await client.query('ROLLBACK');
  };
}

/** The backends holding (or, with `granted: false`, waiting for) a project's advisory lock. */
export async function projectLockers(client: Client, projectId: string, granted: boolean): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid = $1
       AND objid::bigint = (hashtext($2)::bigint & 4294967295) AND granted = $3`,
    [LOCK_NAMESPACES.project, projectId, granted],
  );
  return rows.map((row) => row.pid);
}

/** Waits until one backend holds the project's lock and is itself waiting on a row lock (stopped mid-copy). */
export async function publisherStoppedMidCopy(client: Client, projectId: string): Promise<number> {
  return waitFor('the publisher to stop on the held row', async () => {
    const [pid] = await projectLockers(client, projectId, true);
    if (pid === undefined) return undefined;
    const { rows } = await client.query<{ wait: string | null }>(
      'SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    return rows[0]?.wait === 'Lock' ? pid : undefined;
  });
}

/** The project's rows that are still live, per table that has a projectId, for the tables that have any. */
export async function liveChildren(db: Db, projectId: string): Promise<Record<string, number>> {
  const live: Record<string, number> = {};
  for (const model of Object.values(db.sequelize.models)) {
    if (!('projectId' in model.getAttributes()) || !model.options.paranoid) continue;
    const count = await model.count({ where: { projectId } });
    if (count > 0) live[model.getTableName() as string] = count;
  }
  return live;
}

/** Adds `pages` dev pages with ~1 KB UI schemas to a project, in one statement. */
export async function addDevPages(db: Db, projectId: string, pages: number, prefix = 'page'): Promise<void> {
  await db.sequelize.query(
    `INSERT INTO tour_pages (id, "projectId", environment, name, slug, sort_order, background_loop, requires_auth,
       ui_schema_json, "createdAt", "updatedAt")
     SELECT gen_random_uuid(), :projectId, 'dev', 'Page ' || n, :prefix || '-' || n, n, false, false,
       json_build_object('elements', (SELECT json_agg(json_build_object('id', n || '-' || e, 'type', 'hotspot',
         'x', e * 10, 'label', repeat('x', 120))) FROM generate_series(1, 6) e)), now(), now()
     FROM generate_series(1, :pages) n`,
    { replacements: { projectId, pages, prefix } },
  );
}
