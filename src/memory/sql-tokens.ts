/** A piece of SQL text: quoted parts are single tokens, so nothing inside them is mistaken for syntax. */
export interface Token {
  kind: 'identifier' | 'string' | 'word' | 'space' | 'punctuation';
  text: string;
}

const TOKEN =
  /("(?:[^"]|"")*")|((?:[eE])'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_$]*)|(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)|([\s\S])/gy;

/** Splits SQL into tokens; joining their texts gives the SQL back unchanged. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(sql); match; match = TOKEN.exec(sql)) {
    const [text, identifier, string, word, space] = match;
    const kind = identifier ? 'identifier' : string ? 'string' : word ? 'word' : space ? 'space' : 'punctuation';
    tokens.push({ kind, text });
  }
  return tokens;
}

export function untokenize(tokens: readonly Token[]): string {
  return tokens.map((token) => token.text).join('');
}

/** The name a quoted identifier stands for (`"a""b"` is `a"b`). */
export function identifierName(token: Token): string {
  return token.text.slice(1, -1).replace(/""/g, '"');
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.text.toUpperCase() === word;
}

/** The index of the next token after `index` that is not white space, or -1. */
export function nextSolid(tokens: readonly Token[], index: number): number {
  for (let i = index + 1; i < tokens.length; i++) if (tokens[i]?.kind !== 'space') return i;
  return -1;
}

/** The index of the `)` that closes the `(` at `open`, or -1. */
export function closingParen(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]?.kind === 'punctuation' ? tokens[i]?.text : undefined;
    if (text === '(') depth++;
    else if (text === ')' && --depth === 0) return i;
  }
  return -1;
}
