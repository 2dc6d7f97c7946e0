import { Client } from 'pg';
import { readTopology } from '../topology/env';
import { postgresReachable, testDatabaseUrl, testRunDatabases } from './server';

/** Drops this run's databases on the server at `url`, and only those: other runs may share the server. */
async function dropRunDatabases(url: string): Promise<void> {
  if (!(await postgresReachable(url))) return;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
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

/** Drops the databases this run's workers created: on the test server, and on the topology's primary when it is up. */
export default async function teardown(): Promise<void> {
  await dropRunDatabases(testDatabaseUrl());
  let topologyPrimary: string | undefined;
  try {
    topologyPrimary = readTopology()?.primaryUrl;
  } catch {
    topologyPrimary = undefined; // a .topology.env of another version: nothing of this run is there
  }
  if (topologyPrimary) await dropRunDatabases(topologyPrimary);
}
