import type { HashPool } from './hash-pool';

/** bcrypt reads only the first 72 bytes of a password; longer ones are refused, never truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const DEFAULT_BCRYPT_ROUNDS = 12;
export const MIN_BCRYPT_ROUNDS = 10;

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** Hashes and checks passwords. Replace it (for example with a native binding) through `createDb({ hasher })`. */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  compare(plain: string, hash: string): Promise<boolean>;
  /** Whether a stored value is already one of this hasher's hashes (never hashed again); bcrypt's format by default. */
  isHash?(value: string): boolean;
}

/** Whether `value` is already a hash of `hasher`. */
export function isHashOf(hasher: PasswordHasher, value: string): boolean {
  return hasher.isHash ? hasher.isHash(value) : isBcryptHash(value);
}

export function isBcryptHash(value: unknown): value is string {
  return typeof value === 'string' && BCRYPT_HASH.test(value);
}

/** The bcrypt cost: `BCRYPT_ROUNDS` from the environment, 12 when unset, never below 10. */
export function bcryptRounds(value: string | undefined = process.env.BCRYPT_ROUNDS): number {
  if (value === undefined || value.trim() === '') return DEFAULT_BCRYPT_ROUNDS;
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < MIN_BCRYPT_ROUNDS || rounds > 31) {
    throw new RangeError(`BCRYPT_ROUNDS must be a whole number from ${MIN_BCRYPT_ROUNDS} to 31, got "${value}"`);
  }
  return rounds;
}

/**
 * bcryptjs on the calling thread: it blocks the event loop for every hash.
 * For scripts and tests; the default hasher runs on worker threads (`HashPool`).
 */
export function createInlineHasher(rounds: number = bcryptRounds()): PasswordHasher {
  // Loaded on first use: the default hasher runs bcryptjs in its worker threads, not here.
  const bcrypt = require('bcryptjs') as typeof import('bcryptjs');
  return {
    hash: (plain) => bcrypt.hash(plain, rounds),
    compare: (plain, hash) => bcrypt.compare(plain, hash),
  };
}

const hashers = new WeakMap<object, PasswordHasher>();
let defaultHasher: HashPool | undefined;

/** Uses `hasher` for the users of one Sequelize instance. */
export function useHasher(sequelize: object, hasher: PasswordHasher): void {
  hashers.set(sequelize, hasher);
}

/** The hasher of a Sequelize instance; models registered without `createDb` share one default. */
export function hasherFor(sequelize: object | undefined): PasswordHasher {
  const own = sequelize && hashers.get(sequelize);
  if (own) return own;
  // The pool (and worker_threads) is loaded when the first password is hashed, not at import.
  defaultHasher ??= new (require('./hash-pool') as typeof import('./hash-pool')).HashPool({ rounds: bcryptRounds() });
  return defaultHasher;
}

/** Ends the threads of the process-wide default hasher (they also end by themselves when idle). */
export async function closeDefaultHasher(): Promise<void> {
  await defaultHasher?.close();
}
