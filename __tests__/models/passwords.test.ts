import { ValidationError } from 'sequelize';
import { isBcryptHash } from '../../src';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';

const t = useTestDatabase();

/** The password column as stored, read past every scope. */
async function stored(email: string): Promise<string | undefined> {
  const rows = (await t.db.sequelize.query('SELECT "password" FROM "users" WHERE "email" = :email', {
    replacements: { email },
    type: 'SELECT',
  })) as { password: string }[];
  return rows[0]?.password;
}

/** The stored column is a bcrypt hash of `plain`, checked the way a login would. */
async function expectHashOf(email: string, plain: string): Promise<string> {
  const hash = await stored(email);
  expect(isBcryptHash(hash)).toBe(true);
  const user = await t.db.users.scope('withSecrets').findOne({ where: { email } });
  await expect(user?.checkPassword(plain)).resolves.toBe(true);
  return hash as string;
}

describe('every write path stores a bcrypt hash', () => {
  test('create', async () => {
    await t.db.users.create({ email: 'create@example.com', password: 'by create' });
    await expectHashOf('create@example.com', 'by create');
  });

  test('bulkCreate', async () => {
    await t.db.users.bulkCreate([
      { email: 'bulk1@example.com', password: 'first of many' },
      { email: 'bulk2@example.com', password: 'second of many' },
    ]);
    await expectHashOf('bulk1@example.com', 'first of many');
    await expectHashOf('bulk2@example.com', 'second of many');
  });

  test('bulkCreate validates too: an over-long password rejects the batch', async () => {
    await expect(
      t.db.users.bulkCreate([{ email: 'long@example.com', password: 'x'.repeat(73) }]),
    ).rejects.toBeInstanceOf(Error);
    expect(await stored('long@example.com')).toBeUndefined();
  });

  test('instance.save', async () => {
    const user = await build.user(t.db, { email: 'save@example.com' });
    user.password = 'by save';
    await user.save();
    await expectHashOf('save@example.com', 'by save');
  });

  test('instance.save with validate: false', async () => {
    const user = await build.user(t.db, { email: 'novalidate@example.com' });
    user.password = 'unvalidated';
    await user.save({ validate: false });
    await expectHashOf('novalidate@example.com', 'unvalidated');
  });

  test('instance.update', async () => {
    const user = await build.user(t.db, { email: 'update@example.com' });
    await user.update({ password: 'by update' });
    await expectHashOf('update@example.com', 'by update');
  });

  test('static Model.update', async () => {
    await build.user(t.db, { email: 'static1@example.com' });
    await build.user(t.db, { email: 'static2@example.com' });
    await t.db.users.update({ password: 'by static update' }, { where: {} });
    const first = await expectHashOf('static1@example.com', 'by static update');
    const second = await expectHashOf('static2@example.com', 'by static update');
    expect(first).not.toBe(second);
  });

  test('upsert, inserting and then updating', async () => {
    await t.db.users.upsert({ email: 'upsert@example.com', password: 'by upsert' });
    await expectHashOf('upsert@example.com', 'by upsert');
    const { id } = (await t.db.users.findOne({ where: { email: 'upsert@example.com' } })) ?? { id: '' };
    await t.db.users.upsert({ id, email: 'upsert@example.com', password: 'upserted again' });
    await expectHashOf('upsert@example.com', 'upserted again');
  });

  test('upsert with validate: false is refused rather than storing plain text', async () => {
    const error = await t.db.users
      .upsert({ email: 'raw@example.com', password: 'plain' }, { validate: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('password');
    expect(await stored('raw@example.com')).toBeUndefined();
  });
});

describe('never hashed twice', () => {
  test('saving other fields keeps the hash as it is', async () => {
    const user = await build.user(t.db, { email: 'keep@example.com', password: 'keep me' });
    const hash = await stored('keep@example.com');
    await user.update({ firstName: 'Renamed' });
    await t.db.users.update({ lastName: 'Again' }, { where: { id: user.id } });
    const reloaded = await t.db.users.scope('withSecrets').findByPk(user.id);
    await reloaded?.save();
    expect(await stored('keep@example.com')).toBe(hash);
    await expectHashOf('keep@example.com', 'keep me');
  });

  test('a bcrypt hash given as the password is stored as it is (imports)', async () => {
    const hash = await (async () => {
      await build.user(t.db, { email: 'source@example.com', password: 'imported secret' });
      return stored('source@example.com');
    })();
    await t.db.users.create({ email: 'imported@example.com', password: hash as string });
    expect(await stored('imported@example.com')).toBe(hash);
    await expectHashOf('imported@example.com', 'imported secret');
  });
});
