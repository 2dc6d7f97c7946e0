import { randomBytes } from 'node:crypto';
import { adminClient, testRunDatabases } from '../support/server';
import teardown from '../support/teardown';

async function databaseExists(name: string): Promise<boolean> {
  const client = adminClient();
  await client.connect();
  try {
    return Boolean((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount);
  } finally {
    await client.end();
  }
}

async function sql(statement: string): Promise<void> {
  const client = adminClient();
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe('the global teardown', () => {
  // Another run on the same server: same naming scheme, another run id.
  const foreign = `tbp_test_${randomBytes(5).toString('hex')}_1`;
  // A run of its own for the probe, so that the teardown called here cannot touch this run's live databases.
  const probeRun = randomBytes(5).toString('hex');
  const ours = `tbp_test_${probeRun}_1`;
  const original = process.env.TBP_TEST_RUN;

  afterAll(async () => {
    process.env.TBP_TEST_RUN = original;
    await sql(`DROP DATABASE IF EXISTS "${foreign}" WITH (FORCE)`);
    await sql(`DROP DATABASE IF EXISTS "${ours}" WITH (FORCE)`);
  }, 60_000);

  it("drops this run's databases and leaves another run's alone", async () => {
    await sql(`CREATE DATABASE "${foreign}"`);
    await sql(`CREATE DATABASE "${ours}"`);
    process.env.TBP_TEST_RUN = probeRun;
    expect(testRunDatabases()).toBe(`tbp_test_${probeRun}_`);
    await teardown();
    expect(await databaseExists(ours)).toBe(false);
    expect(await databaseExists(foreign)).toBe(true);
  }, 60_000);
});
