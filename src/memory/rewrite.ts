import type { Expr, ExprRef, SelectFromStatement, Statement } from 'pgsql-ast-parser';
import { rewriteJoinGroups } from './join-groups';
import { ILIKE_FUNCTION, LIKE_FUNCTION } from './like';
import { tokenize } from './sql-tokens';

/*
 * pg-mem answers a filter on an indexed column from the index, and checks the
 * other conditions of an AND row by row with each filter's own test. Several
 * of those index paths are wrong (pg-mem 3.0.14, src/transforms and
 * src/schema/btree-index.ts):
 *
 * - `col IS NOT NULL` (eq-filter.ts) compares the value with NULL, which is
 *   never true, so `id = $1 AND "deletedAt" IS NOT NULL` finds nothing once the
 *   planner prefers the id index (from about 5 rows on);
 * - `col <> x` returns the rows where col is NULL;
 * - `col NOT BETWEEN a AND b` compares with `a` twice and never with `b`,
 *   returns rows twice and returns NULLs;
 * - `col IN (a, a)` returns each row once per copy of its value;
 * - `col NOT IN (...)` fails on an empty table and returns NULLs.
 *
 * And its IN outside an index (under an OR, say) compares with the list's
 * type, not the column's (a timestamp is never IN a list of timestamps), and
 * is false where PostgreSQL's is NULL (`NULL IN (1)`, `2 IN (1, NULL)`),
 * which matters under a NOT.
 *
 * Written as `NOT (col IS NULL)`, `NOT (a = b)`, `NOT (col BETWEEN a AND b)`,
 * IN as ORs of equalities and, where the answer may be NULL, as a CASE that
 * spells out SQL's three-valued IN, they are evaluated as expressions, which
 * pg-mem gets right at any table size.
 */
const NEEDS_AST_FIX = /\bIS\s+NOT\s+NULL\b|\bNOT\b|<>|!=|\bIN\s*\(|\bI?LIKE\b/i;

/*
 * A required include of a many-to-many or hasMany association, when the query
 * has a limit, becomes a correlated subquery in Sequelize's WHERE:
 *
 *   ( SELECT "j"."x" FROM "j" AS "j" ... WHERE ("users"."id" = "j"."userId") LIMIT 1 ) IS NOT NULL
 *
 * pg-mem cannot read the outer query's columns ("users"."id") from a subquery.
 * Such a test for "some row matches" is the same as
 *
 *   "users"."id" IN ( SELECT "j"."userId" FROM "j" AS "j" ... WHERE "j"."userId" IS NOT NULL )
 *
 * which pg-mem answers. Any other correlated subquery is left as it is.
 */

type Parser = typeof import('pgsql-ast-parser');
let parser: Parser | undefined;
let mapper: ReturnType<Parser['astMapper']> | undefined;
// How many NOTs enclose the expression being mapped: under one, IN's FALSE-for-NULL would become TRUE.
let negations = 0;

function not(operand: Expr): Expr {
  return { type: 'unary', op: 'NOT', operand };
}

// LIKE and ILIKE as PostgreSQL reads the pattern (see like.ts).
const LIKES: Partial<Record<string, { function: string; negated: boolean }>> = {
  LIKE: { function: LIKE_FUNCTION, negated: false },
  'NOT LIKE': { function: LIKE_FUNCTION, negated: true },
  ILIKE: { function: ILIKE_FUNCTION, negated: false },
  'NOT ILIKE': { function: ILIKE_FUNCTION, negated: true },
};

const NULL_BOOLEAN: Expr = { type: 'cast', operand: { type: 'null' }, to: { name: 'boolean' } };
const bool = (value: boolean): Expr => ({ type: 'boolean', value });

/** The list without repeated values (IN compares each value; a repeated one adds nothing). */
function distinct(values: Expr[]): Expr[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = JSON.stringify(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * NOT of an AND or an OR, written with the NOT on each side (De Morgan's laws hold in SQL's three-valued
 * logic), and NOT NOT x as x. pg-mem's AND answers NULL for `NULL AND FALSE` and its OR FALSE for
 * `NULL OR FALSE`: harmless where only TRUE counts (a WHERE keeps the rows for which it is TRUE, and
 * AND and OR are TRUE exactly when PostgreSQL's are), wrong under a NOT, where NULL and FALSE part ways.
 * With the NOTs pushed down to the comparisons, no AND or OR is ever under one.
 */
function pushedInward(operand: Expr): Expr | undefined {
  if (operand.type === 'unary' && operand.op === 'NOT') return operand.operand;
  if (operand.type !== 'binary' || (operand.op !== 'AND' && operand.op !== 'OR')) return undefined;
  return {
    type: 'binary',
    op: operand.op === 'AND' ? 'OR' : 'AND',
    left: not(operand.left),
    right: not(operand.right),
  };
}

/**
 * `x = a OR x = b ...` for `x IN (a, b, ...)`, the ORs in a balanced tree (deep chains would recurse once per
 * value). pg-mem's own IN compares its values with the list's type, not the column's: a timestamp is never
 * IN a list of timestamps written as text.
 */
function anyEqual(x: Expr, values: Expr[]): Expr {
  if (values.length === 1) return { type: 'binary', op: '=', left: x, right: values[0] as Expr };
  const half = Math.ceil(values.length / 2);
  return { type: 'binary', op: 'OR', left: anyEqual(x, values.slice(0, half)), right: anyEqual(x, values.slice(half)) };
}

/** `x [NOT] IN (list)` with SQL's NULLs: NULL when x is NULL, or when nothing matches and the list holds NULL. */
function threeValuedIn(x: Expr, list: Expr[], negated: boolean): Expr {
  const values = list.filter((value) => value.type !== 'null');
  const otherwise = values.length < list.length ? NULL_BOOLEAN : bool(negated);
  const whens = [{ when: { type: 'unary', op: 'IS NULL', operand: x } as Expr, value: NULL_BOOLEAN }];
  if (values.length > 0) whens.push({ when: anyEqual(x, values), value: bool(!negated) });
  // The ELSE as a last WHEN TRUE: pg-mem appends an ELSE to the tree's own list of WHENs, which would grow the
  // cached tree (see prepareShaped) at every call.
  whens.push({ when: bool(true), value: otherwise });
  return { type: 'case', value: null, whens };
}

function conjuncts(expr: Expr | null | undefined): Expr[] {
  if (!expr) return [];
  if (expr.type === 'binary' && expr.op === 'AND') return [...conjuncts(expr.left), ...conjuncts(expr.right)];
  return [expr];
}

/** The names a subquery's tables go by, its nested subqueries' included, and the columns it reads by table. */
function namesIn(select: SelectFromStatement): { declared: Set<string>; refs: (expr: Expr) => ExprRef[] } {
  const { astVisitor } = parser as Parser;
  const declared = new Set<string>();
  const declaring = astVisitor((visitor) => ({
    fromTable: (from) => {
      declared.add(from.name.alias ?? from.name.name);
      visitor.super().fromTable(from);
    },
    fromStatement: (from) => {
      declared.add(from.alias);
      visitor.super().fromStatement(from);
    },
  }));
  declaring.statement(select);
  const refs = (expr: Expr) => {
    const found: ExprRef[] = [];
    astVisitor(() => ({ ref: (ref) => found.push(ref) })).expr(expr);
    return found;
  };
  return { declared, refs };
}

/** `outer IN (SELECT inner ...)` for a `(SELECT ... WHERE outer = inner ... LIMIT 1) IS NOT NULL`, if it is one. */
function decorrelated(operand: Expr): Expr | undefined {
  if (operand.type !== 'select' || !operand.where || operand.groupBy || operand.having || operand.limit?.offset) {
    return undefined;
  }
  const limit = operand.limit?.limit;
  if (limit?.type !== 'integer' || limit.value !== 1 || operand.columns?.length !== 1) return undefined;
  const { declared, refs } = namesIn(operand);
  const isOuter = (ref: ExprRef) => ref.table !== undefined && ref.table !== null && !declared.has(ref.table.name);
  const all = conjuncts(operand.where);
  const correlated = all.filter((part) => refs(part).some(isOuter));
  const [link] = correlated;
  if (correlated.length !== 1 || link?.type !== 'binary' || link.op !== '=') return undefined;
  const { left, right } = link;
  if (left.type !== 'ref' || right.type !== 'ref' || isOuter(left) === isOuter(right)) return undefined;
  const [outer, inner] = isOuter(left) ? [left, right] : [right, left];
  const rest = all.filter((part) => part !== link);
  const where = [...rest, { type: 'unary', op: 'IS NOT NULL', operand: inner } as Expr].reduce(
    (both, part): Expr => ({ type: 'binary', op: 'AND', left: both, right: part }),
  );
  const { limit: _limit, ...unlimited } = operand;
  return { type: 'binary', op: 'IN', left: outer, right: { ...unlimited, columns: [{ expr: inner }], where } };
}

function filterMapper(): ReturnType<Parser['astMapper']> {
  parser ??= require('pgsql-ast-parser') as Parser;
  mapper ??= parser.astMapper((defaults) => ({
    unary: (expr) => {
      // Decorrelated before its parts are mapped: the new IS NOT NULL inside is then mapped too.
      const subqueryTest = expr.op === 'IS NOT NULL' ? decorrelated(expr.operand) : undefined;
      if (subqueryTest) return defaults.expr(subqueryTest);
      if (expr.op === 'NOT') {
        const pushed = pushedInward(expr.operand);
        if (pushed) return defaults.expr(pushed);
      }
      if (expr.op === 'NOT') negations++;
      let mapped: Expr | null | undefined;
      try {
        mapped = defaults.super().unary(expr);
      } finally {
        if (expr.op === 'NOT') negations--;
      }
      if (mapped?.type !== 'unary' || mapped.op !== 'IS NOT NULL') return mapped;
      return not({ type: 'unary', op: 'IS NULL', operand: mapped.operand });
    },
    binary: (expr) => {
      const mapped = defaults.super().binary(expr);
      if (mapped?.type !== 'binary') return mapped;
      if (mapped.op === '!=' || (mapped.op as string) === '<>') return not({ ...mapped, op: '=' });
      const like = LIKES[mapped.op];
      if (like) {
        const call: Expr = {
          type: 'call',
          function: { name: like.function },
          args: [mapped.left, mapped.right],
        };
        return like.negated ? not(call) : call;
      }
      if ((mapped.op !== 'IN' && mapped.op !== 'NOT IN') || mapped.right.type === 'select') return mapped;
      // `x IN ('a')` parses with a plain value on the right, not a list of one.
      const list = distinct(mapped.right.type === 'list' ? mapped.right.expressions : [mapped.right]);
      const values = list.filter((value) => value.type !== 'null');
      // Where only TRUE counts, a NULL in the list changes nothing: x is one of the other values or not.
      if (mapped.op === 'NOT IN' || negations > 0 || values.length === 0) {
        return threeValuedIn(mapped.left, list, mapped.op === 'NOT IN');
      }
      return anyEqual(mapped.left, values);
    },
    ternary: (expr) => {
      const mapped = defaults.super().ternary(expr);
      if (mapped?.type !== 'ternary' || mapped.op !== 'NOT BETWEEN') return mapped;
      return not({ ...mapped, op: 'BETWEEN' });
    },
  }));
  return mapper;
}

/**
 * The query as pg-mem should receive it: SQL text it answers as PostgreSQL
 * does, or, where only a change of the syntax tree can make it so, the tree.
 */
export function prepareForPgMem(sql: string): string | Statement[] {
  const text = rewriteJoinGroups(sql);
  if (!NEEDS_AST_FIX.test(text)) return text;
  const fix = filterMapper();
  let statements: Statement[];
  try {
    statements = (parser as Parser).parse(text);
  } catch {
    // Let pg-mem report the syntax error with its own message.
    return text;
  }
  return statements.map((statement) => fix.statement(statement) ?? statement);
}

/*
 * Parsing is most of what a query costs pg-mem (about 1 ms for an INSERT of a
 * dozen columns), and Sequelize's SQL differs from call to call mostly by its
 * values: bound parameters ($1, $2, ...) in writes, quoted strings (ids,
 * names, timestamps) everywhere. The SQL is parsed once per shape, its string
 * literals taken out as parameters, and each call puts its values back into
 * the tree as the same string literals: pg-mem receives what parsing the
 * whole text would have given it.
 */
const MAX_SHAPES = 500;
const shapes = new Map<string, Statement[]>();
let boundValues: readonly (string | null)[] = [];
let binder: ReturnType<Parser['astMapper']> | undefined;

function parsedShape(shape: string): Statement[] | undefined {
  const known = shapes.get(shape);
  if (known) {
    // Most recently used last: the first entry is the one to forget.
    shapes.delete(shape);
    shapes.set(shape, known);
    return known;
  }
  const fix = filterMapper();
  let statements: Statement[];
  try {
    statements = (parser as Parser)
      .parse(rewriteJoinGroups(shape))
      .map((statement) => fix.statement(statement) ?? statement);
  } catch {
    return undefined;
  }
  // Every call shares the cached tree: frozen, so that pg-mem changing it would fail loudly, not corrupt the next call.
  deepFreeze(statements);
  shapes.set(shape, statements);
  if (shapes.size > MAX_SHAPES) shapes.delete(shapes.keys().next().value as string);
  return statements;
}

/** The SQL with its standard string literals as parameters numbered after the ones it has, and their values. */
function shapeOf(sql: string, parameters: readonly (string | null)[]): { shape: string; values: (string | null)[] } {
  const values = [...parameters];
  const shape = tokenize(sql)
    .map((token) => {
      if (token.kind !== 'string' || !token.text.startsWith("'")) return token.text;
      values.push(token.text.slice(1, -1).replace(/''/g, "'"));
      return `$${values.length}`;
    })
    .join('');
  return { shape, values };
}

function bindValues(statements: Statement[], values: readonly (string | null)[]): Statement[] {
  binder ??= (parser as Parser).astMapper(() => ({
    parameter: (parameter) => {
      const value = boundValues[Number(parameter.name.slice(1)) - 1];
      if (value === undefined) throw new Error(`no value for the query parameter ${parameter.name}`);
      return value === null ? { type: 'null' } : { type: 'string', value };
    },
  }));
  boundValues = values;
  try {
    return statements.map((statement) => (binder as ReturnType<Parser['astMapper']>).statement(statement) ?? statement);
  } finally {
    boundValues = [];
  }
}

// Dollar-quoted bodies (functions, DO blocks) hold SQL of their own: their strings are not the query's.
const NOT_SHAPED = /\$[A-Za-z_]|\$\$/;

/**
 * The query as pg-mem should receive it, `parameters` being the text of each bound parameter (null for
 * NULL): a parsed tree from the shape cache, or undefined when it has no shape (then see prepareForPgMem).
 */
export function prepareShaped(sql: string, parameters: readonly (string | null)[]): Statement[] | undefined {
  if (NOT_SHAPED.test(sql)) return undefined;
  const { shape, values } = shapeOf(sql, parameters);
  const statements = parsedShape(shape);
  return statements && bindValues(statements, values);
}

/** Freezes a syntax tree and everything in it. */
function deepFreeze(value: unknown): void {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
}
