import { createDb, InMemoryUnsupportedError } from '../../src';
import { rewriteJoinGroups } from '../../src/memory/join-groups';
import { prepareForPgMem } from '../../src/memory/rewrite';
import { classify, transactionGate } from '../../src/memory/transactions';
import { migrate } from '../../src/migrations/runner';
import { build, createTestDb, type TestDb } from '../../src/testing';
import { SETUP_TIMEOUT_MS } from '../support/db';

// How the pg-mem glue rewrites SQL and answers transactions; the answers themselves are compared with
// PostgreSQL's in __tests__/models/ (queries, transactions) and __tests__/postgres/differential.test.ts.

const squeeze = (sql: string) => sql.replace(/\s+/g, ' ').trim();

describe('parenthesised joins become subqueries', () => {
  test('SQL without one comes back unchanged, even with "JOIN (" inside a string', () => {
    const sql = `SELECT "a"."id" FROM "a" AS "a" LEFT OUTER JOIN (SELECT 1 AS "x") AS "s" ON true WHERE "a"."n" = 'JOIN ( "x"'`;
    expect(rewriteJoinGroups(sql)).toBe(sql);
  });

  test('a many-to-many join: the group selects what the query reads of it, the query reads the subquery', () => {
    const sql =
      'SELECT "u"."id", "p"."name" AS "p.name" FROM "users" AS "u" LEFT OUTER JOIN ( "j" AS "p->j" ' +
      'INNER JOIN "permissions" AS "p" ON "p"."id" = "p->j"."pid") ON "u"."id" = "p->j"."uid" AND ("p"."deletedAt" IS NULL) ' +
      'ORDER BY "p"."name"';
    expect(squeeze(rewriteJoinGroups(sql))).toBe(
      squeeze(
        'SELECT "u"."id", "__pgmem_join_0"."c0" AS "p.name" FROM "users" AS "u" LEFT OUTER JOIN ' +
          '(SELECT "p"."name" AS "c0", "p->j"."uid" AS "c1", "p"."deletedAt" AS "c2" FROM "j" AS "p->j" ' +
          'INNER JOIN "permissions" AS "p" ON "p"."id" = "p->j"."pid") AS "__pgmem_join_0" ' +
          'ON "u"."id" = "__pgmem_join_0"."c1" AND ("__pgmem_join_0"."c2" IS NULL) ORDER BY "__pgmem_join_0"."c0"',
      ),
    );
  });

  test('nested groups are rewritten from the inside out', () => {
    const sql =
      'SELECT "c"."id" FROM "r" AS "r" LEFT OUTER JOIN ( ( "j" AS "p->j" INNER JOIN "p" AS "p" ON "p"."id" = "p->j"."pid") ' +
      'INNER JOIN "u" AS "c" ON "c"."id" = "p"."cid" ) ON "r"."id" = "p->j"."rid"';
    const rewritten = rewriteJoinGroups(sql);
    expect(rewritten).not.toMatch(/JOIN\s*\(\s*[("]/);
    expect(rewritten.match(/AS "__pgmem_join_\d+"/g)).toEqual(['AS "__pgmem_join_0"', 'AS "__pgmem_join_1"']);
  });

  test('a group whose table name is declared again elsewhere is refused, not guessed', () => {
    const sql =
      'SELECT "p"."id" FROM "u" AS "u" LEFT OUTER JOIN ( "j" AS "j" INNER JOIN "p" AS "p" ON "p"."id" = "j"."pid") ' +
      'ON "u"."id" = "j"."uid" WHERE EXISTS (SELECT 1 FROM "p" AS "p" WHERE "p"."id" = "u"."id")';
    expect(() => rewriteJoinGroups(sql)).toThrow(InMemoryUnsupportedError);
  });
});

describe('filters that pg-mem evaluates wrongly from an index are given to it as expressions', () => {
  test('IS NOT NULL and NOT BETWEEN become NOT (...)', () => {
    const prepared = prepareForPgMem('SELECT 1 FROM "t" WHERE "a" IS NOT NULL AND "b" NOT BETWEEN 1 AND 2');
    expect(JSON.stringify(prepared)).not.toMatch(/IS NOT NULL|NOT BETWEEN/);
    expect(JSON.stringify(prepared)).toMatch(/"op":"NOT".*"op":"IS NULL".*"op":"NOT".*"op":"BETWEEN"/);
  });

  test('other SQL goes to pg-mem as text', () => {
    expect(prepareForPgMem('SELECT 1 FROM "t" WHERE "a" IS NULL')).toBe('SELECT 1 FROM "t" WHERE "a" IS NULL');
  });
});

describe('transaction statements', () => {
  test.each([
    ['START TRANSACTION;', { kind: 'begin' }],
    ['BEGIN', { kind: 'begin' }],
    ['COMMIT;', { kind: 'commit' }],
    ['ROLLBACK;', { kind: 'rollback' }],
    ['SAVEPOINT "a-b";', { kind: 'savepoint', name: 'a-b' }],
    ['ROLLBACK TO SAVEPOINT "a-b";', { kind: 'rollback-to', name: 'a-b' }],
    ['RELEASE SAVEPOINT Sp1', { kind: 'release', name: 'sp1' }],
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;', { kind: 'isolation' }],
    ['SET client_min_messages TO warning;', { kind: 'session' }],
    ['SELECT 1', { kind: 'read' }],
    ['WITH x AS (SELECT 1) SELECT * FROM x', { kind: 'read' }],
    ['UPDATE "t" SET "a" = 1', { kind: 'write' }],
  ])('%s', (sql, expected) => {
    expect(classify(sql)).toEqual(expected);
  });
});

describe('one transaction at a time in memory', () => {
  let db: TestDb;
  // The default wait (TRANSACTION_WAIT_MS) is for consumers' code; these tests wait less.
  const WAIT_MS = 300;
  beforeAll(async () => {
    db = await createTestDb();
    if (db.sequelize.memory) transactionGate(db.sequelize.memory).waitMs = WAIT_MS;
  }, SETUP_TIMEOUT_MS);
  afterEach(() => db.reset());
  afterAll(() => db.close(), SETUP_TIMEOUT_MS);

  const refusal = (construct: RegExp) =>
    expect.objectContaining({ name: 'InMemoryUnsupportedError', construct: expect.stringMatching(construct) });

  test(
    'a transaction opened inside another without { transaction } is refused after a bounded wait',
    async () => {
      const started = Date.now();
      const outcome = db.sequelize.transaction(async (outer) => {
        await db.projects.create({ name: 'Outer', slug: 'outer' }, { transaction: outer });
        await db.sequelize.transaction(async (inner) => {
          await db.projects.create({ name: 'Inner', slug: 'inner' }, { transaction: inner });
        });
      });
      await expect(outcome).rejects.toEqual(refusal(/^a second transaction while/));
      expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS);
      // The outer transaction rolled back on the refusal, and the database takes transactions again.
      expect(await db.projects.count()).toBe(0);
      await db.sequelize.transaction((transaction) =>
        db.projects.create({ name: 'Next', slug: 'next' }, { transaction }),
      );
      expect(await db.projects.count()).toBe(1);
    },
    WAIT_MS * 20,
  );

  test(
    'a write outside the open transaction, from inside its callback, is refused; a read sees what was committed',
    async () => {
      await build.project(db, { name: 'Committed' });
      const outcome = db.sequelize.transaction(async (transaction) => {
        await db.projects.create({ name: 'Pending', slug: 'pending' }, { transaction });
        expect((await db.projects.findAll()).map((project) => project.name)).toEqual(['Committed']);
        await build.project(db, { name: 'Outside' });
      });
      await expect(outcome).rejects.toEqual(refusal(/^a write while/));
      expect((await db.projects.findAll()).map((project) => project.name)).toEqual(['Committed']);
    },
    WAIT_MS * 20,
  );

  test(
    'rolling back a change of schema is refused, and the database refuses everything after it',
    async () => {
      const other = await createTestDb();
      try {
        const failure = other.sequelize.transaction(async (transaction) => {
          await other.sequelize.query('CREATE TABLE "scratch" ("id" integer)', { transaction });
          throw new Error('planned');
        });
        await expect(failure).rejects.toThrow('planned');
        await expect(other.projects.count()).rejects.toEqual(
          refusal(/^rolling back a transaction that changed the schema/),
        );
      } finally {
        await other.close();
      }
    },
    SETUP_TIMEOUT_MS,
  );
});

describe('LIKE in memory', () => {
  test('a pattern with characters that a unicode regular expression may not escape (-) matches as on PostgreSQL', async () => {
    const db = createDb({ inMemory: true, logging: false });
    try {
      await migrate(db.sequelize);
      await db.projects.create({ name: 'A', slug: 'reset-token-4f1c' });
      const { Op } = db.Sequelize;
      expect(await db.projects.count({ where: { slug: { [Op.like]: 'reset-token-%' } } })).toBe(1);
      expect(await db.projects.count({ where: { slug: { [Op.like]: 'reset-tok_n-4f1c' } } })).toBe(1);
    } finally {
      await db.sequelize.close();
    }
  });
});
