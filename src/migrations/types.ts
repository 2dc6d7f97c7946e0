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
}
