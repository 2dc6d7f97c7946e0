import type { Sequelize, Transaction } from 'sequelize';

/**
 * The advisory locks that serialise what changes a project's content as a
 * whole: its publishes and rollbacks, and its soft delete and restore. Always
 * transaction-scoped (`pg_advisory_xact_lock`), so that they work through
 * PgBouncer in transaction mode and are released by the commit, the rollback
 * or the death of the connection, whichever comes first.
 *
 * Keys are two int4: a namespace of this package and `hashtext` of the id.
 * The two-int4 key space is apart from the bigint one that applications use
 * most, and a hash collision between two projects only makes them wait for
 * each other, never mixes their rows.
 */
export const LOCK_NAMESPACES = {
  /** 'tbp1': held by whoever changes a project's content or deletes it. */
  project: 0x74627031,
  /** 'tbp2': held by a publish for as long as its event says `running`. */
  publishEvent: 0x74627032,
} as const;

/** The SQL of a lock on `:key` in a namespace; `try` returns at once with true or false. */
export function lockSql(namespace: keyof typeof LOCK_NAMESPACES, key: string, mode: 'wait' | 'try' = 'wait'): string {
  const fn = mode === 'wait' ? 'pg_advisory_xact_lock' : 'pg_try_advisory_xact_lock';
  return `${fn}(${LOCK_NAMESPACES[namespace]}, hashtext(${key}))`;
}

/**
 * Whether this instance is pg-mem, which has no advisory locks and runs one
 * statement at a time. (Read by shape: the db layer, which defines the
 * instance, sits above the models.)
 */
export function isInMemory(sequelize: Sequelize | undefined): boolean {
  return Boolean((sequelize as { memory?: unknown } | undefined)?.memory);
}

/** Takes a project's lock for the rest of `transaction`, waiting for the holder. */
export async function lockProject(sequelize: Sequelize, projectId: string, transaction: Transaction): Promise<void> {
  if (isInMemory(sequelize)) return;
  await sequelize.query(`SELECT ${lockSql('project', ':projectId')}`, {
    replacements: { projectId },
    transaction,
  });
}
