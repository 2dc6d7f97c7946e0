import { randomUUID } from 'node:crypto';
import { Model as FinderModel } from 'sequelize-typescript';
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

const finder = (model: unknown, id: unknown, options?: object): Promise<unknown> =>
  (FinderModel.findByPk as (...args: unknown[]) => Promise<unknown>).call(model, id, options);

/** Runs `fn` on a new instance, recording which statements went out as the package's fixed ones. */
async function withDb<T>(options: Parameters<typeof createDb>[0], fn: (db: Db, fixed: string[]) => Promise<T>) {
  const fixed: string[] = [];
  const db = createDb({
    url: urlOf(workerDatabase()),
    hasher: cheapHasher,
    logging: (sql: string) => {
      const text = /Executing \([^)]*\): (.*)$/s.exec(sql)?.[1]?.trim() ?? '';
      if (fixedStatementName(text)) fixed.push(text);
    },
    ...options,
  });
  try {
    return await fn(db, fixed);
  } finally {
    await db.sequelize.close();
  }
}
describe('createDb({ preparedStatements: true })', () => {
  test('a plain read by key is one fixed statement, sent as a named prepared statement', async () => {
    await withDb({ preparedStatements: true }, async (db, fixed) => {
      const project = await MODEL_FACTORIES.projects(db);
      fixed.length = 0;
      await db.sequelize.transaction(async (transaction) => {
        await db.projects.findByPk(project.id, { transaction });
        await db.projects.findByPk(project.id, { transaction, raw: true });
        const name = fixedStatementName(fixed[0] ?? '');
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
      expect((await db.projects.findByPk(project.id))?.id).toBe(project.id);
      expect(seen).toEqual([{ id: project.id }]);
    });
  });
});

describe('DB_PREPARED_STATEMENTS, and the default', () => {
  /** Whether a read by key on a new instance leaves its statement prepared on its connection. */
  function leavesPrepared(options: { preparedStatements?: boolean }): Promise<boolean> {
    return withDb(options, async (db) => {
      const project = await MODEL_FACTORIES.projects(db);
      return db.sequelize.transaction(async (transaction) => {
        await db.projects.findByPk(project.id, { transaction });
        const rows = (await db.sequelize.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'tbp\\_%'", {
          type: 'SELECT',
          transaction,
        })) as unknown[];
        return rows.length > 0;
      });
    });
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

describe('what the fast path leaves to the finder, and what it keeps', () => {
  test('a default scope replaced after the first read applies from the next one on', async () => {
    await withDb({}, async (db, fixed) => {
      const user = await MODEL_FACTORIES.users(db);
      expect(Object.keys((await db.users.findByPk(user.id, { raw: true })) ?? {})).toContain('email');
      expect(fixed).toHaveLength(1);
      const secrets = ['password', 'emailVerificationToken', 'passwordResetToken'];
      db.users.addScope('defaultScope', { attributes: { exclude: [...secrets, 'email'] } }, { override: true });
      const narrowed = await db.users.findByPk(user.id, { raw: true });
      expect(Object.keys(narrowed ?? {})).not.toContain('email');
      expect(narrowed).toEqual(await finder(db.users, user.id, { raw: true }));
      expect(fixed).toHaveLength(2);
      // A scope with a where is the finder's to apply.
      db.users.addScope('defaultScope', { where: { disabled: false } }, { override: true });
      await db.users.update({ disabled: true }, { where: { id: user.id } });
      expect(await db.users.findByPk(user.id)).toBeNull();
      expect(fixed).toHaveLength(2);
    });
  });

  test.each([
    ['a model-wide rejectOnEmpty', { sequelize: { define: { rejectOnEmpty: true } } }],
    ['query defaults of the instance', { sequelize: { query: { raw: true } } }],
  ])('%s: the finder answers, as it would', async (_, options) => {
    await withDb(options as never, async (db, fixed) => {
      const project = await MODEL_FACTORIES.projects(db);
      expect(await db.projects.findByPk(project.id)).toEqual(await finder(db.projects, project.id));
      const missing = randomUUID();
      const [mine, theirs] = await Promise.all(
        [db.projects.findByPk(missing), finder(db.projects, missing)].map((read) =>
          read.then(
            (row) => ({ row }),
            (error: Error) => ({ error: error.name }),
          ),
        ),
      );
      expect(mine).toEqual(theirs);
      expect(fixed).toEqual([]);
    });
  });

  test("an app's beforeQuery hook: the finder answers, so the hook sees the finder's options", async () => {
    await withDb({}, async (db, fixed) => {
      const project = await MODEL_FACTORIES.projects(db);
      const models: unknown[] = [];
      db.sequelize.addHook('beforeQuery', (options) => void models.push((options as { model?: unknown }).model));
      await db.projects.findByPk(project.id);
      expect(models).toContain(db.projects);
      expect(fixed).toEqual([]);
    });
  });

  test("the package's own statement timeouts keep the fast path (their hook reads only the transaction)", async () => {
    await withDb({ statementTimeoutMs: 30_000 }, async (db, fixed) => {
      const project = await MODEL_FACTORIES.projects(db);
      await db.sequelize.transaction(async (transaction) => {
        expect((await db.projects.findByPk(project.id, { transaction }))?.id).toBe(project.id);
        const [setting] = (await db.sequelize.query('SHOW statement_timeout', { transaction, type: 'SELECT' })) as {
          statement_timeout: string;
        }[];
        expect(setting?.statement_timeout).toBe('30s');
      });
      expect(fixed).toHaveLength(1);
    });
  });
});
