import type { IMemoryDb } from 'pg-mem';

/*
 * pg-mem's LIKE (src/utils.ts, buildLikeMatcher) knows no escape character, so
 * `'50% off' LIKE '50\%%'` (what Sequelize writes for `Op.startsWith: '50%'`)
 * is false there and true on PostgreSQL, and its `%` does not match a line
 * break. LIKE and ILIKE are handed to these functions instead (see rewrite.ts),
 * which follow PostgreSQL: `%` any text, `_` any one character, a backslash
 * makes the next character literal, ILIKE ignores case.
 */
export const LIKE_FUNCTION = 'tbp_memory_like';
export const ILIKE_FUNCTION = 'tbp_memory_ilike';

const compiled = new Map<string, RegExp>();
const MAX_COMPILED = 500;

function patternRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  const known = compiled.get(key);
  if (known) return known;
  let source = '';
  const characters = [...pattern];
  for (let i = 0; i < characters.length; i++) {
    const character = characters[i] as string;
    if (character === '\\') {
      const next = characters[++i];
      // PostgreSQL's own error for a pattern that ends in the middle of an escape.
      if (next === undefined) {
        throw Object.assign(new Error('LIKE pattern must not end with escape character'), { code: '22025' });
      }
      source += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (character === '%') {
      source += '[\\s\\S]*';
    } else if (character === '_') {
      source += '[\\s\\S]';
    } else {
      source += character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  const regExp = new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u');
  compiled.set(key, regExp);
  if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  return regExp;
}

export function registerLike(mem: IMemoryDb, DataType: typeof import('pg-mem').DataType): void {
  for (const [name, ignoreCase] of [
    [LIKE_FUNCTION, false],
    [ILIKE_FUNCTION, true],
  ] as const) {
    mem.public.registerFunction({
      name,
      args: [DataType.text, DataType.text],
      returns: DataType.bool,
      implementation: (value: string, pattern: string) => patternRegExp(pattern, ignoreCase).test(value),
    });
  }
}
