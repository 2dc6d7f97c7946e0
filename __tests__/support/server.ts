import { Client } from 'pg';

/** The PostgreSQL server the postgres project uses; each jest worker gets a database of its own on it. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function adminClient(): Client {
  return new Client({ connectionString: testDatabaseUrl(), connectionTimeoutMillis: 2000 });
}

export async function postgresReachable(): Promise<boolean> {
  const client = adminClient();
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

/** The name of this worker's database. */
export function workerDatabase(): string {
  return `tbp_test_${process.env.JEST_WORKER_ID ?? '0'}_${process.pid}`;
}

export function urlOf(database: string): string {
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${database}`;
  return url.toString();
}
