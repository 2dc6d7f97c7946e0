import { TOKEN_DIGEST_PREFIX } from '../auth/tokens';
import type { Migration } from './types';

/**
 * 0002: password reset and email verification tokens are stored as digests
 * (`sha256:` and the hex SHA-256 of the token's UTF-8 bytes, as
 * `tokenDigest` computes them), never as given. Existing tokens are digested
 * in place, so those already sent out keep working until they expire.
 *
 * Idempotent: a value already in the digest form is left alone (a row
 * written by this version before the migration ran, say). PostgreSQL has
 * had `sha256(bytea)` since version 11; no extension is needed.
 *
 * A token is now looked up only while its expiry is in the future. A token
 * stored without an expiry gets the default lifetime from now (1 hour for a
 * password reset, 24 hours for an email verification): links already sent
 * keep working that long, and none lives forever.
 */
const TOKENS = [
  { column: 'passwordResetToken', expiresAt: 'passwordResetTokenExpiresAt', lifetime: '1 hour' },
  { column: 'emailVerificationToken', expiresAt: 'emailVerificationTokenExpiresAt', lifetime: '24 hours' },
] as const;

// LIKE, not a regular expression: pg-mem, which runs the migrations too, has no `~`.
const DIGEST_PATTERN = `${TOKEN_DIGEST_PREFIX}${'_'.repeat(64)}`;

export const hashedTokens: Migration = {
  name: '0002-hashed-tokens',
  async up({ context: { sequelize, transaction } }) {
    for (const { column, expiresAt, lifetime } of TOKENS) {
      await sequelize.query(
        `UPDATE users SET "${column}" = :prefix || encode(sha256(convert_to("${column}", 'UTF8')), 'hex')
         WHERE "${column}" IS NOT NULL AND "${column}" NOT LIKE :pattern`,
        { replacements: { prefix: TOKEN_DIGEST_PREFIX, pattern: DIGEST_PATTERN }, transaction },
      );
      await sequelize.query(
        `UPDATE users SET "${expiresAt}" = now() + interval '${lifetime}'
         WHERE "${column}" IS NOT NULL AND "${expiresAt}" IS NULL`,
        { transaction },
      );
    }
  },
  // A digest cannot be turned back into its token. After a rollback the tokens issued before stay
  // digested, so an older version of the package finds none of them: their users ask for new ones.
  // That is safe, and keeps a rollback past this migration possible, so this does nothing (the
  // expiries it gave stay too).
  async down() {},
};
