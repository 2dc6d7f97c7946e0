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
 */
const TOKEN_COLUMNS = ['passwordResetToken', 'emailVerificationToken'] as const;

// LIKE, not a regular expression: pg-mem, which runs the migrations too, has no `~`.
const DIGEST_PATTERN = `${TOKEN_DIGEST_PREFIX}${'_'.repeat(64)}`;

export const hashedTokens: Migration = {
  name: '0002-hashed-tokens',
  async up({ context: { sequelize, transaction } }) {
    for (const column of TOKEN_COLUMNS) {
      await sequelize.query(
        `UPDATE users SET "${column}" = :prefix || encode(sha256(convert_to("${column}", 'UTF8')), 'hex')
         WHERE "${column}" IS NOT NULL AND "${column}" NOT LIKE :pattern`,
        { replacements: { prefix: TOKEN_DIGEST_PREFIX, pattern: DIGEST_PATTERN }, transaction },
      );
    }
  },
  // A digest cannot be turned back into its token. After a rollback the tokens issued before stay
  // digested, so an older version of the package finds none of them: their users ask for new ones.
  // That is safe, and keeps a rollback past this migration possible, so this does nothing.
  async down() {},
};
