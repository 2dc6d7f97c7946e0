/*
 * Sequelize's findOrCreate, inside a transaction on PostgreSQL, wraps its
 * INSERT in a throw-away PL/pgSQL function that catches a unique violation
 * (so that the transaction survives it) and returns the new row, or the
 * violation's detail:
 *
 *   CREATE OR REPLACE FUNCTION pg_temp.testfunc(OUT response "t", OUT sequelize_caught_exception text)
 *   RETURNS RECORD AS $func_…$ BEGIN INSERT … RETURNING * INTO response; EXCEPTION WHEN unique_violation
 *   THEN GET STACKED DIAGNOSTICS sequelize_caught_exception = PG_EXCEPTION_DETAIL; END $func_…$
 *   LANGUAGE plpgsql; SELECT (testfunc.response)."a", …, testfunc.sequelize_caught_exception
 *   FROM pg_temp.testfunc(); DROP FUNCTION IF EXISTS pg_temp.testfunc();
 *
 * pg-mem has no PL/pgSQL. The same is answered here: the INSERT runs alone
 * (a failed statement changes nothing in pg-mem), and the row, or the
 * detail of its unique violation, comes back in the shape the SELECT asks for.
 */
const CAUGHT_INSERT =
  /^\s*CREATE OR REPLACE FUNCTION pg_temp\.testfunc\(OUT response "[^"]+", OUT sequelize_caught_exception text\) RETURNS RECORD AS (\$func_\w*\$) BEGIN ([\s\S]+?) RETURNING \* INTO response; EXCEPTION WHEN unique_violation THEN GET STACKED DIAGNOSTICS sequelize_caught_exception = PG_EXCEPTION_DETAIL; END \1 LANGUAGE plpgsql; SELECT ([\s\S]+?) FROM pg_temp\.testfunc\(\); DROP FUNCTION IF EXISTS pg_temp\.testfunc\(\);?\s*$/;
const RESPONSE_COLUMN = /^\(testfunc\.response\)\."((?:[^"]|"")+)"$/;

export interface CaughtInsert {
  /** The INSERT, returning every column. */
  insert: string;
  /** The columns the caller reads back, in order. */
  columns: string[];
}

export function caughtInsert(sql: string): CaughtInsert | undefined {
  const match = CAUGHT_INSERT.exec(sql);
  if (!match) return undefined;
  const selected = (match[3] as string).split(', ');
  if (selected.pop() !== 'testfunc.sequelize_caught_exception') return undefined;
  const columns = selected.map((column) => RESPONSE_COLUMN.exec(column)?.[1]?.replace(/""/g, '"'));
  if (columns.some((column) => column === undefined)) return undefined;
  return { insert: `${match[2]} RETURNING *`, columns: columns as string[] };
}

/** The one row the SELECT of the function returns: the inserted row's columns, or NULLs and the detail. */
export function caughtInsertRow(
  { columns }: CaughtInsert,
  inserted: Record<string, unknown> | undefined,
  detail: string | null,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of columns) row[column] = inserted?.[column] ?? null;
  row.sequelize_caught_exception = detail;
  return row;
}
