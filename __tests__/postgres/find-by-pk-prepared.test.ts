import { createDb, type Db } from '../../src';
import { fixedStatementName } from '../../src/models/base/statements';
import { MODEL_FACTORIES } from '../models/rows';
import { cheapHasher, openTestDatabase, type TestDatabase } from '../support/db';
import { urlOf, workerDatabase } from '../support/server';

/**
 * With `preparedStatements`, the package's fixed statements (here `findByPk`'s) go to the server as named
 * prepared statements; an app's find hook turns the fast path off. (That its answers are the finder's is
 * __tests__/models/find-by-pk.test.ts, on both backends.)
 */

let database: TestDatabase;
beforeAll(async () => {
  // Migrated and emptied as every suite's database is.
  database = await openTestDatabase(cheapHasher);
}, 120_000);
afterAll(() => database.close(), 120_000);

describe('createDb({ preparedStatements: true })', () => {
  let db: Db;
  const statements: string[] = [];
  beforeAll(() => {
    db = createDb({
      url: urlOf(workerDatabase()),
      hasher: cheapHasher,
      preparedStatements: true,
      logging: (sql: string) => statements.push(sql),
    });
  });
  afterAll(() => db.sequelize.close());

  test('a plain read by key is one fixed statement, sent as a named prepared statement', async () => {
    const project = await MODEL_FACTORIES.projects(db);
    statements.length = 0;
    await db.sequelize.transaction(async (transaction) => {
      await db.projects.findByPk(project.id, { transaction });
      await db.projects.findByPk(project.id, { transaction, raw: true });
      const [read] = statements.filter((sql) => sql.includes('SELECT') && sql.includes('"projects"'));
      const text = /Executing \([^)]*\): (.*)$/s.exec(read ?? '')?.[1]?.trim() ?? '';
      const name = fixedStatementName(text);
      expect(name).toMatch(/^tbp_[0-9a-f]{24}$/);
      const [prepared] = (await db.sequelize.query('SELECT name FROM pg_prepared_statements WHERE name = $1', {
        bind: [name],
        type: 'SELECT',
        transaction,
      })) as { name: string }[];
      expect(prepared?.name).toBe(name);
    });
    // A hook of the app's turns the fast path off: the finder runs it, and the hook sees it.
    const seen: unknown[] = [];
    db.projects.addHook('beforeFind', 'appHook', (options) => void seen.push(options.where));
    try {
      expect((await db.projects.findByPk(project.id))?.id).toBe(project.id);
      expect(seen).toEqual([{ id: project.id }]);
    } finally {
      db.projects.removeHook('beforeFind', 'appHook');
    }
  });
});

describe('DB_PREPARED_STATEMENTS, and the default', () => {
  /** Whether a read by key on a new instance leaves its statement prepared on its connection. */
  async function leavesPrepared(options: { preparedStatements?: boolean }): Promise<boolean> {
    const db = createDb({ url: urlOf(workerDatabase()), hasher: cheapHasher, logging: false, ...options });
    try {
      const project = await MODEL_FACTORIES.projects(db);
      return await db.sequelize.transaction(async (transaction) => {
        await db.projects.findByPk(project.id, { transaction });
        const rows = (await db.sequelize.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'tbp\\_%'", {
          type: 'SELECT',
          transaction,
        })) as unknown[];
        return rows.length > 0;
      });
    } finally {
      await db.sequelize.close();
    }
  }

  test('off by default; DB_PREPARED_STATEMENTS=true turns it on, and the option wins over the variable', async () => {
    const saved = process.env.DB_PREPARED_STATEMENTS;
    try {
      delete process.env.DB_PREPARED_STATEMENTS;
      expect(await leavesPrepared({})).toBe(false);
      process.env.DB_PREPARED_STATEMENTS = 'true';
      expect(await leavesPrepared({})).toBe(true);
      expect(await leavesPrepared({ preparedStatements: false })).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.DB_PREPARED_STATEMENTS;
      else process.env.DB_PREPARED_STATEMENTS = saved;
    }
  });
});
