import type { Expr, Statement } from 'pgsql-ast-parser';
import { rewriteJoinGroups } from './join-groups';

/*
 * pg-mem answers a filter on an indexed column from the index, and checks the
 * other conditions of an AND row by row with each filter's own test. Two of
 * those tests are wrong (pg-mem 3.0.14, src/transforms):
 *
 * - `col IS NOT NULL` (eq-filter.ts) compares the value with NULL, which is
 *   never true, so `id = $1 AND "deletedAt" IS NOT NULL` finds nothing once the
 *   planner prefers the id index (from about 5 rows on);
 * - `col NOT BETWEEN a AND b` (between-filter.ts) compares with `a` twice and
 *   never with `b`.
 *
 * Written as `NOT (col IS NULL)` and `NOT (col BETWEEN a AND b)`, both are
 * evaluated as expressions, which pg-mem gets right at any table size.
 */
const NEEDS_AST_FIX = /\bIS\s+NOT\s+NULL\b|\bNOT\s+BETWEEN\b/i;

type Parser = typeof import('pgsql-ast-parser');
let parser: Parser | undefined;
let mapper: ReturnType<Parser['astMapper']> | undefined;

function not(operand: Expr): Expr {
  return { type: 'unary', op: 'NOT', operand };
}

function filterMapper(): ReturnType<Parser['astMapper']> {
  parser ??= require('pgsql-ast-parser') as Parser;
  mapper ??= parser.astMapper((defaults) => ({
    unary: (expr) => {
      const mapped = defaults.super().unary(expr);
      if (mapped?.type !== 'unary' || mapped.op !== 'IS NOT NULL') return mapped;
      return not({ type: 'unary', op: 'IS NULL', operand: mapped.operand });
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
