// Row versions in the conflict store keep SQLite's exact values: integers as decimal strings,
// reals as numbers, text and blobs as hex — so `conflicts restore` puts back the same bytes.
import type { SqlValue } from '../../changeset/types.ts';
import { toJs, type JsValue } from '../../changeset/value.ts';

export type ExactValue = ['i', string] | ['r', number | string] | ['t', string] | ['b', string] | ['n'];

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export function toExact(v: SqlValue): ExactValue {
  switch (v.type) {
    case 'integer':
      return ['i', v.value.toString()];
    case 'real':
      return ['r', Number.isFinite(v.value) ? v.value : String(v.value)];
    case 'text':
      return ['t', hex(v.value)];
    case 'blob':
      return ['b', hex(v.value)];
    default:
      return ['n'];
  }
}

export function fromExact(e: ExactValue): SqlValue {
  switch (e[0]) {
    case 'i':
      return { type: 'integer', value: BigInt(e[1]) };
    case 'r':
      return { type: 'real', value: Number(e[1]) };
    case 't':
      return { type: 'text', value: new Uint8Array(Buffer.from(e[1], 'hex')) };
    case 'b':
      return { type: 'blob', value: new Uint8Array(Buffer.from(e[1], 'hex')) };
    case 'n':
      return { type: 'null' };
  }
}

/** A stored row version: column names and exact values, or null (no row: deleted / absent). */
export interface ExactRow {
  columns: string[];
  values: ExactValue[];
}

export function exactRow(columns: string[], values: SqlValue[] | null): ExactRow | null {
  return values ? { columns, values: values.map(toExact) } : null;
}

/** For people and --json: column → plain value (bytes as hex strings, integers as numbers when safe). */
export function readableRow(row: ExactRow | null): Record<string, JsValue | string> | null {
  if (!row) return null;
  const out: Record<string, JsValue | string> = {};
  row.columns.forEach((c, i) => {
    const v = fromExact(row.values[i]!);
    out[c] = v.type === 'blob' ? `x'${hex(v.value)}'` : toJs(v);
  });
  return out;
}
