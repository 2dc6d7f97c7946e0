import type { Sequelize, Transaction } from 'sequelize';

/**
 * The advisory lock every migrate, rollback, baseline and seed takes: one
 * 64-bit key (the bytes of "tbpmig"), in `pg_locks` as `classid` (high half) and `objid`.
 */
export const MIGRATION_LOCK = 0x74_62_70_6d_69_67;

/**
 * Waits for the migration lock inside `transaction` and holds it until that
 * transaction ends. Transaction-scoped (`pg_advisory_xact_lock`), never
 * session-scoped, so that it is released with the transaction even through
 * PgBouncer in transaction mode, where a session lock would stay on a server
 * connection that another client gets next.
 */
export async function lockMigrations(sequelize: Sequelize, transaction: Transaction): Promise<void> {
  // pg-mem has no advisory locks, and one process alone uses an in-memory database.
  if ((sequelize as { memory?: unknown }).memory) return;
  await sequelize.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`, { transaction });
}
