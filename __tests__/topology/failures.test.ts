import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { ConnectionError, QueryTypes, TimeoutError } from 'sequelize';
import { createDb, type Db } from '../../src';
import { migrate } from '../../src/migrations/runner';
import { build } from '../../src/testing/factories';
import {
  ensureTopologyUp,
  eventually,
  processState,
  replicaCaughtUp,
  replicatedDb,
  restartPrimary,
  signalPrimary,
  type TopologyDatabase,
  topologyDatabase,
  useExclusiveTopology,
} from './support';

// A primary that stops answering, backends killed under a statement, a primary restarted: errors within the
// configured timeouts, reads retried and writes not, and the same createDb working again afterwards.
// These freeze and restart the shared test primary: the file holds the topology alone (see useExclusiveTopology).

useExclusiveTopology();

const STATEMENT_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
const settings = {
  statementTimeoutMs: STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: CONNECT_TIMEOUT_MS,
  pool: { acquireMs: 5000 },
};

let database: TopologyDatabase;
let db: Db;
let admin: Client;

beforeAll(async () => {
  database = await topologyDatabase('failures');
  db = replicatedDb(database, { ...settings, readRetry: 1 });
  await migrate(db.sequelize);
  await db.sequelize.query('CREATE TABLE writes (id serial PRIMARY KEY, note text NOT NULL)');
  await replicaCaughtUp(database); // the tests read on the replica: it needs the tables
  admin = new Client({ connectionString: database.primaryUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
}, 120_000);

afterAll(async () => {
  // Whatever happened above, the next test files get a running topology.
  try {
    signalPrimary('SIGCONT');
  } catch {
    // no postmaster: `up` below starts it
  }
  ensureTopologyUp();
  await admin?.end().catch(() => undefined);
  await db?.sequelize.close();
  await database?.drop();
}, 300_000);

/** How long `work` took to fail, and with what. */
async function failure(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('expected a failure');
}

async function onPrimaryAnswers(target: Db): Promise<boolean> {
  const [row] = await target.onPrimary(() =>
    target.sequelize.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby', { type: QueryTypes.SELECT }),
  );
  return row?.standby === false;
}

describe('a frozen primary (SIGSTOP of the postmaster and every backend)', () => {
  test('fails writes within the configured timeout plus one second, keeps reading on the replica, and recovers', async () => {
    // Warm: two pooled connections to the primary (the transaction below gets the second), one to the replica.
    await Promise.all([build.project(db), build.project(db)]);
    await db.projects.count();
    const fresh = replicatedDb(database, settings); // an empty pool: it has to connect to the frozen primary

    const stopped = signalPrimary('SIGSTOP');
    try {
      expect(stopped.length).toBeGreaterThan(3); // the postmaster and its backends, walsender, checkpointer, ...
      await eventually('every process of the primary is stopped', async () =>
        stopped.map(processState).every((state) => state === 'T' || state === undefined),
      );

      // A statement on a pooled connection: the client-side timeout.
      const pooled = await failure(() => build.project(db));
      expect(pooled.error).toBeInstanceOf(TimeoutError);
      expect(pooled.ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1000);

      // A transaction: its statement times out and its connection is closed, so its ROLLBACK does not wait too.
      const inTransaction = await failure(() =>
        db.sequelize.transaction(async (transaction) => {
          await db.projects.create({ name: 'Frozen', slug: `frozen-${Date.now()}` }, { transaction });
        }),
      );
      expect(inTransaction.error).toBeInstanceOf(Error);
      expect(inTransaction.ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1000);

      // A new connection: the connect timeout.
      const connecting = await failure(() => build.project(fresh));
      expect(connecting.error).toBeInstanceOf(ConnectionError);
      expect(connecting.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);

      // Reads outside a transaction are on the replica, which still answers.
      expect(await db.projects.count()).toBeGreaterThan(0);
    } finally {
      signalPrimary('SIGCONT');
      await fresh.sequelize.close();
    }

    // The same instance writes again, and reads its write back on the primary.
    const project = await build.project(db);
    expect(await db.onPrimary(() => db.projects.findByPk(project.id))).not.toBeNull();
  }, 60_000);
});

describe('backends killed under a statement (pg_terminate_backend)', () => {
  /** Starts `work`, terminates the backend running `marker` in the test database, returns how `work` ended. */
  async function killedUnder<T>(marker: string, work: () => Promise<T>): Promise<PromiseSettledResult<T>> {
    const running = work();
    const settled = Promise.allSettled([running]);
    await eventually('the statement runs', async () => {
      const { rows } = await admin.query<{ terminated: boolean }>(
        `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1`,
        [`%${marker}%`],
      );
      return rows.some((row) => row.terminated);
    });
    const [result] = await settled;
    return result as PromiseSettledResult<T>;
  }

  test('a read is retried on a new connection (readRetry: 1), and fails without it', async () => {
    const read = (target: Db) => () =>
      target.onPrimary(() =>
        target.sequelize.query<{ one: number }>("SELECT 1 AS one FROM pg_sleep(0.5) WHERE 'read-once' <> ''", {
          type: QueryTypes.SELECT,
        }),
      );
    const retried = await killedUnder('read-once', read(db));
    expect(retried).toEqual({ status: 'fulfilled', value: [{ one: 1 }] });

    const once = replicatedDb(database, settings);
    try {
      const failed = await killedUnder('read-once', read(once));
      expect(failed.status).toBe('rejected');
      expect((failed as PromiseRejectedResult).reason).toMatchObject({ parent: { code: '57P01' } });
      expect(await onPrimaryAnswers(once)).toBe(true);
    } finally {
      await once.sequelize.close();
    }
  }, 60_000);

  test('a write is not retried: it fails, is not written twice, and the next one works', async () => {
    const write = () =>
      db.sequelize.query("INSERT INTO writes (note) SELECT 'write-once' FROM pg_sleep(0.5)", {
        type: QueryTypes.INSERT,
      });
    const killed = await killedUnder('write-once', write);
    expect(killed.status).toBe('rejected');
    expect((killed as PromiseRejectedResult).reason).toMatchObject({ parent: { code: '57P01' } });
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM writes WHERE note = 'write-once'");
    expect(rows[0]).toEqual({ n: 0 });
    await db.sequelize.query("INSERT INTO writes (note) VALUES ('after')", { type: QueryTypes.INSERT });
    expect((await admin.query("SELECT count(*)::int AS n FROM writes WHERE note = 'after'")).rows[0]).toEqual({ n: 1 });
  }, 60_000);
});

describe('a restarted primary (pg_ctlcluster restart)', () => {
  test('the same instances, direct and through PgBouncer, work again without a new createDb', async () => {
    const bouncer = createDb({ url: database.pgbouncerUrl, logging: false, ...settings });
    try {
      await build.project(db);
      await build.project(bouncer);
      await admin.end();
      restartPrimary();
      admin = new Client({ connectionString: database.primaryUrl, connectionTimeoutMillis: 5000 });
      await admin.connect();

      for (const target of [db, bouncer]) {
        // The pooled connections died with the server; the pool replaces them (a statement that was handed a dead
        // one fails, the next gets a new one).
        await eventually('the primary answers the same instance', () => onPrimaryAnswers(target), 30_000);
        const project = await build.project(target);
        expect(await target.onPrimary(() => target.projects.findByPk(project.id))).not.toBeNull();
      }
      // And the replica follows the restarted primary.
      const project = await build.project(db);
      await eventually('the replica has the new row', async () => (await db.projects.findByPk(project.id)) !== null);
    } finally {
      await bouncer.sequelize.close();
    }
  }, 120_000);
});
