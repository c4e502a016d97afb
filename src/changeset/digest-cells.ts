// Cells on their way to the digest kernel (digest-kernel/cells.c): written straight into the
// kernel's memory, a row's name and key once and then its cells, and hashed a batch at a time;
// or a changeset's records, copied into the kernel a window at a time for it to read itself.
// A cell's hash input is the row's part — the table name's UTF-8 length (u32, big-endian) and
// bytes, then the key's values — and the cell's: its column number (u32, big-endian) and its
// value. Values are in their changeset encoding (type byte, then the bytes), which delimits
// itself, so no two cells share an input.
import { acquireKernel, releaseKernel, reserve, type Kernel } from './digest-kernel/kernel.ts';
import { TYPE_BLOB, TYPE_INTEGER, TYPE_NULL, TYPE_REAL, TYPE_TEXT } from './format.ts';

const LANES = 256;
// The kernel's memory from heapBase: where take() writes the sums, the table that records()
// reads for (key flags and row prefix), the window of changeset bytes, and then the batch.
const LANES_BYTES = LANES * 2;
const TABLE_BYTES = 1 << 16;
const WINDOW_BYTES = 1 << 20;
const BATCH_AT = LANES_BYTES + TABLE_BYTES + WINDOW_BYTES;
const TAG_ROW = 1;
const TAG_ADD = 2;
const TAG_REMOVE = 3;

/**
 * Sums cells into a table's lanes: target(lanes), then per row row(name), its key values
 * (keyRaw or keyValue) and its cells (cellRaw or cellValue); finish() once at the end.
 */
export class CellBatch {
  private readonly kernel: Kernel = acquireKernel();
  private bytes = new Uint8Array(0);
  private view = new DataView(this.bytes.buffer);
  private pos = 0;
  private rowStart = -1; // the current row's record, its length kept up to date as its key grows
  private into: Uint16Array | undefined;
  private tableFor: Uint8Array | undefined; // the name whose table records() last wrote
  private windowOf: Uint8Array | undefined; // the changeset the window holds, from windowStart to windowEnd
  private windowStart = 0;
  private windowEnd = 0;

  constructor() {
    this.resize(1 << 18);
  }

  /** Send the cells from here on to `lanes` (one table's digest). */
  target(lanes: Uint16Array): void {
    if (lanes === this.into) return;
    this.settle();
    this.into = lanes;
  }

  /** Start a row of the table named `name` (UTF-8); its key values follow. */
  row(name: Uint8Array): void {
    this.rowStart = -1;
    this.room(9 + name.length);
    this.rowStart = this.pos;
    this.bytes[this.pos] = TAG_ROW;
    this.view.setUint32(this.pos + 5, name.length);
    this.pos += 9;
    this.copy(name, 0, name.length);
    this.rowGrown();
  }

  /** A key value already in changeset encoding: `src` from `start` to `end`. */
  keyRaw(src: Uint8Array, start: number, end: number): void {
    this.room(end - start);
    this.copy(src, start, end);
    this.rowGrown();
  }

  /** A key value as read by exactColumns (src/repo/capture/values.ts): its typeof() and its value. */
  keyValue(type: string, value: unknown): void {
    this.room(encodedLength(type, value));
    this.putValue(type, value);
    this.rowGrown();
  }

  /** Add (sign 1) or remove (-1) the cell of `column` whose changeset-encoded value is `src` from `start` to `end`; NULL counts as absent. */
  cellRaw(column: number, src: Uint8Array, start: number, end: number, sign: 1 | -1): void {
    if (end - start === 1 && src[start] === TYPE_NULL) return;
    this.cellHead(column, end - start, sign);
    this.copy(src, start, end);
  }

  /** Likewise for a value as read by exactColumns. */
  cellValue(column: number, type: string, value: unknown, sign: 1 | -1): void {
    if (type === 'null') return;
    this.cellHead(column, encodedLength(type, value), sign);
    this.putValue(type, value);
  }

  /**
   * Add the cells of the records of one table in the changeset `src` from `start` on, as many as
   * the kernel takes whole; returns where it stopped: at a table header, at the end, or before a
   * record the caller must read itself (malformed, or larger than the kernel takes). `name` is
   * the table's name (UTF-8; the same array for the same table) and `pk` its key flags.
   */
  records(src: Uint8Array, start: number, pk: readonly boolean[], name: Uint8Array): number {
    if (this.into === undefined) throw new Error('digest records before their table: call target() first');
    const tableLength = pk.length + 4 + name.length;
    if (tableLength > TABLE_BYTES) return start;
    const memory = new Uint8Array(this.kernel.exports.memory.buffer);
    const table = this.kernel.heapBase + LANES_BYTES;
    if (name !== this.tableFor) {
      for (let i = 0; i < pk.length; i++) memory[table + i] = pk[i] ? 1 : 0;
      new DataView(memory.buffer).setUint32(table + pk.length, name.length);
      memory.set(name, table + pk.length + 4);
      this.tableFor = name;
    }
    let taken = this.walk(src, start, table, pk.length, tableLength - pk.length);
    if (taken === 0 && this.windowStart !== start && this.windowEnd < src.length) { // the window cut the record: move it
      this.load(src, start);
      taken = this.walk(src, start, table, pk.length, tableLength - pk.length);
    }
    return start + taken;
  }

  /** Hash what is left, add it to the lanes, and give the kernel back. The batch is done. */
  finish(): void {
    this.settle();
    this.into = undefined;
    this.tableFor = undefined;
    this.windowOf = undefined;
    releaseKernel(this.kernel);
  }

  private walk(src: Uint8Array, start: number, table: number, n: number, prefixLength: number): number {
    if (src !== this.windowOf || start < this.windowStart || start >= this.windowEnd) this.load(src, start);
    const window = this.kernel.heapBase + LANES_BYTES + TABLE_BYTES;
    return this.kernel.exports.add_records(window + start - this.windowStart, this.windowEnd - start, table, n, prefixLength);
  }

  private load(src: Uint8Array, start: number): void {
    const end = Math.min(src.length, start + WINDOW_BYTES);
    new Uint8Array(this.kernel.exports.memory.buffer).set(src.subarray(start, end), this.kernel.heapBase + LANES_BYTES + TABLE_BYTES);
    this.windowOf = src;
    this.windowStart = start;
    this.windowEnd = end;
  }

  private cellHead(column: number, valueLength: number, sign: 1 | -1): void {
    if (this.into === undefined) throw new Error('a digest cell before its table: call target() first');
    this.room(9 + valueLength);
    this.bytes[this.pos] = sign === 1 ? TAG_ADD : TAG_REMOVE;
    this.view.setUint32(this.pos + 1, 4 + valueLength, true);
    this.view.setUint32(this.pos + 5, column);
    this.pos += 9;
  }

  private rowGrown(): void {
    this.view.setUint32(this.rowStart + 1, this.pos - this.rowStart - 5, true);
  }

  /** Make room for `n` more bytes: hash the rows before the current one, and grow if it alone is too long. */
  private room(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    const keep = this.rowStart < 0 ? this.pos : this.rowStart;
    this.send(keep);
    this.bytes.copyWithin(0, keep, this.pos);
    this.pos -= keep;
    if (this.rowStart >= 0) this.rowStart = 0;
    if (this.pos + n > this.bytes.length) this.resize(2 * Math.max(this.pos + n, this.bytes.length));
  }

  private resize(capacity: number): void {
    const buffer = reserve(this.kernel, BATCH_AT + capacity); // memory grows in place: the batch so far stays
    this.bytes = new Uint8Array(buffer, this.kernel.heapBase + BATCH_AT, capacity);
    this.view = new DataView(buffer, this.kernel.heapBase + BATCH_AT, capacity);
  }

  private send(end: number): void {
    if (end === 0) return;
    if (this.kernel.exports.add_cells(this.kernel.heapBase + BATCH_AT, end) !== 0) throw new Error('the digest kernel refused a batch it was given');
  }

  private settle(): void {
    this.send(this.pos);
    this.pos = 0;
    this.rowStart = -1;
    const into = this.into;
    if (into === undefined) return;
    this.kernel.exports.take(this.kernel.heapBase);
    const sums = new Uint16Array(this.kernel.exports.memory.buffer, this.kernel.heapBase, LANES);
    for (let i = 0; i < LANES; i++) into[i]! += sums[i]!;
  }

  private copy(src: Uint8Array, start: number, end: number): void {
    if (end - start > 32) this.bytes.set(src.subarray(start, end), this.pos);
    else for (let i = start, p = this.pos; i < end; i++, p++) this.bytes[p] = src[i]!;
    this.pos += end - start;
  }

  private putValue(type: string, value: unknown): void {
    if (type === 'integer' || type === 'real') {
      this.bytes[this.pos] = type === 'integer' ? TYPE_INTEGER : TYPE_REAL;
      if (type === 'integer') this.view.setBigInt64(this.pos + 1, value as bigint);
      else this.view.setFloat64(this.pos + 1, value as number);
      this.pos += 9;
      return;
    }
    const b = value as Uint8Array;
    this.bytes[this.pos++] = type === 'text' ? TYPE_TEXT : TYPE_BLOB;
    this.pos = putVarint(this.bytes, this.pos, b.length);
    this.copy(b, 0, b.length);
  }
}

/** The changeset encoding's length of a non-NULL value read by exactColumns. */
function encodedLength(type: string, value: unknown): number {
  if (type === 'integer' || type === 'real') return 9;
  const n = (value as Uint8Array).length;
  return 1 + varintLength(n) + n;
}

function varintLength(n: number): number {
  let groups = 1;
  while (n >= 2 ** (7 * groups)) groups++;
  return groups;
}

/** An SQLite varint, as ByteWriter writes it (lengths below 2^31). */
function putVarint(out: Uint8Array, pos: number, n: number): number {
  const groups = varintLength(n);
  for (let g = groups - 1; g >= 0; g--) {
    const bits = Math.floor(n / 2 ** (7 * g)) & 0x7f;
    out[pos++] = g === 0 ? bits : bits | 0x80;
  }
  return pos;
}
