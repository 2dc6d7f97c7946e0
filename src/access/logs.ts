import { isIP } from 'node:net';
import { QueryTypes, type Sequelize, ValidationError, ValidationErrorItem } from 'sequelize';
import { currentActorId } from '../db/actor';
import type { AccessEnvironment, AccessLog } from '../models/access_logs';
import type { AccessDb } from './decisions';

/** The bounds of the spec's `access_logs` columns, in characters as PostgreSQL counts them. */
export const ACCESS_LOG_LIMITS = { path: 2048, userAgent: 1024 } as const;

export interface AccessLogEntry {
  environment: AccessEnvironment;
  path?: string | null;
  /** IPv4 or IPv6, as `req.ip` gives it (`::ffff:127.0.0.1` included). */
  ip?: string | null;
  userAgent?: string | null;
  projectId?: string | null;
  /** Who accessed; defaults to the actor of `withActor`, if any. */
  userId?: string | null;
  /** Defaults to now. */
  accessedAt?: Date;
}

function sequelizeOf(db: AccessDb): Sequelize {
  return 'sequelize' in db ? db.sequelize : db;
}

/** Client-supplied text, cut to what the column holds: a long URL or agent must not lose the log line. */
function bounded(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const codePoints = Array.from(value);
  return codePoints.length > max ? codePoints.slice(0, max).join('') : value;
}

/**
 * Records one access in `access_logs`. The IP must be an IPv4 or IPv6
 * address (a ValidationError on `ip_address` otherwise); path and user agent
 * are cut to the spec's 2048 and 1024 characters, since they come from the
 * client. Everything else is validated by the model.
 */
export async function logAccess(db: AccessDb, entry: AccessLogEntry): Promise<AccessLog> {
  const sequelize = sequelizeOf(db);
  const model = sequelize.model('access_logs');
  const ip = entry.ip ?? null;
  if (ip !== null && isIP(ip) === 0) {
    const shown = JSON.stringify(String(ip).slice(0, 60));
    throw new ValidationError(`IP address must be an IPv4 or IPv6 address, got ${shown}`, [
      new ValidationErrorItem(
        'IP address must be an IPv4 or IPv6 address',
        'validation error',
        'ip_address',
        String(ip).slice(0, 60),
        null as never,
        'isIP',
        'isIP',
        [],
      ),
    ]);
  }
  return model.create({
    environment: entry.environment,
    path: bounded(entry.path, ACCESS_LOG_LIMITS.path),
    ip_address: ip,
    user_agent: bounded(entry.userAgent, ACCESS_LOG_LIMITS.userAgent),
    projectId: entry.projectId ?? null,
    userId: entry.userId === undefined ? (currentActorId(sequelize) ?? null) : entry.userId,
    ...(entry.accessedAt ? { accessed_at: entry.accessedAt } : {}),
  }) as Promise<AccessLog>;
}

export interface PruneOptions {
  /** Deletes what was accessed before this date, or more than this many milliseconds ago (see `parseDuration`). */
  olderThan: Date | number;
  /** Rows per DELETE (default 1000): each statement holds its locks only that long. */
  batchSize?: number;
}

/**
 * Deletes (for good: this is retention, not a soft delete) the access logs
 * older than `olderThan`, in batches of `batchSize` rows, each its own short
 * statement, so that pruning a big table never holds a long lock. Returns
 * how many rows were deleted.
 */
export async function pruneAccessLogs(db: AccessDb, options: PruneOptions): Promise<number> {
  const sequelize = sequelizeOf(db);
  const cutoff = options.olderThan instanceof Date ? options.olderThan : new Date(Date.now() - options.olderThan);
  if (Number.isNaN(cutoff.getTime())) throw new RangeError('pruneAccessLogs: olderThan is not a valid date or age');
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`pruneAccessLogs: batchSize must be a positive integer, got ${batchSize}`);
  }
  // Two statements a batch, not `DELETE ... WHERE id IN (SELECT ... LIMIT n)`: pg-mem re-runs that subquery
  // row by row and deletes every match at once. The DELETE counts only what it removed itself.
  const pick = 'SELECT id FROM access_logs WHERE accessed_at < $1 LIMIT $2';
  let deleted = 0;
  for (;;) {
    // Both statements on the primary: a SELECT-typed query would go to a replica, which, lagging, would hand
    // back ids already deleted, and the loop would never end.
    const ids = (
      await sequelize.query<{ id: string }>(pick, {
        bind: [cutoff, batchSize],
        type: QueryTypes.SELECT,
        useMaster: true,
      })
    ).map((row) => row.id);
    if (ids.length > 0) {
      const placeholders = ids.map((_, i) => `$${i + 1}`).join(', ');
      const sql = `DELETE FROM access_logs WHERE id IN (${placeholders}) RETURNING id`;
      deleted += (await sequelize.query(sql, { bind: ids, type: QueryTypes.SELECT, useMaster: true })).length;
    }
    if (ids.length < batchSize) return deleted;
  }
}

/** Raised for a duration `parseDuration` cannot read. */
export class DurationError extends RangeError {
  override name = 'DurationError';
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `'90d'`, `'12h'`, `'30m'`, `'45s'`, `'2w'`, `'500ms'` in milliseconds, for `pruneAccessLogs({ olderThan })`. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!match) {
    throw new DurationError(
      `Cannot read the duration ${JSON.stringify(text.slice(0, 40))}: write a whole number and a unit (ms, s, m, h, d, w), e.g. 90d`,
    );
  }
  const value = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (!Number.isSafeInteger(value)) throw new DurationError(`The duration ${JSON.stringify(text)} is too long`);
  return value;
}
