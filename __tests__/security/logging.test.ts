import { inspect } from 'node:util';
import { type CreateDbOptions, createDb, type Db, importRows } from '../../src';
import { migrate } from '../../src/migrations/runner';
import { backend } from '../support/db';
import {
  DB_PASSWORD,
  expectNoSecretsInLogs,
  plantedUser,
  RESET_TOKEN,
  SECRETS,
  uniqueEmail,
  useSecurityDatabase,
  VERIFY_TOKEN,
} from './support';

/**
 * The SQL logger redacts secret values, whichever logging function prints
 * them (the database's, one given to a query, the development default, DB_LOGGING)
 * and whether values are written into the statement or bound to it.
 */

jest.setTimeout(60_000);
const t = useSecurityDatabase('logging');
const OTHER_RESET = 'other-reset-token-3e7d11';
const OTHER_PASSWORD = 'Other-Password-1266';
const ALL = { ...SECRETS, 'other reset token': OTHER_RESET, 'other password': OTHER_PASSWORD };

/** Every write and read path of users, with secrets. */
async function everyPath(db: Db): Promise<void> {
  const { user } = await plantedUser(db);
  await db.users.findOne({ where: { passwordResetToken: RESET_TOKEN } });
  await db.users.findAll({ where: { emailVerificationToken: [VERIFY_TOKEN, OTHER_RESET] } });
  await db.users.count({ where: { passwordResetToken: { [db.Sequelize.Op.like]: `${RESET_TOKEN}%` } } });
  await user.update({ password: OTHER_PASSWORD, passwordResetToken: OTHER_RESET });
  await db.users.update({ password: OTHER_PASSWORD, emailVerificationToken: OTHER_RESET }, { where: { id: user.id } });
  await db.users.bulkCreate([
    { email: uniqueEmail(), password: OTHER_PASSWORD, passwordResetToken: OTHER_RESET },
    { email: uniqueEmail(), password: OTHER_PASSWORD, emailVerificationToken: VERIFY_TOKEN },
  ]);
  await db.users.upsert({ email: uniqueEmail(), password: OTHER_PASSWORD, passwordResetToken: OTHER_RESET });
  await importRows(db.users, [{ email: uniqueEmail(), password: OTHER_PASSWORD, passwordResetToken: RESET_TOKEN }]);
  await db.sequelize.query('SELECT id FROM users WHERE "passwordResetToken" = $1', { bind: [OTHER_RESET] });
  await db.sequelize.query('SELECT id FROM users WHERE "passwordResetToken" = :token', {
    replacements: { token: OTHER_RESET },
  });
  if (backend === 'postgres') {
    const email = uniqueEmail();
    await db.users.findOrCreate({
      where: { email, passwordResetToken: OTHER_RESET },
      defaults: { email, password: OTHER_PASSWORD },
    });
  }
}

describe("the database's logger", () => {
  test('findOne by reset token logs [REDACTED], not the token', async () => {
    await plantedUser(t.db);
    t.logs.length = 0;
    await t.db.users.findOne({ where: { passwordResetToken: RESET_TOKEN } });
    expect(t.logs).toHaveLength(1);
    expect(t.logs[0]).toContain(`"passwordResetToken" = '[REDACTED]'`);
    expectNoSecretsInLogs(t.logs, ALL);
  });

  test('every write and read path', async () => {
    t.logs.length = 0;
    await everyPath(t.db);
    expect(t.logs.length).toBeGreaterThan(10);
    expectNoSecretsInLogs(t.logs, ALL);
  });

  test('with logQueryParameters and benchmark on', async () => {
    const options = t.db.sequelize.options as { logQueryParameters?: boolean; benchmark?: boolean };
    options.logQueryParameters = true;
    options.benchmark = true;
    t.logs.length = 0;
    try {
      await everyPath(t.db);
    } finally {
      options.logQueryParameters = false;
      options.benchmark = false;
    }
    expect(t.logs.some((line) => /^Executed .*Elapsed time|^Executed /.test(line))).toBe(true);
    expect(t.logs.some((line) => line.includes('[REDACTED]'))).toBe(true);
    expectNoSecretsInLogs(t.logs, ALL);
  });
});

test('a logging function given to one query, and the options it receives', async () => {
  await plantedUser(t.db);
  const lines: string[] = [];
  const logging = (sql: string, options?: unknown) => {
    lines.push(sql, inspect(options, { depth: 5 }));
  };
  await t.db.users.findOne({ where: { passwordResetToken: RESET_TOKEN }, logging });
  const user = await t.db.users.create(
    { email: uniqueEmail(), password: OTHER_PASSWORD, passwordResetToken: OTHER_RESET },
    { logging },
  );
  await t.db.sequelize.query('SELECT id FROM users WHERE "passwordResetToken" = $1', { bind: [RESET_TOKEN], logging });
  expect(lines.length).toBeGreaterThanOrEqual(6);
  expect(lines.join('\n')).toContain(user.email);
  expectNoSecretsInLogs(lines, ALL);
});

/** A database of the given environment on this backend, logging as that environment does. */
async function environmentDb(options: CreateDbOptions): Promise<Db> {
  const db =
    backend === 'memory'
      ? createDb({ ...options, inMemory: true, url: `postgres://app:${DB_PASSWORD}@localhost/memory` })
      : createDb({ ...options, url: t.url as string });
  if (backend === 'memory') await migrate(db.sequelize);
  return db;
}

describe('the default loggers print to the console, redacted', () => {
  let printed: string[];
  let log: jest.SpyInstance;
  beforeEach(() => {
    printed = [];
    log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' '));
    });
  });
  afterEach(() => log.mockRestore());

  test('development, where SQL logging is on by default', async () => {
    const db = await environmentDb({ environment: 'development' });
    try {
      await everyPath(db);
    } finally {
      await db.sequelize.close();
    }
    expect(printed.some((line) => line.includes('"passwordResetToken" = \'[REDACTED]\''))).toBe(true);
    expectNoSecretsInLogs(printed, ALL);
  });

  test('DB_LOGGING=true', async () => {
    const previous = process.env.DB_LOGGING;
    process.env.DB_LOGGING = 'true';
    let db: Db;
    try {
      db = await environmentDb({ environment: 'test' });
    } finally {
      if (previous === undefined) delete process.env.DB_LOGGING;
      else process.env.DB_LOGGING = previous;
    }
    try {
      await everyPath(db);
    } finally {
      await db.sequelize.close();
    }
    expect(printed.length).toBeGreaterThan(10);
    expectNoSecretsInLogs(printed, ALL);
  });
});
