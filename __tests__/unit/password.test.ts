import { bcryptRounds, createInlineHasher, isBcryptHash } from '../../src';

describe('bcryptRounds', () => {
  test('defaults to 12', () => {
    expect(bcryptRounds('')).toBe(12);
    expect(bcryptRounds(' ')).toBe(12);
  });

  test('reads BCRYPT_ROUNDS from the environment', () => {
    expect(bcryptRounds()).toBe(Number(process.env.BCRYPT_ROUNDS ?? 12));
  });

  test('takes BCRYPT_ROUNDS of at least 10', () => {
    expect(bcryptRounds('10')).toBe(10);
    expect(bcryptRounds('14')).toBe(14);
  });

  test.each(['9', '4', 'twelve', '12.5', '32'])('refuses %p', (value) => {
    expect(() => bcryptRounds(value)).toThrow(/BCRYPT_ROUNDS must be a whole number from 10 to 31/);
  });
});

describe('the inline hasher', () => {
  test('hashes with the configured cost and compares', async () => {
    const hasher = createInlineHasher(10);
    const hash = await hasher.hash('open sesame');
    expect(isBcryptHash(hash)).toBe(true);
    expect(hash.startsWith('$2b$10$')).toBe(true);
    await expect(hasher.compare('open sesame', hash)).resolves.toBe(true);
    await expect(hasher.compare('open sesame ', hash)).resolves.toBe(false);
  });

  test('isBcryptHash tells a hash from anything else', () => {
    expect(isBcryptHash('$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234')).toBe(true);
    expect(isBcryptHash('plain text')).toBe(false);
    expect(isBcryptHash(undefined)).toBe(false);
  });
});
