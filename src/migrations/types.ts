import type { QueryInterface, Sequelize, Transaction } from 'sequelize';

/** What a migration receives: the instance, its query interface and the transaction it runs in. */
export interface MigrationContext {
  sequelize: Sequelize;
  queryInterface: QueryInterface;
  transaction: Transaction;
}

export interface Migration {
  /** Unique and sortable: `NNNN-what-it-does`. */
  name: string;
  up(params: { context: MigrationContext }): Promise<void>;
  down(params: { context: MigrationContext }): Promise<void>;
  /**
   * Statements whose effect PostgreSQL lets the same transaction not use:
   * `ALTER TYPE ... ADD VALUE` (a new ENUM label is usable only once committed).
   * Run and committed in a transaction of their own just before `up`; a failure
   * of `up` does not undo them, so they must be idempotent (`ADD VALUE IF NOT EXISTS`).
   */
  beforeUp?(params: { context: MigrationContext }): Promise<void>;
  /** The same, before `down`. */
  beforeDown?(params: { context: MigrationContext }): Promise<void>;
}
