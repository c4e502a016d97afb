// Reading values exactly: each column is selected as typeof() plus the value, with TEXT
// cast to BLOB so its bytes arrive untouched (invalid UTF-8 included).
import type { SqlValue } from '../../changeset/types.ts';
import { quoteIdent } from '../../changeset/value.ts';

const NULL_VALUE: SqlValue = { type: 'null' };

/** Two result columns for `expr`: its type, and its value with TEXT as bytes. */
export function exactColumns(expr: string): string {
  return `typeof(${expr}), CASE WHEN typeof(${expr}) = 'text' THEN CAST(${expr} AS BLOB) ELSE ${expr} END`;
}

export function exactColumnList(alias: string, names: readonly string[]): string {
  return names.map((n) => exactColumns(`${alias}.${quoteIdent(n)}`)).join(', ');
}

export function readValue(type: string, v: unknown): SqlValue {
  switch (type) {
    case 'integer':
      return { type: 'integer', value: v as bigint };
    case 'real':
      return { type: 'real', value: v as number };
    case 'text':
      return { type: 'text', value: v as Uint8Array };
    case 'blob':
      return { type: 'blob', value: v as Uint8Array };
    default:
      return NULL_VALUE;
  }
}

/** Decode `count` values from a row of pairs starting at `offset`. */
export function readValues(row: unknown[], offset: number, count: number): SqlValue[] {
  const out = new Array<SqlValue>(count);
  for (let i = 0; i < count; i++) out[i] = readValue(row[offset + 2 * i] as string, row[offset + 2 * i + 1]);
  return out;
}
