import { adminClient, postgresReachable, testRunDatabases } from './server';

/** Drops the databases this run's workers created, and only those: other runs may share the server. */
export default async function teardown(): Promise<void> {
  if (!(await postgresReachable())) return;
  const client = adminClient();
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [testRunDatabases()],
    );
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
