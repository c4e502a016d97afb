// Conversions between SqlValue (the changeset's exact model) and what node:sqlite
// reads and binds (with readBigInts: INTEGER as bigint, REAL as number).
import type { SqlValue } from './types.ts';

export type JsValue = bigint | number | string | Uint8Array | null;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

// Shared by every decoded NULL and "not present" value, hence frozen.
export const NULL: SqlValue = Object.freeze({ type: 'null' });
export const UNDEFINED: SqlValue = Object.freeze({ type: 'undefined' });

export function fromJs(v: JsValue): SqlValue {
  if (v === null) return NULL;
  if (typeof v === 'bigint') return { type: 'integer', value: v };
  if (typeof v === 'number') {
    // node:sqlite reads REAL as number; a number bound from elsewhere may be integral.
    return { type: 'real', value: v };
  }
  if (typeof v === 'string') return { type: 'text', value: utf8.encode(v) };
  return { type: 'blob', value: v };
}

/** The value to bind with node:sqlite. TEXT that is not valid UTF-8 cannot be a JS string exactly: see isValidUtf8. */
export function toJs(v: SqlValue): JsValue {
  switch (v.type) {
    case 'integer':
      return v.value;
    case 'real':
      return v.value;
    case 'text':
      return utf8Lossy.decode(v.value);
    case 'blob':
      return v.value;
    case 'null':
    case 'undefined':
      return null;
  }
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function textValue(s: string): SqlValue {
  return { type: 'text', value: utf8.encode(s) };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** A SQL literal that reads back as exactly this value, type included. */
export function sqlLiteral(v: SqlValue): string {
  switch (v.type) {
    case 'integer':
      return v.value.toString();
    case 'real': {
      if (Number.isNaN(v.value)) return 'NULL'; // SQLite stores NaN as NULL
      if (v.value === Infinity) return '9e999';
      if (v.value === -Infinity) return '-9e999';
      if (Object.is(v.value, -0)) return '-0.0'; // String(-0) is "0": the sign would be lost
      const s = String(v.value); // shortest form that round-trips bit for bit
      return /[.eE]/.test(s) ? s : `${s}.0`;
    }
    case 'text':
      // A NUL byte would end the statement for the sqlite3 shell and most C callers.
      return isValidUtf8(v.value) && !v.value.includes(0)
        ? `'${utf8Strict.decode(v.value).replaceAll("'", "''")}'`
        : `CAST(X'${hex(v.value)}' AS TEXT)`;
    case 'blob':
      return `X'${hex(v.value)}'`;
    case 'null':
      return 'NULL';
    case 'undefined':
      throw new Error('an undefined changeset value has no SQL literal');
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function sameValue(a: SqlValue, b: SqlValue): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'integer':
      return a.value === (b as typeof a).value;
    case 'real':
      return Object.is(a.value, (b as typeof a).value) || a.value === (b as typeof a).value;
    case 'text':
    case 'blob':
      return Buffer.compare(a.value, (b as typeof a).value) === 0;
    default:
      return true;
  }
}
