import type { HashPool } from './hash-pool';

/** bcrypt reads only the first 72 bytes of a password; longer ones are refused, never truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const DEFAULT_BCRYPT_ROUNDS = 12;
export const MIN_BCRYPT_ROUNDS = 10;

// Costs 04 to 31 only: bcrypt refuses any other, so a "hash" outside them could never be checked.
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** Hashes and checks passwords. Replace it (for example with a native binding) through `createDb({ hasher })`. */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  compare(plain: string, hash: string): Promise<boolean>;
  /** Whether a stored value is already one of this hasher's hashes (never hashed again); bcrypt's format by default. */
  isHash?(value: string): boolean;
  /**
   * Whether a stored hash is weaker than this hasher's hashes (a lower bcrypt cost, say). After a
   * successful `checkPassword`, such a hash is replaced by a new one. Never, when left out.
   */
  needsRehash?(hash: string): boolean;
}

/**
 * Why `value` cannot be a password, or undefined when it can: a string, not blank, of at most 72 UTF-8 bytes.
 * The reason never repeats the value.
 */
export function passwordProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'Password must be a string';
  // Blank as Sequelize's notEmpty sees it, so that validated and unvalidated writes agree.
  if (value.trim() === '') return 'Password must not be empty';
  // Buffer.byteLength counts a lone surrogate as 3 bytes, as bcryptjs does: both agree on what 72 bytes is.
  if (Buffer.byteLength(value, 'utf8') > MAX_PASSWORD_BYTES) {
    return `Password must be at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`;
  }
  return undefined;
}

/** The cost of a bcrypt hash, or undefined for anything else. */
export function bcryptCost(hash: string): number | undefined {
  return isBcryptHash(hash) ? Number(hash.slice(4, 6)) : undefined;
}

/** Refuses what bcrypt would truncate or choke on, in words that never hold the value. */
export function checkedForHashing(plain: unknown): string {
  const problem = passwordProblem(plain);
  if (problem) throw new TypeError(problem);
  return plain as string;
}

/** Whether a bcrypt hash has a lower cost than `rounds`: the hashers' `needsRehash`. */
export function bcryptNeedsRehash(hash: string, rounds: number): boolean {
  const cost = bcryptCost(hash);
  return cost !== undefined && cost < rounds;
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
    hash: async (plain) => bcrypt.hash(checkedForHashing(plain), rounds),
    compare: (plain, hash) => bcrypt.compare(plain, hash),
    needsRehash: (hash) => bcryptNeedsRehash(hash, rounds),
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
