// A growable output buffer: doubling capacity keeps writing a million rows linear.
import type { SqlValue } from './types.ts';
import { TYPE_BLOB, TYPE_INTEGER, TYPE_NULL, TYPE_REAL, TYPE_TEXT, TYPE_UNDEFINED } from './format.ts';

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(initialCapacity = 4096) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** An SQLite varint; session code only writes values below 2^31, which need at most 5 bytes. */
  varint(v: number): void {
    this.ensure(5);
    if (v < 0x80) {
      this.buf[this.len++] = v;
      return;
    }
    let groups = 1;
    while (v >= 2 ** (7 * groups)) groups++;
    for (let g = groups - 1; g >= 0; g--) {
      const bits = Math.floor(v / 2 ** (7 * g)) & 0x7f;
      this.buf[this.len++] = g === 0 ? bits : bits | 0x80;
    }
  }

  value(v: SqlValue): void {
    switch (v.type) {
      case 'integer':
        this.ensure(9);
        this.buf[this.len] = TYPE_INTEGER;
        this.view.setBigInt64(this.len + 1, v.value);
        this.len += 9;
        return;
      case 'real':
        this.ensure(9);
        this.buf[this.len] = TYPE_REAL;
        this.view.setFloat64(this.len + 1, v.value);
        this.len += 9;
        return;
      case 'text':
      case 'blob':
        this.byte(v.type === 'text' ? TYPE_TEXT : TYPE_BLOB);
        this.varint(v.value.length);
        this.bytes(v.value);
        return;
      case 'null':
        this.byte(TYPE_NULL);
        return;
      case 'undefined':
        this.byte(TYPE_UNDEFINED);
        return;
    }
  }

  get length(): number {
    return this.len;
  }

  /** The bytes written so far, not copied (for a buffer let go as soon as they are used). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** The bytes written since the last take (a copy trimmed to length); the buffer is kept for the next ones. */
  take(): Uint8Array {
    const bytes = this.buf.slice(0, this.len);
    this.len = 0;
    return bytes;
  }
}
