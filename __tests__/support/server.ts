import { Client } from 'pg';

/** The PostgreSQL server the postgres project uses; each jest worker gets a database of its own on it. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function adminClient(): Client {
  return new Client({ connectionString: testDatabaseUrl(), connectionTimeoutMillis: 2000 });
}

/** Whether a PostgreSQL server answers at `url` (the test server by default). */
export async function postgresReachable(url = testDatabaseUrl()): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The prefix of every database this test run creates. The run id is chosen once
 * in the jest process (jest.config.ts) and inherited by its workers, so the
 * teardown drops this run's databases and never another run's on a shared server.
 */
export function testRunDatabases(): string {
  const run = process.env.TBP_TEST_RUN;
  if (!run || !/^[a-z0-9]+$/.test(run))
    throw new Error('TBP_TEST_RUN is not set: run the tests through jest.config.ts');
  return `tbp_test_${run}_`;
}

/** The name of this worker's database. */
export function workerDatabase(): string {
  return `${testRunDatabases()}${process.env.JEST_WORKER_ID ?? '0'}`;
}

export function urlOf(database: string): string {
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${database}`;
  return url.toString();
}
