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

  test.each(['00', '03', '32', '99'])('isBcryptHash refuses cost %s, which bcrypt could never check', (cost) => {
    expect(isBcryptHash(`$2b$${cost}$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234`)).toBe(false);
  });

  test.each<[string, unknown]>([
    ['73 bytes', 'x'.repeat(73)],
    ['a number', 12345678],
    ['a blank string', '  '],
  ])('refuses to hash %s, without repeating it', async (_, plain) => {
    const error = await createInlineHasher(10)
      .hash(plain as string)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).not.toMatch(/12345678|xxxx/);
  });

  test('needsRehash: a hash of a lower cost than its own', async () => {
    const hasher = createInlineHasher(10);
    expect(hasher.needsRehash?.(await createInlineHasher(4).hash('x'))).toBe(true);
    expect(hasher.needsRehash?.(await hasher.hash('x'))).toBe(false);
    expect(hasher.needsRehash?.('not a hash')).toBe(false);
  });
});
