// A bounds-checked position in a changeset buffer. Every read checks the remaining length
// first, so malformed input costs at most one pass and never allocates more than it holds.
import { ChangesetFormatError } from '../errors/index.ts';
import type { SqlValue, TableHeader } from './types.ts';
import { NULL, UNDEFINED } from './value.ts';
import { hex2, MAX_COLUMNS, TYPE_BLOB, TYPE_INTEGER, TYPE_NULL, TYPE_REAL, TYPE_TEXT, TYPE_UNDEFINED } from './format.ts';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const MAX_LENGTH = 0x7fffffff; // SQLite's session code reads lengths as 31-bit ints

export class ByteCursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly end: number;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  byte(what: string): number {
    if (this.pos >= this.end) throw new ChangesetFormatError(`truncated: missing ${what}`, this.pos);
    return this.bytes[this.pos++]!;
  }

  /** An SQLite varint (1–9 bytes, big-endian groups of 7 bits, the 9th byte whole). */
  varint(what: string): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 9; i++) {
      if (this.pos >= this.end) throw new ChangesetFormatError(`truncated varint (${what})`, start);
      const b = this.bytes[this.pos++]!;
      if (i === 8) value = value * 256 + b;
      else value = value * 128 + (b & 0x7f);
      if (value > MAX_LENGTH) throw new ChangesetFormatError(`${what} ${value} is too large`, start);
      if (i < 8 && b < 0x80) break;
    }
    return value;
  }

  tableHeader(): TableHeader {
    const start = this.pos++; // the 'T' or 'P' marker
    const nCol = this.varint('column count');
    if (nCol < 1 || nCol > MAX_COLUMNS) {
      throw new ChangesetFormatError(`table header claims ${nCol} columns (1 to ${MAX_COLUMNS} allowed)`, start + 1);
    }
    if (this.end - this.pos < nCol) throw new ChangesetFormatError('truncated primary-key flags in table header', this.pos);
    const pkIndex = Array.from(this.bytes.subarray(this.pos, this.pos + nCol));
    this.pos += nCol;
    const nul = this.bytes.indexOf(0, this.pos);
    if (nul < 0) throw new ChangesetFormatError('table name without a NUL terminator', this.pos);
    let name: string;
    try {
      name = utf8Strict.decode(this.bytes.subarray(this.pos, nul));
    } catch {
      throw new ChangesetFormatError('table name is not valid UTF-8', this.pos);
    }
    this.pos = nul + 1;
    return { name, pk: pkIndex.map((b) => b !== 0), pkIndex };
  }

  value(mustBeDefined: boolean): SqlValue {
    const at = this.pos;
    const type = this.byte('value type');
    switch (type) {
      case TYPE_INTEGER:
      case TYPE_REAL: {
        if (this.end - this.pos < 8) throw new ChangesetFormatError('truncated 8-byte number', at);
        const p = this.pos;
        this.pos += 8;
        return type === TYPE_INTEGER
          ? { type: 'integer', value: this.view.getBigInt64(p) }
          : { type: 'real', value: this.view.getFloat64(p) };
      }
      case TYPE_TEXT:
      case TYPE_BLOB: {
        const n = this.varint(type === TYPE_TEXT ? 'text length' : 'blob length');
        if (n > this.end - this.pos) {
          throw new ChangesetFormatError(`${type === TYPE_TEXT ? 'text' : 'blob'} of ${n} bytes runs past the end`, at);
        }
        const value = this.bytes.subarray(this.pos, this.pos + n);
        this.pos += n;
        return type === TYPE_TEXT ? { type: 'text', value } : { type: 'blob', value };
      }
      case TYPE_NULL:
        return NULL;
      case TYPE_UNDEFINED:
        if (mustBeDefined) throw new ChangesetFormatError('undefined value (type 0x00) where the format requires a value', at);
        return UNDEFINED;
      default:
        throw new ChangesetFormatError(`unknown value type 0x${hex2(type)}`, at);
    }
  }

  /** Step over a value with the checks of value(), allocating nothing (table scans). */
  skipValue(mustBeDefined: boolean): void {
    const at = this.pos;
    const type = this.byte('value type');
    if (type === TYPE_INTEGER || type === TYPE_REAL) {
      if (this.end - this.pos < 8) throw new ChangesetFormatError('truncated 8-byte number', at);
      this.pos += 8;
    } else if (type === TYPE_TEXT || type === TYPE_BLOB) {
      const n = this.varint(type === TYPE_TEXT ? 'text length' : 'blob length');
      if (n > this.end - this.pos) throw new ChangesetFormatError(`${type === TYPE_TEXT ? 'text' : 'blob'} of ${n} bytes runs past the end`, at);
      this.pos += n;
    } else if (type === TYPE_UNDEFINED) {
      if (mustBeDefined) throw new ChangesetFormatError('undefined value (type 0x00) where the format requires a value', at);
    } else if (type !== TYPE_NULL) {
      throw new ChangesetFormatError(`unknown value type 0x${hex2(type)}`, at);
    }
  }

  /**
   * A record of one field per column. `required` says which fields must hold a value:
   * 'all' (INSERT, changeset DELETE), 'key' (the key of an UPDATE) or 'none' (UPDATE new.*).
   */
  record(pk: boolean[], required: 'all' | 'key' | 'none'): SqlValue[] {
    const n = pk.length;
    const values = new Array<SqlValue>(n);
    for (let i = 0; i < n; i++) values[i] = this.value(required === 'all' || (required === 'key' && pk[i]!));
    return values;
  }

  /** A patchset DELETE record: fields for the key columns only; the others come back undefined. */
  keyRecord(pk: boolean[]): SqlValue[] {
    const values = new Array<SqlValue>(pk.length);
    for (let i = 0; i < pk.length; i++) values[i] = pk[i] ? this.value(true) : UNDEFINED;
    return values;
  }
}
