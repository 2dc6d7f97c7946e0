import { InMemoryUnsupportedError } from './errors';
import { tokenize } from './sql-tokens';

/*
 * Constructs pg-mem cannot answer, refused with a clear error before pg-mem
 * fails on them with its own words (or, worse, answers). Each is listed in
 * the README's "The in-memory database".
 */

/** Sequelize writes a where on a path inside a JSON column (`{ 'doc.a.b': 1 }`) with `#>>`, which pg-mem lacks. */
function jsonPath(sql: string): InMemoryUnsupportedError | undefined {
  if (!sql.includes('#>')) return undefined;
  const tokens = tokenize(sql);
  const found = tokens.some((token, i) => token.text === '#' && tokens[i + 1]?.text === '>');
  return found
    ? new InMemoryUnsupportedError(
        'a where on a path inside a JSON column (the #> and #>> operators)',
        'pg-mem has no such operator; filter the rows in JavaScript, or test this query on PostgreSQL',
      )
    : undefined;
}

/** Throws if `sql` holds a construct the in-memory mode refuses. */
export function refuseUnsupported(sql: string): void {
  const refusal = jsonPath(sql);
  if (refusal) throw refusal;
}
