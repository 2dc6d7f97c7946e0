import { InMemoryUnsupportedError } from './errors';
import {
  closingParen,
  identifierName,
  isWord,
  nextSolid,
  quoteIdentifier,
  type Token,
  tokenize,
  untokenize,
} from './sql-tokens';

/*
 * Sequelize writes a many-to-many include (and an optional include with a
 * required child) as a parenthesised join:
 *
 *   LEFT OUTER JOIN ( "through" AS "a->t" INNER JOIN "target" AS "a" ON c1 ) ON c2
 *
 * pg-mem's parser accepts only a table or a subquery after JOIN. The same join
 * written with a subquery is equivalent (a join group is a derived table):
 *
 *   LEFT OUTER JOIN ( SELECT "a->t"."x" AS "c0", "a"."y" AS "c1" FROM "through" AS "a->t"
 *                     INNER JOIN "target" AS "a" ON c1 ) AS "g0" ON c2'
 *
 * where the subquery selects every column that the rest of the query reads
 * from the group's tables, and those reads (c2, the select list, ORDER BY, ...)
 * name the subquery's columns instead. Note that this is not the same as
 * `LEFT JOIN "through" ... LEFT JOIN "target"`, which keeps through rows whose
 * target is filtered out.
 */

const GROUP_PREFIX = '__pgmem_join_';
const SUBQUERY_KEYWORDS = ['SELECT', 'WITH', 'VALUES'];
const JOIN_WORDS = ['JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS'];

function previousSolid(tokens: readonly Token[], index: number): number {
  for (let i = index - 1; i >= 0; i--) if (tokens[i]?.kind !== 'space') return i;
  return -1;
}

function isOpenParen(token: Token | undefined): boolean {
  return token?.kind === 'punctuation' && token.text === '(';
}

/**
 * Whether the `(` at `index` starts a list of joined tables (a table, a nested
 * group, or a derived table joined to more), not a subquery or an expression.
 */
function startsJoinedTables(tokens: readonly Token[], index: number): boolean {
  const first = nextSolid(tokens, index);
  const token = tokens[first];
  if (token?.kind === 'identifier') return true;
  if (!isOpenParen(token)) return false;
  if (startsJoinedTables(tokens, first)) return true;
  if (!SUBQUERY_KEYWORDS.some((keyword) => isWord(tokens[nextSolid(tokens, first)], keyword))) return false;
  let after = nextSolid(tokens, closingParen(tokens, first));
  if (isWord(tokens[after], 'AS')) after = nextSolid(tokens, after);
  if (tokens[after]?.kind === 'identifier') after = nextSolid(tokens, after);
  return JOIN_WORDS.some((word) => isWord(tokens[after], word));
}

function isGroupOpen(tokens: readonly Token[], index: number): boolean {
  if (!isOpenParen(tokens[index]) || !startsJoinedTables(tokens, index)) return false;
  const before = previousSolid(tokens, index);
  if (isWord(tokens[before], 'JOIN') || isWord(tokens[before], 'FROM')) return true;
  return isOpenParen(tokens[before]) && isGroupOpen(tokens, before);
}

/** A join group that holds no other join group, as [open, close] token indexes. */
function innermostGroup(tokens: readonly Token[]): [number, number] | undefined {
  let found: [number, number] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    if (!isGroupOpen(tokens, i)) continue;
    const close = closingParen(tokens, i);
    if (close < 0) return undefined;
    // A later group that opens before this one closes lies inside it: prefer it.
    if (!found || i < found[1]) found = [i, close];
    else break;
  }
  return found;
}

/** The names the tables of a group are known by (their aliases), read at the group's own depth. */
function aliasesIn(tokens: readonly Token[], open: number, close: number): Set<string> {
  const aliases = new Set<string>();
  const itemStarts = [nextSolid(tokens, open)];
  for (let i = open + 1, depth = 0; i < close; i++) {
    const token = tokens[i];
    if (isOpenParen(token)) depth++;
    else if (token?.kind === 'punctuation' && token.text === ')') depth--;
    else if (depth === 0 && isWord(token, 'JOIN')) itemStarts.push(nextSolid(tokens, i));
  }
  for (const start of itemStarts) {
    const item = tokens[start];
    let after = nextSolid(tokens, start);
    if (isOpenParen(item)) after = nextSolid(tokens, closingParen(tokens, start));
    else if (item?.kind !== 'identifier') throw unsupportedJoin(`a join group holding ${item?.text ?? 'nothing'}`);
    if (isWord(tokens[after], 'AS')) after = nextSolid(tokens, after);
    const alias = tokens[after];
    if (alias?.kind === 'identifier') aliases.add(identifierName(alias));
    else if (item?.kind === 'identifier') aliases.add(identifierName(item));
    else throw unsupportedJoin('a join group holding a subquery without an alias');
  }
  return aliases;
}

function unsupportedJoin(what: string): InMemoryUnsupportedError {
  return new InMemoryUnsupportedError(
    what,
    'pg-mem cannot parse a parenthesised join, and this one could not be rewritten as a subquery',
  );
}

function rewriteGroup(tokens: Token[], open: number, close: number, group: string): Token[] {
  const aliases = aliasesIn(tokens, open, close);
  const columns = new Map<string, string>();
  const column = (alias: string, name: string) => {
    const key = `${quoteIdentifier(alias)}.${quoteIdentifier(name)}`;
    let selected = columns.get(key);
    if (!selected) {
      selected = `c${columns.size}`;
      columns.set(key, selected);
    }
    return selected;
  };
  const outside: Token[] = [];
  let replacementAt = -1;
  for (let i = 0; i < tokens.length; i++) {
    if (i === open) {
      replacementAt = outside.length;
      i = close;
      continue;
    }
    const token = tokens[i] as Token;
    const name = token.kind === 'identifier' ? identifierName(token) : undefined;
    if (name === undefined || !aliases.has(name)) {
      outside.push(token);
      continue;
    }
    const dot = tokens[i + 1];
    const field = tokens[i + 2];
    if (dot?.text === '.' && (field?.kind === 'identifier' || field?.kind === 'word')) {
      const fieldName = field.kind === 'identifier' ? identifierName(field) : field.text.toLowerCase();
      outside.push(
        { kind: 'identifier', text: quoteIdentifier(group) },
        { kind: 'punctuation', text: '.' },
        { kind: 'identifier', text: quoteIdentifier(column(name, fieldName)) },
      );
      i += 2;
      continue;
    }
    // Only another table going by the same name makes the references ambiguous: a column alias, or a
    // table of that name under an alias of its own, does not.
    const before = tokens[previousSolid(tokens, i)];
    const next = tokens[nextSolid(tokens, i)];
    const columnAlias = isWord(before, 'AS') && (next?.text === ',' || isWord(next, 'FROM'));
    const tableAlias = isWord(before, 'AS') && !columnAlias;
    const unaliasedTable =
      (isWord(before, 'FROM') || isWord(before, 'JOIN')) && !isWord(next, 'AS') && next?.kind !== 'identifier';
    if (tableAlias || unaliasedTable) {
      throw unsupportedJoin(`a join group whose table "${name}" is also named elsewhere in the query`);
    }
    outside.push(token);
  }
  const selectList = [...columns].map(([source, selected]) => `${source} AS ${quoteIdentifier(selected)}`);
  const subquery = `(SELECT ${selectList.length > 0 ? selectList.join(', ') : '1 AS "c0"'} FROM ${untokenize(
    tokens.slice(open + 1, close),
  )}) AS ${quoteIdentifier(group)}`;
  outside.splice(replacementAt, 0, { kind: 'punctuation', text: subquery });
  return outside;
}

/** The query with every parenthesised join written as a subquery; other SQL comes back unchanged. */
export function rewriteJoinGroups(sql: string): string {
  if (!/JOIN\s*\(\s*[("]/i.test(sql)) return sql;
  let tokens = tokenize(sql);
  for (let n = 0; ; n++) {
    const group = innermostGroup(tokens);
    if (!group) return untokenize(tokens);
    // Re-tokenised so that the new subquery's own parentheses are seen by the next round.
    tokens = tokenize(untokenize(rewriteGroup(tokens, group[0], group[1], `${GROUP_PREFIX}${n}`)));
  }
}
