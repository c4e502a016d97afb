// A tokenizer for SQLite's SQL, enough to read a statement's leading keywords and its
// statement boundaries: strings, quoted identifiers, blobs and comments never hide a `;`
// or a keyword. Pure; the schema rule (schema-rule.ts) reads statements through it.

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct';

export interface Token {
  kind: TokenKind;
  /** The unquoted name for quoted identifiers and strings; the raw text otherwise. */
  text: string;
  /** Words upper-cased, to compare with keywords. */
  upper: string;
  at: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** The tokens of `sql`, whitespace and comments skipped; undefined when a string, identifier or comment is left open. */
export function tokenize(sql: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) return undefined;
      i = close + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const end = closing(sql, i);
      if (end < 0) return undefined;
      const body = sql.slice(i + 1, end);
      const isBlob = c === "'" && out.at(-1)?.upper === 'X' && out.at(-1)!.at === i - 1;
      if (isBlob) out.pop();
      const text = c === '[' ? body : body.replaceAll(c + c, c);
      out.push({ kind: c === "'" ? 'string' : 'quoted', text, upper: text, at: i });
      i = end + 1;
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < sql.length && WORD_PART.test(sql[i]!)) i++;
      const text = sql.slice(start, i);
      out.push({ kind: 'word', text, upper: text.toUpperCase(), at: start });
    } else if (/[0-9.]/.test(c) && /[0-9]/.test(sql[i + (c === '.' ? 1 : 0)] ?? '')) {
      const start = i;
      while (i < sql.length && /[0-9A-Za-z_.]/.test(sql[i]!)) i++;
      const text = sql.slice(start, i);
      out.push({ kind: 'number', text, upper: text, at: start });
    } else {
      out.push({ kind: 'punct', text: c, upper: c, at: i });
      i++;
    }
  }
  return out;
}

/** The index of the quote that closes the one at `open` (doubled quotes are part of the text). */
function closing(sql: string, open: number): number {
  const q = sql[open] === '[' ? ']' : sql[open]!;
  let i = open + 1;
  for (;;) {
    const end = sql.indexOf(q, i);
    if (end < 0) return -1;
    if (q !== ']' && sql[end + 1] === q) {
      i = end + 2;
      continue;
    }
    return end;
  }
}
