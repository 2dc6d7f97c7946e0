import { createHash, randomBytes } from 'node:crypto';

/**
 * One-time tokens (password reset, email verification) are stored as a
 * SHA-256 digest, never as given: a database dump, a log line or an error
 * holds nothing that can be presented as a token. A plain digest suffices (no
 * salt, no slow hash): the tokens are 32 random bytes, not guessable secrets.
 *
 * The digest carries a `sha256:` prefix so that it can never be mistaken for
 * a token. Legacy tokens were often 64 hex characters, exactly a bare hex
 * digest: without the prefix neither the migration nor the hooks could tell a
 * digest from a token, and would either store a token as is or digest a
 * digest.
 */
export const TOKEN_DIGEST_PREFIX = 'sha256:';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Longer than any token this package issues or a legacy system plausibly did: never looked up. */
export const MAX_TOKEN_LENGTH = 512;

/** The stored form of a token: `sha256:` and the hex SHA-256 of its UTF-8 bytes. */
export function tokenDigest(token: string): string {
  return TOKEN_DIGEST_PREFIX + createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isTokenDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

/** A new token: 32 random bytes from the operating system's generator, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}
