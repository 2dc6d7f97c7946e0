import { adminClient, postgresReachable } from './server';

/** Drops the databases the workers created. */
export default async function teardown(): Promise<void> {
  if (!(await postgresReachable())) return;
  const client = adminClient();
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'tbp\\_test\\_%'",
    );
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
