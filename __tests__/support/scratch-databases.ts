import { createDb, type Db } from '../../src';
import { adminClient, urlOf, workerDatabase } from './server';

/**
 * Empty databases of this worker, beside its main one, for tests that need a
 * database of their own (migrations from nothing, a model-synced twin).
 * They are dropped by `dropAll()` and, at the latest, by the global teardown.
 */
export function scratchDatabases() {
  const opened: { name: string; db: Db }[] = [];
  return {
    async open(suffix: string): Promise<Db> {
      const name = `${workerDatabase()}_${suffix}`;
      const client = adminClient();
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      const db = createDb({ url: urlOf(name), logging: false });
      opened.push({ name, db });
      return db;
    },
    async dropAll(): Promise<void> {
      const client = adminClient();
      await client.connect();
      try {
        for (const { name, db } of opened.splice(0)) {
          await db.sequelize.close();
          await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        }
      } finally {
        await client.end();
      }
    },
  };
}
