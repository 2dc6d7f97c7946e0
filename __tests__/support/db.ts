import { createDb, type Db, type PasswordHasher } from '../../src';
import { HashPool } from '../../src/auth/hash-pool';
import { resetTransactions } from '../../src/memory/pg-mem';
import { MIGRATION_TABLE, migrate } from '../../src/migrations/runner';
import { adminClient, urlOf, workerDatabase } from './server';

export type Backend = 'memory' | 'postgres';

/**
 * How long a database's setup, reset or close may take. Generous: on a loaded machine (other test runs,
 * CPU hogs) setting a database up takes many times what it takes on a quiet one, and it is not what is tested.
 */
export const SETUP_TIMEOUT_MS = 120_000;
/**
 * A hasher for the suites that are not about passwords: users are created throughout, and bcrypt (on
 * worker threads, at cost 10) is most of what creating one costs. The password suites use bcrypt.
 */
export const cheapHasher: PasswordHasher = {
  hash: async (plain) => `test-hash:${plain}`,
  compare: async (plain, hash) => hash === `test-hash:${plain}`,
  isHash: (value) => value.startsWith('test-hash:'),
};

/**
 * The bcrypt cost of the suites' default hasher. bcrypt all the same, on the package's worker threads, at a
 * cost the package's `BCRYPT_ROUNDS` would refuse (its floor is 10): a cost-10 hash takes some 95 ms of a
 * core here, a cost-5 one 3 ms, and the suites create thousands of users. The tests of the configured
 * cost itself (`unit/password`, `unit/hash-pool`) use the package's default hasher.
 */
export const TEST_BCRYPT_ROUNDS = 5;

let bcryptPool: HashPool | undefined;
/** Real bcrypt hashes at TEST_BCRYPT_ROUNDS, on threads: what `useTestDatabase()` hashes with by default. */
export function testBcrypt(): PasswordHasher {
  bcryptPool ??= new HashPool({ rounds: TEST_BCRYPT_ROUNDS });
  return bcryptPool;
}

export const backend: Backend = process.env.TBP_TEST_BACKEND === 'postgres' ? 'postgres' : 'memory';

async function ensureWorkerDatabase(): Promise<string> {
  const name = workerDatabase();
  const client = adminClient();
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return name;
}

/**
 * What the worker database's schema is: its tables, columns, indexes, constraints, ENUMs, triggers,
 * functions and the migrations it ran, as one hash (some 7 ms).
 */
const SCHEMA_FINGERPRINT = `
  SELECT md5(string_agg(part, ',' ORDER BY part)) AS fingerprint FROM (
    SELECT concat_ws(':', table_name, column_name, data_type, is_nullable, column_default) AS part
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT conrelid::regclass::text || ':' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT typname || ':' || enumlabel FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid
    UNION ALL SELECT tgrelid::regclass::text || ':' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT name FROM "${MIGRATION_TABLE}"
  ) AS parts`;

/**
 * Migrates the worker's database once per run, not once per test file: a file finds it migrated by the
 * file before it (checked against the fingerprint recorded when it was migrated) and only empties it.
 * Re-creating the schema for every file took some 0.7 s on a quiet machine and many times that on a
 * busy one; this takes a few milliseconds. A file that changed the schema leaves a different
 * fingerprint, and the next file migrates afresh.
 */
async function ensureCurrentSchema(db: Db): Promise<void> {
  const [[state]] = (await db.sequelize.query(
    `SELECT obj_description('public'::regnamespace) AS recorded,
            to_regclass('public."${MIGRATION_TABLE}"') IS NOT NULL AS migrated`,
  )) as [{ recorded: string | null; migrated: boolean }[], unknown];
  if (state?.migrated && state.recorded) {
    const [[current]] = (await db.sequelize.query(SCHEMA_FINGERPRINT)) as [{ fingerprint: string }[], unknown];
    if (current?.fingerprint === state.recorded) return;
  }
  await db.sequelize.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await migrate(db.sequelize);
  const [[migrated]] = (await db.sequelize.query(SCHEMA_FINGERPRINT)) as [{ fingerprint: string }[], unknown];
  await db.sequelize.query(`COMMENT ON SCHEMA public IS '${migrated?.fingerprint}'`);
}

/** A database migrated to the current schema on this project's backend, emptied by `reset()`. */
export interface TestDatabase {
  db: Db;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function openTestDatabase(hasher: PasswordHasher = testBcrypt()): Promise<TestDatabase> {
  if (backend === 'memory') {
    const db = createDb({ inMemory: true, logging: false, hasher });
    await migrate(db.sequelize);
    const memory = db.sequelize.memory;
    const empty = memory?.backup();
    return {
      db,
      reset: async () => {
        if (memory) resetTransactions(memory);
        empty?.restore();
      },
      close: () => db.sequelize.close(),
    };
  }
  const db = createDb({ url: urlOf(await ensureWorkerDatabase()), logging: false, hasher });
  await ensureCurrentSchema(db);
  const tables = Object.values(db.sequelize.models).map((model) => `"${model.getTableName() as string}"`);
  // DELETE, not TRUNCATE: on tables this small it is some 70 times faster (0.8 ms against 55 ms here).
  const reset = async () => {
    await db.sequelize.query(tables.map((table) => `DELETE FROM ${table}`).join('; '));
  };
  // The file before may have stopped half-way: its rows go before this file's tests.
  await reset();
  return { db, reset, close: () => db.sequelize.close() };
}

/**
 * A second instance on the same database whose one read replica is a port nobody listens on: what Sequelize
 * routes to a replica fails, what must run on the primary does not. Close it before `database`.
 */
export function withUnreachableReplica(database: TestDatabase): Db {
  const { host, port, database: name, username } = database.db.sequelize.config;
  const primary = { host, port: Number(port), database: name, username };
  return createDb({
    url: `postgres://${username}@${host}:${port}/${name}`,
    logging: false,
    sequelize: { replication: { write: primary, read: [{ ...primary, port: 1 }] } },
  });
}

/**
 * Opens this file's database before its tests, empties it after each test and
 * closes it at the end. Read `.db` inside a test.
 */
export function useTestDatabase(hasher: PasswordHasher = testBcrypt()): { readonly db: Db } {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await openTestDatabase(hasher);
  }, SETUP_TIMEOUT_MS);
  afterEach(async () => {
    await current?.reset();
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await current?.close();
  }, SETUP_TIMEOUT_MS);
  return {
    get db(): Db {
      if (!current) throw new Error('the test database is not open yet: read .db inside a test');
      return current.db;
    },
  };
}
