import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client, type ClientConfig } from 'pg';
import { topology } from './env';
import { useSharedTopology } from './support';

// What the other topology tests take for granted about scripts/pg-topology.sh: if one of
// these fails, a failover or read-routing test elsewhere would pass or fail for the wrong reason.

useSharedTopology();

const topo = topology();
const table = `topology_probe_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

async function connected(config: ClientConfig): Promise<Client> {
  const client = new Client({ connectionTimeoutMillis: 5000, ...config });
  await client.connect();
  return client;
}

async function count(client: Client, sql: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(sql);
  return Number(rows[0]?.n);
}

/** Milliseconds from `since` until `check` first returns true, polling every 10 ms. */
async function msUntil(since: number, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  for (;;) {
    if (await check()) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`not true after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the test topology of scripts/pg-topology.sh', () => {
  let primary: Client;
  let replica: Client;

  beforeAll(async () => {
    primary = await connected({ connectionString: topo.primaryUrl });
    replica = await connected({ connectionString: topo.replicaUrl });
    await primary.query(`CREATE TABLE "${table}" (id integer PRIMARY KEY)`);
    await msUntil(performance.now(), async () => {
      const { rows } = await replica.query('SELECT to_regclass($1) AS found', [`"${table}"`]);
      return rows[0]?.found !== null;
    });
  }, 60_000);

  afterAll(async () => {
    await primary?.query(`DROP TABLE IF EXISTS "${table}"`);
    await Promise.all([primary?.end(), replica?.end()]);
  }, 60_000);

  it('has a primary that writes and a replica in recovery', async () => {
    const { rows: onPrimary } = await primary.query('SELECT pg_is_in_recovery() AS standby');
    const { rows: onReplica } = await replica.query('SELECT pg_is_in_recovery() AS standby');
    expect(onPrimary[0]?.standby).toBe(false);
    expect(onReplica[0]?.standby).toBe(true);
    await expect(replica.query(`INSERT INTO "${table}" VALUES (0)`)).rejects.toMatchObject({ code: '25006' });
  });

  it('shows a committed row on the replica no earlier than the apply delay after the commit', async () => {
    const started = performance.now();
    await primary.query(`INSERT INTO "${table}" VALUES (1)`);
    expect(await count(replica, `SELECT count(*) AS n FROM "${table}" WHERE id = 1`)).toBe(0);
    const seenAfter = await msUntil(
      started,
      async () => (await count(replica, `SELECT count(*) AS n FROM "${table}" WHERE id = 1`)) === 1,
    );
    // The replica waits for commit time + delay by the same clock; a few ms of slack for rounding.
    expect(seenAfter).toBeGreaterThanOrEqual(topo.applyDelayMs - 5);
    expect(seenAfter).toBeLessThan(topo.applyDelayMs + 5000);
  });

  it('names the postmaster of the primary in its pid file', async () => {
    const postmaster = Number(readFileSync(topo.primaryPidFile, 'utf8').split('\n')[0]);
    const { rows } = await primary.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const stat = readFileSync(`/proc/${rows[0]?.pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    expect(parent).toBe(postmaster);
  });

  describe('PgBouncer', () => {
    it('pools connections to the primary in transaction mode', async () => {
      const admin = await connected({ connectionString: topo.pgbouncerAdminUrl });
      try {
        const { rows } = await admin.query<{ key: string; value: string }>('SHOW CONFIG');
        expect(rows.find((row) => row.key === 'pool_mode')?.value).toBe('transaction');
      } finally {
        await admin.end();
      }
      const client = await connected({ connectionString: topo.pgbouncerUrl });
      try {
        const { rows } = await client.query("SELECT current_setting('port') AS port, pg_is_in_recovery() AS standby");
        expect(rows[0]).toEqual({ port: String(topo.primaryPort), standby: false });
      } finally {
        await client.end();
      }
    });

    it('refuses statement_timeout as a startup parameter', async () => {
      const client = new Client({ connectionString: topo.pgbouncerUrl, statement_timeout: 100 });
      await expect(client.connect()).rejects.toThrow('unsupported startup parameter: statement_timeout');
      await client.end().catch(() => undefined);
    });

    it('cancels a statement with SET LOCAL statement_timeout, for that transaction only', async () => {
      const client = await connected({ connectionString: topo.pgbouncerUrl });
      try {
        await client.query('BEGIN');
        await client.query('SET LOCAL statement_timeout = 100');
        const started = performance.now();
        await expect(client.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
        expect(performance.now() - started).toBeLessThan(1500);
        await client.query('ROLLBACK');
        await expect(client.query('SELECT pg_sleep(0.3)')).resolves.toBeDefined();
      } finally {
        await client.end();
      }
    });
  });
});
