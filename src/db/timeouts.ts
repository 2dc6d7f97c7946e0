import {
  DatabaseError,
  type Options,
  type QueryOptions,
  type Sequelize,
  TimeoutError,
  type Transaction,
} from 'sequelize';

/**
 * How much longer than the statement timeout the client waits for an answer.
 * Inside a transaction the server's own timeout fires first, with its clearer
 * error and a connection that stays usable; the client-side one is for
 * statements outside a transaction (where `SET LOCAL` cannot reach behind
 * PgBouncer) and for a server that does not answer at all.
 */
export const CLIENT_TIMEOUT_GRACE_MS = 250;

/** node-postgres' `query_timeout` for a statement timeout. */
export function clientTimeoutMs(statementTimeoutMs: number): number {
  return statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS;
}

export interface TransactionTimeouts {
  statementTimeoutMs?: number | undefined;
  idleInTransactionTimeoutMs?: number | undefined;
}

/** The `SET LOCAL` statements of the timeouts, or undefined when none is set. */
export function setLocalTimeouts(timeouts: TransactionTimeouts): string | undefined {
  const statements = [
    timeouts.statementTimeoutMs ? `SET LOCAL statement_timeout = ${timeouts.statementTimeoutMs}` : '',
    timeouts.idleInTransactionTimeoutMs
      ? `SET LOCAL idle_in_transaction_session_timeout = ${timeouts.idleInTransactionTimeoutMs}`
      : '',
  ].filter(Boolean);
  return statements.length > 0 ? statements.join('; ') : undefined;
}

/**
 * Sequelize hooks that open every transaction with `SET LOCAL` timeouts. As
 * startup parameters (node-postgres' `statement_timeout`) PgBouncer in
 * transaction mode refuses them, and a session `SET` would stay on a server
 * connection that other clients get next; `SET LOCAL` ends with its
 * transaction, so it works directly and behind PgBouncer alike.
 *
 * Sequelize 6 has no hook on a transaction's start, but every transaction's
 * first query is its `START TRANSACTION`: the hook lets it pass and runs the
 * `SET LOCAL`s just before the transaction's second query (or not at all for
 * a transaction that only commits or rolls back).
 */
export function transactionTimeoutHooks(timeouts: TransactionTimeouts): Options['hooks'] | undefined {
  const sql = setLocalTimeouts(timeouts);
  if (!sql) return undefined;
  // begun: its START TRANSACTION went by; set: the timeouts are set.
  const state = new WeakMap<Transaction, 'begun' | 'set'>();
  return {
    async beforeQuery(this: Sequelize, options: QueryOptions & { completesTransaction?: boolean }) {
      const transaction = options.transaction;
      if (!transaction) return;
      const seen = state.get(transaction);
      if (seen === 'set') return;
      if (seen === undefined) {
        state.set(transaction, 'begun');
        return;
      }
      state.set(transaction, 'set');
      if (options.completesTransaction) return;
      await this.query(sql, { transaction, logging: options.logging ?? false });
    },
  } as Options['hooks'];
}

type TimeoutParent = ConstructorParameters<typeof TimeoutError>[0];

function parentOf(error: unknown): TimeoutParent {
  return (error as DatabaseError).parent as TimeoutParent;
}

function clientTimedOut(error: unknown): boolean {
  return (
    error instanceof DatabaseError &&
    (error.parent as { message?: string } | undefined)?.message === 'Query read timeout'
  );
}

function serverTimedOut(error: unknown): boolean {
  const parent = (error as { parent?: { code?: string; message?: string } }).parent;
  return error instanceof DatabaseError && parent?.code === '57014' && /statement timeout/.test(String(parent.message));
}

/**
 * A statement timeout as Sequelize's `TimeoutError` (a `DatabaseError`, so
 * existing handlers still catch it): the server's (`57014 canceling statement
 * due to statement timeout`) or the client's (no answer within
 * `clientTimeoutMs`). After the client's, the connection still waits for the
 * answer to the abandoned statement: a transaction's connection is closed at
 * once, so that its ROLLBACK fails at once too instead of waiting behind it
 * (Sequelize discards a pooled one itself).
 */
export function typedTimeoutError(error: unknown, options: { transaction?: unknown } | undefined, waitedMs: number) {
  if (error instanceof TimeoutError) return error;
  if (serverTimedOut(error)) return new TimeoutError(parentOf(error));
  if (!clientTimedOut(error)) return error;
  const connection = (options?.transaction as { connection?: { end?: () => Promise<void> } } | undefined)?.connection;
  connection?.end?.().catch(() => undefined);
  const timeout = new TimeoutError(parentOf(error));
  timeout.message = `No answer from the server within ${waitedMs} ms (Query read timeout); the statement was abandoned`;
  return timeout;
}
