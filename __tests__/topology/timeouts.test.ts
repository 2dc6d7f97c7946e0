import { performance } from 'node:perf_hooks';
import { QueryTypes, TimeoutError, Transaction } from 'sequelize';
import { createDb, type Db } from '../../src';
import { type TopologyDatabase, topologyDatabase, useSharedTopology } from './support';

// DB_STATEMENT_TIMEOUT_MS and DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, directly on the primary and through PgBouncer in
// transaction mode, which refuses them as startup parameters (see topology.test.ts).

useSharedTopology();

const STATEMENT_TIMEOUT_MS = 300;
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 400;

let database: TopologyDatabase;
beforeAll(async () => {
  database = await topologyDatabase('timeouts');
}, 120_000);
afterAll(async () => {
  await database?.drop();
}, 60_000);

async function show(db: Db, setting: string, transaction?: Transaction): Promise<string | undefined> {
  const [row] = await db.sequelize.query<Record<string, string>>(`SHOW ${setting}`, {
    type: QueryTypes.SELECT,
    ...(transaction ? { transaction } : {}),
  });
  return row?.[setting];
}

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

describe.each([
  ['directly on the primary', () => database.primaryUrl],
  ['through PgBouncer in transaction mode', () => database.pgbouncerUrl],
])('timeouts %s', (_, url) => {
  let db: Db;
  beforeAll(() => {
    db = createDb({
      url: url(),
      logging: false,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await db?.sequelize.close();
  }, 60_000);

  test('every transaction runs with SET LOCAL timeouts, and nothing stays on the session', async () => {
    const inside = await db.sequelize.transaction(async (transaction) => ({
      statement: await show(db, 'statement_timeout', transaction),
      idle: await show(db, 'idle_in_transaction_session_timeout', transaction),
    }));
    expect(inside).toEqual({ statement: '300ms', idle: '400ms' });
    expect(await show(db, 'statement_timeout')).toBe('0');
    expect(await show(db, 'idle_in_transaction_session_timeout')).toBe('0');
  });

  test('an isolation level, a savepoint and an unmanaged transaction keep working with them', async () => {
    await db.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE }, async (outer) => {
      expect(await show(db, 'transaction_isolation', outer)).toBe('serializable');
      await db.sequelize.transaction({ transaction: outer }, async (savepoint) => {
        expect(await show(db, 'statement_timeout', savepoint)).toBe('300ms');
      });
    });
    const unmanaged = await db.sequelize.transaction();
    expect(await show(db, 'statement_timeout', unmanaged)).toBe('300ms');
    await unmanaged.commit();
  });

  test('a statement in a transaction is cancelled by the server after the timeout: a TimeoutError', async () => {
    const { error, ms } = await failure(() =>
      db.sequelize.transaction((transaction) => db.sequelize.query('SELECT pg_sleep(3)', { transaction })),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({
      message: 'canceling statement due to statement timeout',
      parent: { code: '57014' },
    });
    expect(ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1000);
    // The same pool goes on.
    expect(await db.sequelize.transaction((transaction) => show(db, 'statement_timeout', transaction))).toBe('300ms');
  });

  test('a statement outside a transaction is abandoned by the client 250 ms later: a TimeoutError', async () => {
    const { error, ms } = await failure(() => db.sequelize.query('SELECT pg_sleep(3)'));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/^No answer from the server within 550 ms/);
    expect(ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS + 250 - 5);
    expect(ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1000);
    expect(await db.sequelize.query('SELECT 1 AS one', { type: QueryTypes.SELECT })).toEqual([{ one: 1 }]);
  });

  test('a transaction left idle is ended by the server; the next one works', async () => {
    const transaction = await db.sequelize.transaction();
    await db.sequelize.query('SELECT 1', { transaction });
    await new Promise((resolve) => setTimeout(resolve, IDLE_IN_TRANSACTION_TIMEOUT_MS + 600));
    await expect(db.sequelize.query('SELECT 1', { transaction })).rejects.toThrow();
    await transaction.rollback().catch(() => undefined);
    expect(await db.sequelize.transaction((next) => show(db, 'statement_timeout', next))).toBe('300ms');
  });
});
