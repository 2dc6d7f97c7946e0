import { type CreateDbOptions, createDb, type Db, models, modelsByTable, User } from '../../src';
import { migrate } from '../../src/migrations/runner';

const opened: Db[] = [];
function open(options: CreateDbOptions = { inMemory: true, logging: false }): Db {
  const db = createDb(options);
  opened.push(db);
  return db;
}
afterAll(async () => {
  for (const db of opened) await db.sequelize.close();
});

describe('createDb', () => {
  test('keys every model by its table name, with the instance and the library', () => {
    const db = open();
    for (const table of Object.keys(modelsByTable)) {
      expect(db[table as keyof typeof modelsByTable].getTableName()).toBe(table);
    }
    // The spec's 21 models, its 2 join tables, and publish_snapshots (publish history and rollback).
    expect(Object.keys(modelsByTable)).toHaveLength(24);
    expect(models).toHaveLength(24);
    expect(typeof db.Sequelize.Op.like).toBe('symbol');
    expect(db.sequelize.models.users).toBe(db.users);
  });

  test('each instance has its own model classes, subclasses of the exported ones', () => {
    const [a, b] = [open(), open()];
    expect(a.users).not.toBe(b.users);
    expect(a.users.prototype).toBeInstanceOf(User);
    expect(a.users.sequelize).toBe(a.sequelize);
    expect(b.users.sequelize).toBe(b.sequelize);
  });

  test('two databases in one process never see each other’s rows', async () => {
    const [a, b] = [open(), open()];
    await Promise.all([migrate(a.sequelize), migrate(b.sequelize)]);
    await a.projects.create({ name: 'Only in A', slug: 'only-a' });
    expect(await a.projects.count()).toBe(1);
    expect(await b.projects.count()).toBe(0);
    await b.projects.create({ name: 'Only in B', slug: 'only-b' });
    expect((await a.projects.findAll()).map((p) => p.slug)).toEqual(['only-a']);
  });

  test('opens no connection until the first query', async () => {
    const db = open({ url: 'postgres://nobody@127.0.0.1:1/none', logging: false });
    expect(db.sequelize.connectionManager).toBeDefined();
    await expect(db.sequelize.authenticate()).rejects.toThrow();
  });

  test('NODE_ENV=test without DATABASE_URL is in memory', () => {
    const db = open({ environment: 'test' });
    expect(db.sequelize.memory).toBeDefined();
  });

  test('a custom hasher is used for that database only', async () => {
    const db = open({
      inMemory: true,
      logging: false,
      hasher: {
        hash: async (plain) => `hashed:${plain}`,
        compare: async (plain, hash) => hash === `hashed:${plain}`,
        isHash: (value) => value.startsWith('hashed:'),
      },
    });
    await migrate(db.sequelize);
    const user = await db.users.create({ email: 'ann@example.com', password: 'pw' });
    const stored = await db.users.scope('withSecrets').findByPk(user.id);
    expect(stored?.password).toBe('hashed:pw');
    await expect(stored?.checkPassword('pw')).resolves.toBe(true);
  });
});

describe('sync() on pg-mem', () => {
  test('refuses alter, pointing at migrations', async () => {
    const db = open();
    await expect(db.sequelize.sync({ alter: true })).rejects.toThrow(
      /not supported: change a database with a migration/,
    );
  });

  test('creates the schema, and a forced sync empties it again', async () => {
    const db = open();
    await db.sequelize.sync();
    await db.projects.create({ name: 'Tour', slug: 'tour' });
    await db.sequelize.sync();
    expect(await db.projects.count()).toBe(1);
    await db.sequelize.sync({ force: true });
    expect(await db.projects.count()).toBe(0);
    await db.projects.create({ name: 'Tour', slug: 'tour' });
    expect(await db.projects.count()).toBe(1);
  });
});
