import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { createDb, type Db, type PasswordHasher } from '../../src';
import { resetTransactions } from '../../src/memory/pg-mem';
import { migrate } from '../../src/migrations/runner';
import { openTestDatabase, SETUP_TIMEOUT_MS, type TestDatabase } from '../support/db';
import { type Action, type Backends, type ProgramModel, programCommands } from '../support/differential/commands';
import { describeError, normalise } from '../support/differential/normalise';

/*
 * Differential testing of the in-memory mode: random programs of creates,
 * updates, deletes, restores, queries, transactions and publishes over every
 * model run on pg-mem and on PostgreSQL, and every answer must be the same.
 * Ids, timestamps and the UUIDs Sequelize generates are made deterministic per
 * step, so rows compare whole. A construct that the in-memory mode refuses
 * (InMemoryUnsupportedError) ends the program there: a refusal is allowed,
 * a different answer is not.
 *
 *   TBP_DIFFERENTIAL_SEED=123 replays a run; TBP_DIFFERENTIAL_RUNS=2000 explores longer;
 *   TBP_DIFFERENTIAL_COMMANDS=20 TBP_DIFFERENTIAL_SIZE=max makes programs longer;
 *   TBP_DIFFERENTIAL_DEBUG=1 prints every call with both answers.
 */

// Sequelize's default UUIDs come from `uuid`'s v4: numbered per step, the same on both backends.
jest.mock('uuid', () => ({
  ...jest.requireActual<object>('uuid'),
  v4: () => (globalThis as { nextDifferentialUuid?: () => string }).nextDifferentialUuid?.() ?? '',
}));
// The ids the package makes itself (a publish's event and snapshot), likewise.
jest.mock('node:crypto', () => ({
  ...jest.requireActual<object>('node:crypto'),
  randomUUID: () => (globalThis as { nextDifferentialUuid?: () => string }).nextDifferentialUuid?.() ?? '',
}));
let uuidCounter = 0;
(globalThis as { nextDifferentialUuid?: () => string }).nextDifferentialUuid = () => {
  uuidCounter += 1;
  return `10000000-0000-4000-8000-${uuidCounter.toString(16).padStart(12, '0')}`;
};

const RUNS = Number(process.env.TBP_DIFFERENTIAL_RUNS ?? 300);
const SEED = Number(process.env.TBP_DIFFERENTIAL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_COMMANDS = Number(process.env.TBP_DIFFERENTIAL_COMMANDS ?? 8);
const SIZE = (process.env.TBP_DIFFERENTIAL_SIZE ?? 'medium') as fc.SizeForArbitrary;
const CLOCK_START = Date.parse('2024-06-15T12:00:00.000Z');

// Cheap and deterministic: the programs compare rows, not bcrypt.
const hasher: PasswordHasher = {
  hash: async (plain) => `hashed:${plain}`,
  compare: async (plain, hash) => hash === `hashed:${plain}`,
  isHash: (value) => value.startsWith('hashed:'),
};

let memory: Db;
let emptyMemory: { restore(): void };
let postgres: TestDatabase;

beforeAll(async () => {
  memory = traced(createDb({ inMemory: true, logging: false, hasher }));
  await migrate(memory.sequelize);
  emptyMemory = memory.sequelize.memory?.backup() as { restore(): void };
  postgres = await openTestDatabase(hasher);
  traced(postgres.db);
  // Only Date is faked: timers, ticks and I/O run for real.
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
    now: CLOCK_START,
  });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  jest.useRealTimers();
  await memory?.sequelize.close();
  await postgres?.close();
}, SETUP_TIMEOUT_MS);

type Outcome = { value: unknown } | ReturnType<typeof describeError>;

/** The SQL of the last call on each backend and the message of its error: shown when the answers differ. */
const trace = new Map<Db, string[]>();
function traced(db: Db): Db {
  const statements: string[] = [];
  trace.set(db, statements);
  db.sequelize.options.logging = (sql: string) => {
    statements.push(sql);
  };
  return db;
}

/** Runs `action` at program step `step`: the same clock and the same generated UUIDs on either backend. */
async function outcome(db: Db, step: number, action: Action): Promise<Outcome> {
  jest.setSystemTime(CLOCK_START + step * 1000);
  uuidCounter = step * 10_000;
  const statements = trace.get(db) ?? [];
  statements.length = 0;
  try {
    return { value: normalise(await action(db)) };
  } catch (error) {
    statements.push(`=> ${error instanceof Error ? error.message : String(error)}`);
    return describeError(error);
  }
}

/** Rows and soft-deleted rows per table: after a program, the two databases must hold the same. */
async function census(db: Db): Promise<unknown> {
  const tables = Object.values(db.sequelize.models).map((model) => ({
    name: model.getTableName() as string,
    paranoid: Boolean(model.options.paranoid),
  }));
  const sql = tables
    .map(
      ({ name, paranoid }) =>
        `SELECT '${name}' AS "table", count(*) AS "rows", ${paranoid ? 'count("deletedAt")' : '0'} AS "deleted" FROM "${name}"`,
    )
    .join(' UNION ALL ');
  const [rows] = await db.sequelize.query(sql);
  return (rows as { table: string; rows: unknown; deleted: unknown }[])
    .map((row) => `${row.table}: ${Number(row.rows)} rows, ${Number(row.deleted)} deleted`)
    .sort();
}

const refusals = new Map<string, number>();
let knownDifferences = 0;
const errorNamed = (value: unknown, name: string) =>
  value !== null && typeof value === 'object' && (value as { error?: unknown }).error === name;

/**
 * Deep equality, but for the one difference the in-memory mode keeps (README, "The in-memory database"):
 * a statement that breaks a unique key and a foreign key at once fails on both with nothing written, and
 * PostgreSQL, which checks foreign keys at the end of the statement, names the unique key; pg-mem the foreign key.
 */
function sameAnswer(inMemory: unknown, onServer: unknown): boolean {
  if (
    errorNamed(inMemory, 'SequelizeForeignKeyConstraintError') &&
    errorNamed(onServer, 'SequelizeUniqueConstraintError')
  ) {
    knownDifferences += 1;
    return true;
  }
  if (Array.isArray(inMemory) && Array.isArray(onServer)) {
    return inMemory.length === onServer.length && inMemory.every((item, i) => sameAnswer(item, onServer[i]));
  }
  if (inMemory && onServer && typeof inMemory === 'object' && typeof onServer === 'object') {
    const keys = Object.keys(inMemory);
    return (
      isDeepStrictEqual(keys, Object.keys(onServer)) &&
      keys.every((key) =>
        sameAnswer((inMemory as Record<string, unknown>)[key], (onServer as Record<string, unknown>)[key]),
      )
    );
  }
  return isDeepStrictEqual(inMemory, onServer);
}
let programs = 0;
let calls = 0;
/** Calls that found or wrote rows (an answer with rows in it), not only errors and empty results. */
let answeredWithRows = 0;

const backends: Backends = {
  async onBoth(model: ProgramModel, label: string, action: Action): Promise<void> {
    if (model.diverged) return;
    model.steps += 1;
    const inMemory = await outcome(memory, model.steps, action);
    const onServer = await outcome(postgres.db, model.steps, action);
    calls += 1;
    if (process.env.TBP_DIFFERENTIAL_DEBUG) console.log(label, JSON.stringify({ inMemory, onServer }));
    if ('error' in inMemory && inMemory.error === 'InMemoryUnsupportedError') {
      const construct = inMemory.construct ?? label;
      refusals.set(construct, (refusals.get(construct) ?? 0) + 1);
      model.diverged = true;
      return;
    }
    if ('value' in onServer && /"id":/.test(JSON.stringify(onServer.value))) answeredWithRows += 1;
    if (!sameAnswer(inMemory, onServer)) {
      const show = (value: unknown) => JSON.stringify(value, null, 1);
      const sql = (db: Db) => (trace.get(db) ?? []).slice(-6).join('\n  ');
      throw new Error(
        `pg-mem and PostgreSQL differ on: ${label}\npg-mem:     ${show(inMemory)}\nPostgreSQL: ${show(onServer)}\n` +
          `pg-mem ran:\n  ${sql(memory)}\nPostgreSQL ran:\n  ${sql(postgres.db)}`,
      );
    }
  },
};

test(
  `${RUNS} random programs answer the same on pg-mem and on PostgreSQL`,
  async () => {
    console.log(`differential: seed ${SEED} (TBP_DIFFERENTIAL_SEED=${SEED} replays this run), ${RUNS} programs`);
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(programCommands(memory, MAX_COMMANDS, SIZE), async (commands) => {
        programs += 1;
        const store = memory.sequelize.memory;
        if (store) resetTransactions(store);
        emptyMemory.restore();
        await postgres.reset();
        const model: ProgramModel = { ids: {}, rows: 0, steps: 0, diverged: false };
        await fc.asyncModelRun(() => ({ model, real: backends }), commands);
        if (!model.diverged) expect(await census(memory)).toEqual(await census(postgres.db));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const refused = [...refusals].map(([construct, n]) => `${construct} (${n})`).join('; ') || 'none';
    console.log(
      `differential: ${programs} programs, ${calls} calls compared (${answeredWithRows} with rows) in ${seconds} s; ` +
        `refused: ${refused}; ` +
        `a unique and a foreign key broken at once: ${knownDifferences}`,
    );
    expect(programs).toBeGreaterThanOrEqual(RUNS);
  },
  30 * 60_000,
);
