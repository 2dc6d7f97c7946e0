import { randomUUID } from 'node:crypto';
import {
  AggregateError as BulkErrors,
  DatabaseError,
  ForeignKeyConstraintError,
  UniqueConstraintError,
  ValidationError,
  ValidationErrorItem,
} from 'sequelize';
import { createDb, DbConfigError, ImportValidationError, importRows, parseDatabaseUrl } from '../../src';
import {
  DB_PASSWORD,
  expectNoSecrets,
  failureOf,
  PLAIN_PASSWORD,
  plantedUser,
  RESET_TOKEN,
  SECRETS,
  uniqueEmail,
  useSecurityDatabase,
  VERIFY_TOKEN,
} from './support';

/**
 * Errors raised by the package, its own and the Sequelize and driver errors
 * it passes on, hold no password, hash, token or database password: not in
 * `sql`, `parameters`, `original`, `parent`, `fields`, `errors[].value` or
 * `errors[].instance`, through JSON.stringify, util.inspect (any depth),
 * String() and the stack.
 */

jest.setTimeout(60_000);
const t = useSecurityDatabase('errors');
const NO_ROLE = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const OTHER_PASSWORD = 'Other-Password-5512';
const OTHER_RESET = 'other-reset-token-91ac55';

/** The planted secrets, the stored hash, and the secrets of the failed write. */
function secretsWith(hash: string): Record<string, string> {
  return { ...SECRETS, hash, 'other password': OTHER_PASSWORD, 'other reset token': OTHER_RESET };
}

/** A write that collides with the planted user's email and carries new secrets. */
function collidingValues(email: string) {
  return { email, password: OTHER_PASSWORD, passwordResetToken: OTHER_RESET, emailVerificationToken: VERIFY_TOKEN };
}

describe('constraint errors on users carry no secret', () => {
  test('create with a taken email: a UniqueConstraintError that still names the field', async () => {
    const { user, hash } = await plantedUser(t.db);
    const error = await failureOf(t.db.users.create(collidingValues(user.email)));
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect((error as UniqueConstraintError).fields).toHaveProperty('email', user.email);
    const item = (error as UniqueConstraintError).errors[0] as ValidationErrorItem;
    expect(item.path).toBe('email');
    // The row is still there for code that wants it, only hidden from JSON and inspect.
    expect(item.instance?.get('email')).toBe(user.email);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('a foreign-key error on create', async () => {
    const { hash } = await plantedUser(t.db);
    const error = await failureOf(t.db.users.create({ ...collidingValues(uniqueEmail()), app_roleId: NO_ROLE }));
    expect(error).toBeInstanceOf(ForeignKeyConstraintError);
    expect((error as ForeignKeyConstraintError).fields).toHaveProperty('app_roleId');
    expectNoSecrets(error, secretsWith(hash));
  });

  test('a foreign-key error on instance update', async () => {
    const { user, hash } = await plantedUser(t.db);
    const error = await failureOf(user.update({ passwordResetToken: OTHER_RESET, app_roleId: NO_ROLE }));
    expect(error).toBeInstanceOf(ForeignKeyConstraintError);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('a foreign-key error on static update', async () => {
    const { user, hash } = await plantedUser(t.db);
    const error = await failureOf(
      t.db.users.update(
        { password: OTHER_PASSWORD, passwordResetToken: OTHER_RESET, app_roleId: NO_ROLE },
        { where: { id: user.id } },
      ),
    );
    expect(error).toBeInstanceOf(ForeignKeyConstraintError);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('bulkCreate with a taken email', async () => {
    const { user, hash } = await plantedUser(t.db);
    const error = await failureOf(t.db.users.bulkCreate([collidingValues(user.email)]));
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('upsert with a foreign-key error', async () => {
    const { user, hash } = await plantedUser(t.db);
    const error = await failureOf(
      t.db.users.upsert({ id: user.id, ...collidingValues(user.email), app_roleId: NO_ROLE }),
    );
    expect(error).toBeInstanceOf(ForeignKeyConstraintError);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('a failing importRows', async () => {
    const { user, hash } = await plantedUser(t.db);
    const error = await failureOf(
      importRows(t.db.users, [{ ...collidingValues(uniqueEmail()) }, { ...collidingValues(user.email) }]),
    );
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect(await t.db.users.count({ where: { passwordResetToken: OTHER_RESET } })).toBe(0);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('findOrCreate that collides (PostgreSQL wraps its INSERT in a function)', async () => {
    const { user, hash } = await plantedUser(t.db);
    const attempt = t.db.users.findOrCreate({
      where: { email: user.email, passwordResetToken: OTHER_RESET },
      defaults: { email: user.email, password: OTHER_PASSWORD, emailVerificationToken: VERIFY_TOKEN },
    });
    const error = await failureOf(attempt);
    // Both backends report the duplicate (the in-memory glue runs the INSERT PostgreSQL wraps in a function).
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expectNoSecrets(error, secretsWith(hash));
  });
});

describe('other query errors carry no secret either', () => {
  test('a find by token that fails', async () => {
    const { hash } = await plantedUser(t.db);
    const error = await failureOf(
      t.db.users.findAll({ where: { passwordResetToken: RESET_TOKEN }, order: [['no_such_column', 'ASC']] }),
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('a raw query with secrets bound to it', async () => {
    const { user, hash } = await plantedUser(t.db);
    const error = await failureOf(
      t.db.sequelize.query('UPDATE users SET "passwordResetToken" = $1, "password" = $2 WHERE id = $3 AND nope = 1', {
        bind: [OTHER_RESET, hash, user.id],
      }),
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).parameters).toEqual(['[REDACTED]', '[REDACTED]', user.id]);
    expectNoSecrets(error, secretsWith(hash));
  });

  test('a raw query with secrets written into it', async () => {
    const { hash } = await plantedUser(t.db);
    const error = await failureOf(
      t.db.sequelize.query(`SELECT nope FROM users WHERE "passwordResetToken" = '${OTHER_RESET}' OR password = :hash`, {
        replacements: { hash },
      }),
    );
    expectNoSecrets(error, secretsWith(hash));
  });
});

describe('validation errors carry no secret', () => {
  const long = 'p'.repeat(73);
  const secrets = { ...SECRETS, 'long password': long };

  const paths: [string, () => Promise<unknown>][] = [
    ['create', () => t.db.users.create({ email: uniqueEmail(), password: long })],
    ['instance update', async () => (await plantedUser(t.db)).user.update({ password: long })],
    [
      'static update',
      async () => t.db.users.update({ password: long }, { where: { id: (await plantedUser(t.db)).user.id } }),
    ],
    ['bulkCreate', () => t.db.users.bulkCreate([{ email: uniqueEmail(), password: long }])],
    ['upsert', () => t.db.users.upsert({ email: uniqueEmail(), password: long })],
    ['importRows', () => importRows(t.db.users, [{ email: uniqueEmail(), password: long }])],
  ];

  test.each(paths)('a 73-byte password through %s', async (_path, write) => {
    const error = await failureOf(write());
    const validation =
      error instanceof BulkErrors
        ? (error.errors[0] as unknown as { errors: ValidationError }).errors
        : (error as ValidationError);
    expect(validation).toBeInstanceOf(ValidationError);
    const item = validation.errors.find((candidate) => candidate.path === 'password');
    expect(item?.message).toMatch(/at most 72 bytes/);
    expect(item?.value).not.toBe(long);
    if (error instanceof ImportValidationError) expect(error.row).toBe(0);
    expectNoSecrets(error, secrets);
  });

  test('a refused email next to a planted password keeps the password out', async () => {
    const error = await failureOf(
      t.db.users.create({ email: 'not an email', password: PLAIN_PASSWORD, passwordResetToken: RESET_TOKEN }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((item) => item.path)).toContain('email');
    expectNoSecrets(error, SECRETS);
  });
});

describe('the database password is in no message', () => {
  test.each([
    [
      `postgres://app:${DB_PASSWORD}@127.0.0.1:notaport/db`,
      /port of DATABASE_URL .* must be a port number, got "notaport"/,
    ],
    [`postgres://app:${DB_PASSWORD}@127.0.0.1:70000/db`, /must be a port number, got "70000"/],
    [`postgres://app:${DB_PASSWORD}@127.0.0.1:5432`, /names no database/],
    [`postgres://app:${DB_PASSWORD}@exa mple.com/db`, /not a valid URL/],
  ])('a bad DATABASE_URL %#', (url, message) => {
    for (const attempt of [() => parseDatabaseUrl(url), () => createDb({ url })]) {
      let error: unknown;
      try {
        attempt();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DbConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('postgres://app:***@');
      expectNoSecrets(error, { 'database password': DB_PASSWORD });
    }
  });

  test('a connection that fails', async () => {
    const db = createDb({ url: `postgres://app:${DB_PASSWORD}@127.0.0.1:1/db`, logging: false });
    try {
      const error = await failureOf(db.sequelize.authenticate());
      expect(error.name).toBe('SequelizeConnectionRefusedError');
      expectNoSecrets(error, { 'database password': DB_PASSWORD });
    } finally {
      await db.sequelize.close();
    }
  });

  test('query errors of a database configured with a password', async () => {
    const error = await failureOf(t.db.sequelize.query('SELECT no_such_column FROM users'));
    expectNoSecrets(error, { 'database password': DB_PASSWORD });
  });
});

test('an error keeps what is not secret: the statement, the other parameters, the detail', async () => {
  const { user } = await plantedUser(t.db);
  const id = randomUUID();
  const error = (await failureOf(
    t.db.users.create({ id, email: user.email, password: OTHER_PASSWORD, passwordResetToken: OTHER_RESET }),
  )) as UniqueConstraintError;
  expect(error.sql).toMatch(/^INSERT INTO "users"/);
  const parameters = (error.parent as { parameters?: unknown[] }).parameters ?? [];
  expect(parameters).toContain(id);
  expect(parameters).toContain(user.email);
  expect(parameters).toContain('[REDACTED]');
});
