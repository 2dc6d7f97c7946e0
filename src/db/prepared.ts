import type { Sequelize } from 'sequelize';
import { fixedStatementName } from '../models/base/statements';

/**
 * Sends the package's fixed statements (reads by key, the one-statement
 * reads; see `models/base/statements.ts`) as named prepared statements: the
 * server parses and plans each once per connection, not at every call. Each
 * connection's `query` is given the statement's name when its text is one of
 * them; every other statement goes as before, unnamed. Off by default: a
 * PgBouncer in transaction mode older than 1.21 (or without
 * `max_prepared_statements`) cannot keep named statements.
 */
export function usePreparedStatements(sequelize: Sequelize): void {
  sequelize.addHook('afterConnect', 'tbpPreparedStatements', (connection) => {
    const client = connection as { query?: (...args: unknown[]) => unknown };
    const query = client.query;
    if (typeof query !== 'function') return;
    client.query = function namedWhenFixed(this: unknown, text: unknown, ...rest: unknown[]) {
      const name = typeof text === 'string' ? fixedStatementName(text) : undefined;
      return query.call(this, name ? { name, text } : text, ...rest);
    };
  });
}
