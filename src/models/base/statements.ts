import { createHash } from 'node:crypto';

/**
 * The package's fixed statements: SQL texts it sends again and again with
 * only their bound values changing (a read by primary key, the one-statement
 * reads). Each is named after its text, so one name never stands for two
 * texts; with `createDb({ preparedStatements: true })` they go to the server
 * as named prepared statements, planned once per connection (see
 * `src/db/prepared.ts`). Anything else Sequelize sends stays unnamed.
 */
const names = new Map<string, string>();

/** Marks `sql` as a fixed statement and returns its name. */
export function fixedStatement(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `tbp_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}

/** The name of a fixed statement, or undefined for any other text. */
export function fixedStatementName(sql: string): string | undefined {
  return names.get(sql);
}
