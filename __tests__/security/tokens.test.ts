import { ValidationError } from 'sequelize';
import {
  createDb,
  createInlineHasher,
  type Db,
  importRows,
  isTokenDigest,
  MAX_TOKEN_TTL_MS,
  migrate,
  rollback,
  tokenDigest,
} from '../../src';
import { initialSchema } from '../../src/migrations/0001-initial-schema';
import { hashedTokens } from '../../src/migrations/0002-hashed-tokens';
import { backend, TEST_BCRYPT_ROUNDS, useTestDatabase } from '../support/db';
import { scratchDatabases } from '../support/scratch-databases';
import { expectNothingOf, type StoredUser, storedUsers } from './credentials';

/**
 * Password reset and email verification tokens are stored as SHA-256 digests,
 * never as given: the token is handed out once, when issued, and looked up by
 * its digest, with its expiry compared with the database's clock.
 */

const t = useTestDatabase();

jest.setTimeout(60_000);

let hash: string;
beforeAll(async () => {
  hash = await createInlineHasher(TEST_BCRYPT_ROUNDS).hash('a password');
});

async function newUser(db: Db, email = 'ann@example.com') {
  return db.users.create({ email, password: hash });
}

async function stored(db: Db, email = 'ann@example.com'): Promise<StoredUser> {
  const row = (await storedUsers(db.sequelize)).find((candidate) => candidate.email === email);
  if (!row) throw new Error(`no stored user ${email}`);
  return row;
}

async function setExpiry(db: Db, column: string, sql: string): Promise<void> {
  await db.sequelize.query(`UPDATE "users" SET "${column}" = ${sql}`);
}

const KINDS = [
  {
    name: 'password reset',
    token: 'passwordResetToken',
    expiresAt: 'passwordResetTokenExpiresAt',
    defaultTtlMs: 60 * 60 * 1000,
    issue: (user: Awaited<ReturnType<typeof newUser>>, ttlMs?: number) =>
      user.issuePasswordReset(ttlMs === undefined ? {} : { ttlMs }),
    // Consuming the token; the lookup without consuming, where there is one.
    consume: (db: Db, token: unknown) => db.users.resetPassword(token as string, 'a new password'),
    find: (db: Db, token: unknown) => db.users.findByPasswordResetToken(token as string),
  },
  {
    name: 'email verification',
    token: 'emailVerificationToken',
    expiresAt: 'emailVerificationTokenExpiresAt',
    defaultTtlMs: 24 * 60 * 60 * 1000,
    issue: (user: Awaited<ReturnType<typeof newUser>>, ttlMs?: number) =>
      user.issueEmailVerification(ttlMs === undefined ? {} : { ttlMs }),
    consume: (db: Db, token: unknown) => db.users.verifyEmail(token as string),
    find: undefined,
  },
] as const;

describe.each(KINDS)('$name tokens', (kind) => {
  const column = (row: StoredUser) => row[kind.token as keyof StoredUser] as string | null;
  const expiry = (row: StoredUser) => row[kind.expiresAt as keyof StoredUser] as Date | null;

  test('are 32 random bytes, handed out once; the row holds only their digest', async () => {
    const user = await newUser(t.db);
    const token = await kind.issue(user);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const row = await stored(t.db);
    expect(column(row)).toBe(tokenDigest(token));
    expect(column(row)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(await storedUsers(t.db.sequelize))).not.toContain(token);
    // The instance does not keep it either.
    expect(JSON.stringify(user.get({ plain: true }))).not.toContain(token);
    expect(await kind.issue(user)).not.toBe(token);
  });

  test('expire after their lifetime, by the database’s clock', async () => {
    const user = await newUser(t.db);
    await kind.issue(user);
    const [{ now }] = (await t.db.sequelize.query('SELECT now() AS "now"', { type: 'SELECT' })) as unknown as [
      { now: Date },
    ];
    const lifetime = (expiry(await stored(t.db)) as Date).getTime() - new Date(now).getTime();
    // now() is the transaction's start: the expiry is that plus the lifetime, give or take the test's own pace.
    expect(Math.abs(lifetime - kind.defaultTtlMs)).toBeLessThan(5_000);
    await kind.issue(user, 90_000);
    const short = (expiry(await stored(t.db)) as Date).getTime() - new Date(now).getTime();
    expect(Math.abs(short - 90_000)).toBeLessThan(5_000);
  });

  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_TOKEN_TTL_MS + 1, '3600000'])(
    'a lifetime of %p is refused, with nothing written',
    async (ttlMs) => {
      const user = await newUser(t.db);
      const before = await storedUsers(t.db.sequelize);
      await expect(kind.issue(user, ttlMs as number)).rejects.toThrow(RangeError);
      expect(await storedUsers(t.db.sequelize)).toEqual(before);
    },
  );

  test('work once: the token is consumed, and cleared with its expiry', async () => {
    const user = await newUser(t.db);
    const token = await kind.issue(user);
    const consumed = await kind.consume(t.db, token);
    expect(consumed?.id).toBe(user.id);
    const row = await stored(t.db);
    expect([column(row), expiry(row)]).toEqual([null, null]);
    expect(await kind.consume(t.db, token)).toBeNull();
  });

  test('of two uses at once, exactly one succeeds', async () => {
    const user = await newUser(t.db);
    const token = await kind.issue(user);
    const results = await Promise.all([kind.consume(t.db, token), kind.consume(t.db, token)]);
    expect(results.filter((result) => result !== null)).toHaveLength(1);
  });

  test('an expired token does nothing', async () => {
    const user = await newUser(t.db);
    const token = await kind.issue(user);
    await setExpiry(t.db, kind.expiresAt, "now() - interval '1 second'");
    const before = await storedUsers(t.db.sequelize);
    expect(await kind.consume(t.db, token)).toBeNull();
    expect(await storedUsers(t.db.sequelize)).toEqual(before);
    // A token without an expiry (written directly) never works either.
    await setExpiry(t.db, kind.expiresAt, 'NULL');
    expect(await kind.consume(t.db, token)).toBeNull();
  });

  test('a newer token replaces the older one', async () => {
    const user = await newUser(t.db);
    const older = await kind.issue(user);
    const newer = await kind.issue(user);
    expect(await kind.consume(t.db, older)).toBeNull();
    expect((await kind.consume(t.db, newer))?.id).toBe(user.id);
  });

  test.each<[string, unknown]>([
    ['a number', 12345],
    ['an object', { $ne: null }],
    ['an array', ['x']],
    ['null', null],
    ['undefined', undefined],
  ])('%s as the token is a ValidationError naming token', async (_, token) => {
    await kind.issue(await newUser(t.db));
    const error = await kind.consume(t.db, token).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('token');
  });

  test.each([
    ['an empty string', ''],
    ['another token', 'A'.repeat(43)],
    ['the digest itself', 'digest'],
    ['a 10 kB string', 'x'.repeat(10_000)],
  ])('%s finds nobody', async (_, candidate) => {
    const token = await kind.issue(await newUser(t.db));
    const presented = candidate === 'digest' ? tokenDigest(token) : candidate;
    expect(await kind.consume(t.db, presented)).toBeNull();
    if (kind.find) expect(await kind.find(t.db, presented)).toBeNull();
  });

  test('a soft-deleted user can neither get nor use one', async () => {
    const user = await newUser(t.db);
    const token = await kind.issue(user);
    await user.destroy();
    expect(await kind.consume(t.db, token)).toBeNull();
    await expect(kind.issue(user)).rejects.toThrow(/not deleted/);
  });
});

describe('password reset', () => {
  test('findByPasswordResetToken finds the user while the token lives, without secrets', async () => {
    const user = await newUser(t.db);
    const token = await user.issuePasswordReset();
    const found = await t.db.users.findByPasswordResetToken(token);
    expect(found?.id).toBe(user.id);
    expect(found?.get('password')).toBeUndefined();
    // Looking up does not consume.
    expect((await t.db.users.findByPasswordResetToken(token))?.id).toBe(user.id);
    await setExpiry(t.db, 'passwordResetTokenExpiresAt', "now() - interval '1 second'");
    expect(await t.db.users.findByPasswordResetToken(token)).toBeNull();
    await setExpiry(t.db, 'passwordResetTokenExpiresAt', "now() + interval '1 minute'");
    expect((await t.db.users.findByPasswordResetToken(token))?.id).toBe(user.id);
  });

  test('resetPassword sets the new password, hashed, and only with a live token', async () => {
    const user = await newUser(t.db);
    const token = await user.issuePasswordReset();
    await t.db.users.resetPassword(token, 'the new one');
    const found = await t.db.users.scope('withSecrets').findByPk(user.id);
    await expect(found?.checkPassword('the new one')).resolves.toBe(true);
    await expect(found?.checkPassword('a password')).resolves.toBe(false);
  });

  test('a bad new password is refused before the token is looked at, and leaves it usable', async () => {
    const user = await newUser(t.db);
    const token = await user.issuePasswordReset();
    const error = await t.db.users.resetPassword(token, 'x'.repeat(73)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('password');
    expectNothingOf([token, 'x'.repeat(73)], error);
    expect((await t.db.users.resetPassword(token, 'good enough'))?.id).toBe(user.id);
  });

  test('runs in the caller’s transaction', async () => {
    const user = await newUser(t.db);
    const token = await user.issuePasswordReset();
    await t.db.sequelize.transaction(async (transaction) => {
      expect((await t.db.users.resetPassword(token, 'in a transaction', { transaction }))?.id).toBe(user.id);
    });
    expect((await stored(t.db)).passwordResetToken).toBeNull();
  });
});

describe('email verification', () => {
  test('verifyEmail marks the email verified', async () => {
    const user = await newUser(t.db);
    expect(user.emailVerified).toBe(false);
    const token = await user.issueEmailVerification();
    const verified = await t.db.users.verifyEmail(token);
    expect(verified?.emailVerified).toBe(true);
    expect((await stored(t.db)).emailVerified).toBe(true);
  });
});

describe('a token written directly is digested too', () => {
  const TOKEN = 'legacy-token-value';
  const FIELDS = ['passwordResetToken', 'emailVerificationToken'] as const;
  const PATHS: [string, (db: Db, values: Record<string, unknown>) => Promise<unknown>][] = [
    ['create', (db, values) => db.users.create({ email: 'ann@example.com', password: hash, ...values })],
    [
      'create, validate: false',
      (db, values) => db.users.create({ email: 'ann@example.com', password: hash, ...values }, { validate: false }),
    ],
    ['instance update', async (db, values) => (await newUser(db)).update(values)],
    ['instance update, validate: false', async (db, values) => (await newUser(db)).update(values, { validate: false })],
    ['static update', async (db, values) => db.users.update(values, { where: { id: (await newUser(db)).id } })],
    [
      'static update, validate: false',
      async (db, values) => db.users.update(values, { where: { id: (await newUser(db)).id }, validate: false }),
    ],
    ['bulkCreate', (db, values) => db.users.bulkCreate([{ email: 'ann@example.com', password: hash, ...values }])],
    ['upsert', (db, values) => db.users.upsert({ email: 'ann@example.com', password: hash, ...values })],
    ['importRows', (db, values) => importRows(db.users, [{ email: 'ann@example.com', password: hash, ...values }])],
  ];

  test.each(PATHS.flatMap(([path, write]) => FIELDS.map((field) => [path, field, write] as const)))(
    '%s of %s',
    async (_, field, write) => {
      await write(t.db, { [field]: TOKEN });
      const row = await stored(t.db);
      expect(row[field]).toBe(tokenDigest(TOKEN));
      // ...once: a digest written again stays as it is.
      await write(t.db, { [field]: tokenDigest(TOKEN) }).catch(() => undefined);
      expect((await stored(t.db))[field]).toBe(tokenDigest(TOKEN));
    },
  );

  test.each(PATHS.flatMap(([path, write]) => FIELDS.map((field) => [path, field, write] as const)))(
    '%s of %s refuses a token that is not a string, naming the field',
    async (path, field, write) => {
      const before = await storedUsers(t.db.sequelize);
      const error = await write(t.db, { [field]: { token: TOKEN } }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((item) => item.path)).toContain(field);
      expectNothingOf([TOKEN], error);
      const after = await storedUsers(t.db.sequelize);
      // The paths that change a user create it first, with no token: that row stays as it was.
      expect(after.length).toBe(before.length + (/update/.test(path) ? 1 : 0));
      for (const row of after) expect(row[field]).toBeNull();
    },
  );

  test('hooks: false takes a digest, and refuses a token', async () => {
    const { db } = t;
    await db.users.create(
      { email: 'ann@example.com', password: hash, passwordResetToken: tokenDigest(TOKEN) },
      { hooks: false },
    );
    expect((await stored(db)).passwordResetToken).toBe(tokenDigest(TOKEN));
    const error = await db.users
      .update({ passwordResetToken: TOKEN }, { where: {}, hooks: false })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('passwordResetToken');
    expectNothingOf([TOKEN], error);
    expect((await stored(db)).passwordResetToken).toBe(tokenDigest(TOKEN));
  });

  test('a where on the token column finds nothing by the token itself: look up by tokenDigest', async () => {
    await newUser(t.db);
    await t.db.users.update({ passwordResetToken: TOKEN }, { where: {} });
    const scope = t.db.users.scope('withSecrets');
    expect(await scope.findOne({ where: { passwordResetToken: TOKEN } })).toBeNull();
    expect(await scope.findOne({ where: { passwordResetToken: tokenDigest(TOKEN) } })).not.toBeNull();
    expect(isTokenDigest(tokenDigest(TOKEN))).toBe(true);
    expect(isTokenDigest(TOKEN)).toBe(false);
  });
});

describe('migration 0002-hashed-tokens', () => {
  const databases = backend === 'postgres' ? scratchDatabases() : undefined;
  afterAll(() => databases?.dropAll());

  const LEGACY = {
    'hex@example.com': 'a3'.repeat(32), // 64 hex characters: what randomBytes(32).toString('hex') gave
    'unicode@example.com': 'tökén ✓ 😀',
    'digested@example.com': tokenDigest('already'),
    'none@example.com': null,
    'deleted@example.com': 'of a deleted user',
    'forever@example.com': 'stored without an expiry',
  };

  test('digests the stored tokens in place, once; they keep working until they expire', async () => {
    const db = databases ? await databases.open('pw_tokens') : createDb({ inMemory: true, logging: false });
    try {
      await migrate(db.sequelize, { migrations: [initialSchema] });
      for (const [email, token] of Object.entries(LEGACY)) {
        await db.sequelize.query(
          `INSERT INTO users (id, email, password, disabled, "emailVerified", provider, "createdAt", "updatedAt",
             "deletedAt", "passwordResetToken", "passwordResetTokenExpiresAt", "emailVerificationToken",
             "emailVerificationTokenExpiresAt")
           VALUES (gen_random_uuid(), :email, :hash, false, false, 'local', now(), now(), :deletedAt,
             :token, :expiresAt, :token, :expiresAt)`,
          {
            replacements: {
              email,
              hash,
              token,
              deletedAt: email.startsWith('deleted') ? new Date() : null,
              expiresAt: email.startsWith('forever') ? null : new Date(Date.now() + 3_600_000),
            },
          },
        );
      }
      expect(await migrate(db.sequelize, { migrations: [initialSchema, hashedTokens] })).toEqual([
        '0002-hashed-tokens',
      ]);

      const digested = (rows: StoredUser[]) =>
        Object.fromEntries(rows.map((row) => [row.email, [row.passwordResetToken, row.emailVerificationToken]]));
      const expected = Object.fromEntries(
        Object.entries(LEGACY).map(([email, token]) => {
          const value = token === null ? null : isTokenDigest(token) ? token : tokenDigest(token);
          return [email, [value, value]];
        }),
      );
      expect(digested(await storedUsers(db.sequelize))).toEqual(expected);

      // Run again, nothing changes.
      await db.sequelize.transaction((transaction) =>
        hashedTokens.up({
          context: { sequelize: db.sequelize, queryInterface: db.sequelize.getQueryInterface(), transaction },
        }),
      );
      expect(digested(await storedUsers(db.sequelize))).toEqual(expected);

      // Down cannot bring the tokens back: it leaves the digests.
      expect(await rollback(db.sequelize)).toEqual(['0002-hashed-tokens']);
      expect(digested(await storedUsers(db.sequelize))).toEqual(expected);
      await migrate(db.sequelize);

      // Tokens sent out before the migration still work: the lookup digests what is presented.
      const hex = await db.users.findByPasswordResetToken(LEGACY['hex@example.com']);
      expect(hex?.email).toBe('hex@example.com');
      expect((await db.users.verifyEmail(LEGACY['unicode@example.com']))?.email).toBe('unicode@example.com');
      expect(await db.users.findByPasswordResetToken(LEGACY['deleted@example.com'])).toBeNull();

      // A token stored without an expiry got the default lifetime from the migration on.
      const forever = (await storedUsers(db.sequelize)).find((row) => row.email === 'forever@example.com');
      const hours = (date: Date | null | undefined) => ((date?.getTime() ?? 0) - Date.now()) / 3_600_000;
      expect(hours(forever?.passwordResetTokenExpiresAt)).toBeCloseTo(1, 1);
      expect(hours(forever?.emailVerificationTokenExpiresAt)).toBeCloseTo(24, 1);
      expect((await db.users.findByPasswordResetToken(LEGACY['forever@example.com']))?.email).toBe(
        'forever@example.com',
      );
    } finally {
      if (!databases) await db.sequelize.close();
    }
  });
});
