import { ValidationError } from 'sequelize';
import { createInlineHasher, type Db, importRows, isBcryptHash } from '../../src';
import { hasherFor, useHasher } from '../../src/auth/password';
import { TEST_BCRYPT_ROUNDS, useTestDatabase } from '../support/db';
import { expectNothingOf, type StoredUser, storedUsers } from './credentials';

/**
 * A password is a non-empty string of at most 72 UTF-8 bytes, on every write
 * path: anything else is a ValidationError naming `password`, with nothing
 * written and the value in no part of the error. Validation off or hooks off
 * change nothing to that.
 */

const t = useTestDatabase();

jest.setTimeout(60_000);

const MARK = 'hunter2-marker';
const bytes = (value: string) => Buffer.byteLength(value, 'utf8');

/** [what it is, the value, texts the error must not hold]. */
const HOSTILE: [string, unknown, string[]][] = [
  ['a number', 918273645, ['918273645']],
  ['zero', 0, []],
  ['NaN', Number.NaN, []],
  ['Infinity', Number.POSITIVE_INFINITY, []],
  ['true', true, []],
  ['false', false, []],
  ['a bigint', 918273645n, ['918273645']],
  ['null', null, []],
  ['an object', { secret: MARK }, [MARK]],
  ['an object whose toString gives a password', { toString: () => MARK }, [MARK]],
  ['an array', [MARK], [MARK]],
  ['an empty array', [], []],
  ['a Buffer', Buffer.from(MARK), [MARK, Buffer.from(MARK).toString('hex'), Buffer.from(MARK).toString('base64')]],
  ['a Date', new Date('2031-02-03T04:05:06.000Z'), ['2031-02-03']],
  ['a Symbol', Symbol(MARK), [MARK]],
  ['a function', () => MARK, [MARK]],
  ['an empty string', '', []],
  ['73 ASCII bytes', `${MARK}${'x'.repeat(73 - MARK.length)}`, [MARK]],
  ['73 bytes of 2-byte characters and one ASCII', `${'é'.repeat(36)}x`, ['éééééé']],
  ['74 bytes of 2-byte characters', 'é'.repeat(37), ['éééééé']],
  ['73 bytes of emoji and one ASCII', `${'😀'.repeat(18)}x`, ['😀😀😀']],
  ['73 bytes ending in a 3-byte character', `${'y'.repeat(70)}€`, ['yyyyyyyyyy']],
  ['73 bytes ending in a lone surrogate', `${'z'.repeat(70)}\ud800`, ['zzzzzzzzzz']],
  ['1 MB', `${MARK}${'w'.repeat(1_000_000)}`, [MARK]],
];

// The boundary, byte-counted: exactly 72 bytes is a password; bcrypt reads all of it.
const AT_LIMIT: [string, string][] = [
  ['72 ASCII bytes', 'a'.repeat(72)],
  ['72 bytes of 2-byte characters', 'é'.repeat(36)],
  ['72 bytes of emoji', '😀'.repeat(18)],
  ['72 bytes of 3-byte characters', '€'.repeat(24)],
];

test('the values are what their names say', () => {
  for (const [name, value] of [...HOSTILE, ...AT_LIMIT]) {
    if (typeof value !== 'string' || value === '') continue;
    const expected = name.startsWith('1 MB') ? 1_000_014 : Number(/^(\d+)/.exec(name)?.[1]);
    expect([name, bytes(value)]).toEqual([name, expected]);
  }
});

interface Scene {
  db: Db;
  /** A saved user, for the paths that change one. */
  existing: StoredUser;
  /** A password reset token of `existing`. */
  token: string;
}

type WritePath = (scene: Scene, password: unknown) => Promise<unknown>;

const NEW = 'new@example.com';
const EXISTING = 'existing@example.com';

/**
 * Every way a password reaches `users`. `undefined` counts as hostile except where Sequelize reads it
 * as "leave the column as it is" (the instance and static `update` drop undefined values).
 */
const PATHS: [string, WritePath, { undefinedIsHostile: boolean }][] = [
  ['create', ({ db }, password) => db.users.create({ email: NEW, password } as never), { undefinedIsHostile: true }],
  [
    'create, validate: false',
    ({ db }, password) => db.users.create({ email: NEW, password } as never, { validate: false }),
    { undefinedIsHostile: true },
  ],
  [
    'create, hooks: false',
    ({ db }, password) => db.users.create({ email: NEW, password } as never, { hooks: false }),
    { undefinedIsHostile: true },
  ],
  [
    'instance update',
    async ({ db, existing }, password) => (await user(db, existing)).update({ password } as never),
    { undefinedIsHostile: false },
  ],
  [
    'instance update, validate: false',
    async ({ db, existing }, password) => (await user(db, existing)).update({ password } as never, { validate: false }),
    { undefinedIsHostile: false },
  ],
  [
    'instance save',
    async ({ db, existing }, password) => {
      const row = await user(db, existing);
      row.set('password', password as never);
      return row.save();
    },
    { undefinedIsHostile: true },
  ],
  [
    'instance save, validate: false',
    async ({ db, existing }, password) => {
      const row = await user(db, existing);
      row.set('password', password as never);
      return row.save({ validate: false });
    },
    { undefinedIsHostile: true },
  ],
  [
    'instance save, hooks: false',
    async ({ db, existing }, password) => {
      const row = await user(db, existing);
      row.set('password', password as never);
      return row.save({ hooks: false });
    },
    { undefinedIsHostile: true },
  ],
  [
    'static update',
    ({ db, existing }, password) => db.users.update({ password } as never, { where: { id: existing.id } }),
    { undefinedIsHostile: false },
  ],
  [
    'static update, validate: false',
    ({ db, existing }, password) =>
      db.users.update({ password } as never, { where: { id: existing.id }, validate: false }),
    { undefinedIsHostile: false },
  ],
  [
    'static update, validate: false, matching no row',
    ({ db }, password) =>
      db.users.update({ password } as never, { where: { email: 'nobody@example.com' }, validate: false }),
    { undefinedIsHostile: false },
  ],
  [
    'static update, hooks: false',
    ({ db, existing }, password) =>
      db.users.update({ password } as never, { where: { id: existing.id }, hooks: false }),
    { undefinedIsHostile: false },
  ],
  [
    'bulkCreate',
    ({ db }, password) =>
      db.users.bulkCreate([
        { email: 'ok@example.com', password: 'fine' },
        { email: NEW, password },
      ] as never),
    { undefinedIsHostile: true },
  ],
  [
    'bulkCreate, validate: false',
    ({ db }, password) => db.users.bulkCreate([{ email: NEW, password }] as never, { validate: false }),
    { undefinedIsHostile: true },
  ],
  [
    'bulkCreate, hooks: false',
    ({ db }, password) => db.users.bulkCreate([{ email: NEW, password }] as never, { hooks: false }),
    { undefinedIsHostile: true },
  ],
  [
    'upsert, inserting',
    ({ db }, password) => db.users.upsert({ email: NEW, password } as never),
    { undefinedIsHostile: true },
  ],
  [
    'upsert, updating',
    ({ db, existing }, password) => db.users.upsert({ id: existing.id, email: EXISTING, password } as never),
    { undefinedIsHostile: true },
  ],
  [
    'upsert, validate: false',
    ({ db }, password) => db.users.upsert({ email: NEW, password } as never, { validate: false }),
    { undefinedIsHostile: true },
  ],
  [
    'upsert, hooks: false',
    ({ db }, password) => db.users.upsert({ email: NEW, password } as never, { hooks: false }),
    { undefinedIsHostile: true },
  ],
  ['importRows', ({ db }, password) => importRows(db.users, [{ email: NEW, password }]), { undefinedIsHostile: true }],
  [
    'resetPassword',
    ({ db, token }, password) => db.users.resetPassword(token, password as never),
    { undefinedIsHostile: true },
  ],
];

async function user(db: Db, stored: StoredUser) {
  const row = await db.users.scope('withSecrets').findByPk(stored.id);
  if (!row) throw new Error('the existing user is gone');
  return row;
}

// One bcrypt hash for every scene's existing user: stored as given, so a scene costs no hashing.
let existingHash: string;
beforeAll(async () => {
  existingHash = await createInlineHasher(TEST_BCRYPT_ROUNDS).hash('the existing password');
});

async function scene(): Promise<Scene> {
  const { db } = t;
  const created = await db.users.create({ email: EXISTING, password: existingHash });
  const token = await created.issuePasswordReset();
  const [existing] = await storedUsers(db.sequelize);
  return { db, existing: existing as StoredUser, token };
}

describe.each(PATHS)('%s', (_, write, { undefinedIsHostile }) => {
  const values = undefinedIsHostile
    ? [...HOSTILE, ['undefined', undefined, []] as [string, unknown, string[]]]
    : HOSTILE;

  test.each(values)(
    'refuses %s: a ValidationError naming password, nothing written, nothing told',
    async (__, value, secrets) => {
      const current = await scene();
      const before = await storedUsers(current.db.sequelize);
      const error = await write(current, value).then(
        () => new Error('accepted'),
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((item) => item.path)).toContain('password');
      expect(await storedUsers(current.db.sequelize)).toEqual(before);
      expectNothingOf(secrets, error);
    },
  );
});

describe('72 bytes is a password on every path, and logs in', () => {
  // Not the paths that take only a hash (hooks off, and upsert without validation: see refuseUnhookedSecrets).
  const ACCEPTING = PATHS.filter(([name]) => !/hooks: false|matching no row|upsert, validate: false/.test(name));
  test.each(
    ACCEPTING.flatMap(([name, write]) => AT_LIMIT.map(([what, password]) => [name, what, write, password] as const)),
  )('%s: %s', async (_, __, write, password) => {
    const current = await scene();
    await write(current, password);
    const rows = await storedUsers(current.db.sequelize);
    const written = rows.find((row) => row.password !== current.existing.password) as StoredUser;
    expect(isBcryptHash(written.password)).toBe(true);
    const found = await current.db.users.scope('withSecrets').findByPk(written.id);
    await expect(found?.checkPassword(password)).resolves.toBe(true);
    // bcrypt reads every byte: one character less is not the password.
    await expect(found?.checkPassword(password.slice(0, -1))).resolves.toBe(false);
  });
});

describe('hooks: false takes only what is already a hash', () => {
  test('a bcrypt hash is written as given; plain text is refused', async () => {
    const { db } = t;
    await db.users.create({ email: 'raw@example.com', password: existingHash }, { hooks: false });
    const error = await db.users
      .create({ email: 'plain@example.com', password: 'plain text' }, { hooks: false })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('password');
    expectNothingOf(['plain text'], error);
    expect((await storedUsers(db.sequelize)).map((row) => [row.email, row.password])).toEqual([
      ['raw@example.com', existingHash],
    ]);
  });
});

describe('checkPassword', () => {
  test.each<[string, unknown]>([
    ...HOSTILE.filter(([, value]) => typeof value !== 'string').map(([name, value]): [string, unknown] => [
      name,
      value,
    ]),
    ['73 bytes', `${'é'.repeat(36)}x`],
  ])('answers false for %s, never throws', async (_, value) => {
    const { db } = t;
    const created = await db.users.create({ email: 'check@example.com', password: existingHash });
    const found = await db.users.scope('withSecrets').findByPk(created.id);
    await expect(found?.checkPassword(value)).resolves.toBe(false);
  });

  test('a password longer than 72 bytes never logs in, even when its first 72 bytes are the password', async () => {
    const { db } = t;
    const password = 'p'.repeat(72);
    const created = await db.users.create({ email: 'long@example.com', password });
    const found = await db.users.scope('withSecrets').findByPk(created.id);
    await expect(found?.checkPassword(password)).resolves.toBe(true);
    await expect(found?.checkPassword(`${password}extra`)).resolves.toBe(false);
  });
});

describe('an imported hash weaker than BCRYPT_ROUNDS is upgraded at the first login', () => {
  // The configured cost: that of the suites' hasher (see __tests__/support/db.ts).
  const rounds = TEST_BCRYPT_ROUNDS;
  const cost = (hash: string | undefined) => Number(hash?.slice(4, 6));
  let weak: string;
  beforeAll(async () => {
    weak = await createInlineHasher(4).hash('imported secret');
  });

  async function imported(db: Db) {
    await importRows(db.users, [{ email: 'imported@example.com', password: weak }]);
    const [row] = await storedUsers(db.sequelize);
    expect(row?.password).toBe(weak);
    return row as StoredUser;
  }

  test('a cost-4 hash is stored as given, and replaced by one of the configured cost after a good login', async () => {
    const { db } = t;
    const before = await imported(db);
    const user = await db.users.scope('withSecrets').findByPk(before.id);
    await expect(user?.checkPassword('imported secret')).resolves.toBe(true);
    const [after] = await storedUsers(db.sequelize);
    expect(cost(after?.password)).toBe(rounds);
    expect(after?.password).not.toBe(weak);
    // Only the hash changed: the account did not, and its updatedAt says so.
    expect({ ...after, password: weak }).toEqual(before);
    // The instance holds the new hash, unchanged as far as a save is concerned.
    expect(user?.password).toBe(after?.password);
    expect(user?.changed('password')).toBe(false);
    // The password still logs in, on this instance and on a fresh one.
    await expect(user?.checkPassword('imported secret')).resolves.toBe(true);
    const fresh = await db.users.scope('withSecrets').findByPk(before.id);
    await expect(fresh?.checkPassword('imported secret')).resolves.toBe(true);
    await expect(fresh?.checkPassword('a wrong one')).resolves.toBe(false);
  });

  test('a failed login changes nothing', async () => {
    const { db } = t;
    const before = await imported(db);
    const user = await db.users.scope('withSecrets').findByPk(before.id);
    await expect(user?.checkPassword('a wrong one')).resolves.toBe(false);
    expect(await storedUsers(db.sequelize)).toEqual([before]);
  });

  test('a hash at or above the configured cost is left as it is', async () => {
    const { db } = t;
    const strong = await createInlineHasher(rounds + 1).hash('strong one');
    const created = await db.users.create({ email: 'strong@example.com', password: strong });
    const user = await db.users.scope('withSecrets').findByPk(created.id);
    await expect(user?.checkPassword('strong one')).resolves.toBe(true);
    expect((await storedUsers(db.sequelize))[0]?.password).toBe(strong);
  });

  test('a password changed since the user was loaded wins over the upgrade', async () => {
    const { db } = t;
    const before = await imported(db);
    const stale = await db.users.scope('withSecrets').findByPk(before.id);
    await db.users.update({ password: 'changed meanwhile' }, { where: { id: before.id } });
    const changed = (await storedUsers(db.sequelize))[0]?.password;
    await expect(stale?.checkPassword('imported secret')).resolves.toBe(true);
    expect((await storedUsers(db.sequelize))[0]?.password).toBe(changed);
  });

  test('the upgrade runs in the caller’s transaction', async () => {
    const { db } = t;
    const before = await imported(db);
    await db.sequelize.transaction(async (transaction) => {
      const user = await db.users.scope('withSecrets').findByPk(before.id, { transaction });
      await expect(user?.checkPassword('imported secret', { transaction })).resolves.toBe(true);
    });
    expect(cost((await storedUsers(db.sequelize))[0]?.password)).toBe(rounds);
  });

  test('a hasher without needsRehash never rewrites a hash', async () => {
    const { db } = t;
    const before = await imported(db);
    const { needsRehash: _, ...withoutRehash } = createInlineHasher(rounds);
    const previous = hasherFor(db.sequelize);
    useHasher(db.sequelize, withoutRehash);
    try {
      const user = await db.users.scope('withSecrets').findByPk(before.id);
      await expect(user?.checkPassword('imported secret')).resolves.toBe(true);
      expect(await storedUsers(db.sequelize)).toEqual([before]);
    } finally {
      useHasher(db.sequelize, previous);
    }
  });
});
