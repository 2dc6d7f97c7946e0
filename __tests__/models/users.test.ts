import { ValidationError } from 'sequelize';
import { isBcryptHash, tokenDigest, USER_SECRET_FIELDS } from '../../src';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';

const t = useTestDatabase();

async function storedPassword(id: string): Promise<string | undefined> {
  return (await t.db.users.scope('withSecrets').findByPk(id))?.password;
}

describe('users: normalisation before validation', () => {
  test('trims first and last names', async () => {
    const user = await build.user(t.db, { firstName: '  Ann ', lastName: '\tLee\n' });
    const stored = await t.db.users.findByPk(user.id);
    expect([stored?.firstName, stored?.lastName]).toEqual(['Ann', 'Lee']);
  });

  test('trims on update too', async () => {
    const user = await build.user(t.db);
    await user.update({ firstName: '  Bea  ' });
    expect((await t.db.users.findByPk(user.id))?.firstName).toBe('Bea');
  });

  test('trims and lower-cases the email, so A@x.io and a@x.io are one account', async () => {
    const user = await build.user(t.db, { email: '  Ann@Example.COM ' });
    expect((await t.db.users.findByPk(user.id))?.email).toBe('ann@example.com');
  });

  test('an email that is only spaces is rejected as empty', async () => {
    await expect(build.user(t.db, { email: '   ' })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('users: OAuth accounts', () => {
  test('a non-local provider marks the email verified on create', async () => {
    const user = await build.user(t.db, { provider: 'google', emailVerified: false });
    expect((await t.db.users.findByPk(user.id))?.emailVerified).toBe(true);
  });

  test('a missing password becomes a random one, stored hashed', async () => {
    const a = await t.db.users.create({ email: 'a@example.com', provider: 'github' });
    const b = await t.db.users.create({ email: 'b@example.com', provider: 'github' });
    const [hashA, hashB] = [await storedPassword(a.id), await storedPassword(b.id)];
    expect(isBcryptHash(hashA)).toBe(true);
    expect(hashA).not.toBe(hashB);
  });

  test('a local account without a password is rejected', async () => {
    const error = await t.db.users.create({ email: 'c@example.com' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((item) => item.path)).toContain('password');
    expect(await t.db.users.count()).toBe(0);
  });

  test('a local account keeps emailVerified false', async () => {
    const user = await build.user(t.db);
    expect(user.emailVerified).toBe(false);
  });
});

describe('users: password hashing', () => {
  test('hashes on create, and the hash checks the plain password', async () => {
    const user = await build.user(t.db, { password: 'open sesame' });
    const hash = await storedPassword(user.id);
    expect(isBcryptHash(hash)).toBe(true);
    const withSecrets = await t.db.users.scope('withSecrets').findByPk(user.id);
    await expect(withSecrets?.checkPassword('open sesame')).resolves.toBe(true);
    await expect(withSecrets?.checkPassword('open sesame!')).resolves.toBe(false);
  });

  test('re-hashes when the password changes, and only then', async () => {
    const user = await build.user(t.db, { password: 'first' });
    const first = await storedPassword(user.id);
    await user.update({ firstName: 'Renamed' });
    expect(await storedPassword(user.id)).toBe(first);

    await user.update({ password: 'second' });
    const second = await storedPassword(user.id);
    expect(second).not.toBe(first);
    await expect(user.checkPassword('second')).resolves.toBe(true);
  });

  test('a save retried after a failure does not hash the hash', async () => {
    const user = await build.user(t.db, { password: 'first' });
    user.password = 'retry me';
    user.email = 'not-an-email';
    await expect(user.save()).rejects.toBeInstanceOf(ValidationError);
    user.email = 'fixed@example.com';
    await user.save();
    const reloaded = await t.db.users.scope('withSecrets').findByPk(user.id);
    await expect(reloaded?.checkPassword('retry me')).resolves.toBe(true);
  });

  test('bulkCreate and the static update hash too', async () => {
    const [a] = await t.db.users.bulkCreate([{ email: 'bulk@example.com', password: 'bulk pass' }]);
    expect(isBcryptHash(await storedPassword(a?.id ?? ''))).toBe(true);
    await t.db.users.update({ password: 'static pass' }, { where: { id: a?.id ?? '' } });
    const reloaded = await t.db.users.scope('withSecrets').findByPk(a?.id);
    expect(isBcryptHash(reloaded?.password)).toBe(true);
    await expect(reloaded?.checkPassword('static pass')).resolves.toBe(true);
  });

  test.each([
    ['73 ASCII bytes', 'x'.repeat(73)],
    ['74 UTF-8 bytes in 37 characters', 'é'.repeat(37)],
  ])('rejects a password over 72 bytes (%s)', async (_, password) => {
    const error = await build.user(t.db, { password }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('password');
    expect(await t.db.users.count()).toBe(0);
  });

  test('checkPassword explains that it needs the withSecrets scope', async () => {
    const user = await build.user(t.db);
    const plain = await t.db.users.findByPk(user.id);
    await expect(plain?.checkPassword('x')).rejects.toThrow(/withSecrets/);
  });
});

describe('users: secrets stay in the model', () => {
  test('the default scope leaves the secret columns out; withSecrets brings them', async () => {
    const user = await build.user(t.db, { emailVerificationToken: 'verify-me', passwordResetToken: 'reset-me' });
    const plain = await t.db.users.findByPk(user.id);
    for (const field of USER_SECRET_FIELDS) expect(plain?.get(field)).toBeUndefined();
    const secret = await t.db.users.scope('withSecrets').findByPk(user.id);
    // Stored as digests (see __tests__/security/tokens.test.ts), which withSecrets brings.
    expect(secret?.emailVerificationToken).toBe(tokenDigest('verify-me'));
    expect(secret?.passwordResetToken).toBe(tokenDigest('reset-me'));
  });

  test('toJSON never contains a secret, even of an instance that holds them', async () => {
    const user = await build.user(t.db, { emailVerificationToken: 'verify-me', passwordResetToken: 'reset-me' });
    const secret = await t.db.users.scope('withSecrets').findByPk(user.id);
    const json = JSON.stringify([user, secret]);
    for (const text of ['verify-me', 'reset-me', '$2']) expect(json).not.toContain(text);
    for (const field of USER_SECRET_FIELDS) expect(json).not.toContain(`"${field}"`);
  });

  test('users included through an alias carry no secrets', async () => {
    const db = t.db;
    const user = await build.user(db, { passwordResetToken: 'reset-me' });
    const membership = await build.projectMembership(db, { userId: user.id });
    const project = await db.projects.findByPk(membership.projectId ?? '', {
      include: [{ association: 'project_memberships_project', include: ['user'] }],
    });
    const json = JSON.stringify(project);
    expect(json).toContain(user.email);
    for (const field of USER_SECRET_FIELDS) expect(json).not.toContain(`"${field}"`);
    expect(project?.project_memberships_project?.[0]?.user?.get('password')).toBeUndefined();
  });
});
