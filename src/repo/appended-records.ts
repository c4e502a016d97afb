// The changeset of rows appended to a table keyed by its rowid (appended-rows.ts proves them the
// only new ones), made from the live database's pages instead of by a session: the table's
// b-tree is walked from its root to the leaves holding rowids above the base's largest
// (sqlite.org/fileformat2.html#b_tree_pages), and each cell's record becomes an INSERT record
// (src/changeset: op 18, not indirect, one value per column). The bytes are the ones the
// sessions of capture-base.ts write for the same rows: the same pieces (FIRST_PIECE_ROWS rows,
// then as nextPieceRows says), each with its table header, its rows in the order a session's
// hash table lists them (sessionOrder), and each value as a session reads it back:
// - the INTEGER PRIMARY KEY is stored as NULL, its value is the rowid;
// - a column with REAL affinity may store an integral real as an integer: read, it is a REAL
//   (what SQLite's OP_RealAffinity does: the integer converted, rounding to nearest);
// - serial types 8 and 9 are the integers 0 and 1; >= 12, even a BLOB, odd a TEXT.
// Anything else gives up, and the caller captures the table as before: a record shorter than
// the table (a column added since; its default would need SQLite's evaluation), serial types
// 10 and 11, a page that is not a table b-tree page, a record that does not parse exactly, an
// overflow chain that does not end where its cell says, text not in UTF-8.
import { pkBytes } from '../changeset/writer.ts';
import type { TableHeader } from '../changeset/types.ts';
import { FIRST_PIECE_ROWS, MAX_PIECE_ROWS, nextPieceRows } from './entry-file.ts';
import type { SnapshotPages } from './snapshot-pages.ts';

export interface AppendedTable {
  header: TableHeader;
  /** The column that is the rowid (INTEGER PRIMARY KEY). */
  keyIndex: number;
  /** Per column, whether it has REAL affinity. */
  real: boolean[];
  /** The table's root page. */
  root: number;
  /** Only rows whose rowid is above this; all when null. */
  above: bigint | null;
}

/** Writes the INSERT records of `table`'s rows above `above`, piece by piece; the number of rows, or why not (then drop what was written). */
export function appendedRecords(pages: SnapshotPages, table: AppendedTable, write: (piece: Uint8Array) => void): number | string {
  if (pages.textEncoding !== 1) return 'its text is not UTF-8';
  return new RecordWalk(pages, table, write).run();
}

/** SQLite's REAL affinity for a declared type (sqlite.org/datatype3.html#determination_of_column_affinity). */
export function hasRealAffinity(declared: string): boolean {
  const type = declared.toUpperCase();
  return !type.includes('INT') && !/CHAR|CLOB|TEXT/.test(type) && !(type === '' || type.includes('BLOB')) && /REAL|FLOA|DOUB/.test(type);
}

class RecordWalk {
  private readonly pages: SnapshotPages;
  private readonly table: AppendedTable;
  private readonly write: (piece: Uint8Array) => void;
  private readonly header: Buffer;
  private readonly aboveHi: number;
  private readonly aboveLo: number;
  private readonly leaf: Buffer;
  private spill = Buffer.alloc(0);
  /** The piece being made: its records one after the other, where each ends, each row's rowid as two 32-bit halves. */
  private stage = Buffer.alloc(1 << 20);
  /** The piece written, in the session's order: one buffer reused, the entry copies it out. */
  private piece = Buffer.alloc(0);
  private used = 0;
  private staged = 0;
  private readonly ends = new Int32Array(MAX_PIECE_ROWS);
  private readonly lows = new Uint32Array(MAX_PIECE_ROWS);
  private readonly highs = new Int32Array(MAX_PIECE_ROWS);
  private readonly real: Uint8Array;
  private readonly keyIndex: number;
  private pieceRows = FIRST_PIECE_ROWS;
  private rows = 0;
  /** The last varint read: its value as two 32-bit halves (high signed), and where it ended. */
  private vHi = 0;
  private vLo = 0;
  private vEnd = 0;

  constructor(pages: SnapshotPages, table: AppendedTable, write: (piece: Uint8Array) => void) {
    this.pages = pages;
    this.table = table;
    this.write = write;
    const name = Buffer.from(table.header.name, 'utf8');
    const n = table.header.pk.length;
    this.header = Buffer.concat([Buffer.from([0x54]), varintBytes(n), Buffer.from(pkBytes(table.header)), name, Buffer.from([0])]);
    const above = table.above === null ? null : BigInt.asUintN(64, table.above);
    this.aboveHi = above === null ? -0x80000000 : Number(BigInt.asIntN(32, above >> 32n));
    this.aboveLo = above === null ? -1 : Number(above & 0xffffffffn);
    this.leaf = Buffer.alloc(pages.pageSize);
    this.real = Uint8Array.from(table.real, (r) => (r ? 1 : 0));
    this.keyIndex = table.keyIndex;
  }

  run(): number | string {
    const pages = this.pages;
    const stack = [this.table.root];
    let visits = 0;
    for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
      if (p < 2 || p > pages.pageCount || ++visits > pages.pageCount) return 'its b-tree reaches a page it cannot have';
      const page = pages.page(p);
      const type = page[0];
      if (type === 0x05) {
        const cells = page.readUInt16BE(3);
        if (12 + 2 * cells > page.length) return 'a page does not parse';
        stack.push(page.readUInt32BE(8)); // the rightmost child: rowids above every cell's
        for (let i = cells - 1; i >= 0; i--) {
          const at = page.readUInt16BE(12 + 2 * i);
          if (at + 5 > page.length || this.varint(page, at + 4) === null) return 'a page does not parse';
          if (!this.aboveMark()) break; // this child and those left of it hold no rowid above the mark
          stack.push(page.readUInt32BE(at));
        }
      } else if (type === 0x0d) {
        page.copy(this.leaf); // an overflow chain's pages are read through the same buffers
        const why = this.leafRows(this.leaf);
        if (why !== null) return why;
      } else return 'a page of its b-tree is not a table page';
    }
    this.flush();
    return this.rows;
  }

  private leafRows(page: Buffer): string | null {
    const cells = page.readUInt16BE(3);
    if (8 + 2 * cells > page.length) return 'a page does not parse';
    const U = this.pages.usable;
    const maxLocal = U - 35;
    for (let i = 0; i < cells; i++) {
      let at = (page[8 + 2 * i]! << 8) | page[9 + 2 * i]!;
      let size = page[at]!;
      if (size < 0x80 && at < page.length) at++;
      else {
        if (this.varint(page, at) === null || this.vHi !== 0 || this.vLo > 0x7fffffff) return 'a cell does not parse';
        size = this.vLo;
        at = this.vEnd;
      }
      if (this.varint(page, at) === null) return 'a cell does not parse';
      at = this.vEnd;
      if (!this.aboveMark()) continue;
      const hi = this.vHi;
      const lo = this.vLo;
      let bytes = page;
      let start = at;
      if (size > maxLocal) {
        const spilled = this.unspill(page, at, size);
        if (spilled !== null) return spilled;
        bytes = this.spill;
        start = 0;
      } else if (at + size > page.length) return 'a cell does not parse';
      const why = this.record(bytes, start, size, hi, lo);
      if (why !== null) return why;
    }
    return null;
  }

  /** The payload of a cell that overflows, whole, into `spill`; null, or why not. */
  private unspill(page: Buffer, at: number, size: number): string | null {
    const U = this.pages.usable;
    const minLocal = Math.floor(((U - 12) * 32) / 255) - 23;
    const k = minLocal + ((size - minLocal) % (U - 4));
    const local = k <= U - 35 ? k : minLocal;
    if (at + local + 4 > page.length) return 'a cell does not parse';
    if (this.spill.length < size) this.spill = Buffer.alloc(Math.max(size, 2 * this.spill.length));
    page.copy(this.spill, 0, at, at + local);
    let next = page.readUInt32BE(at + local);
    for (let got = local; got < size; ) {
      if (next < 2 || next > this.pages.pageCount) return 'an overflow chain ends early';
      const overflow = this.pages.page(next);
      const take = Math.min(U - 4, size - got);
      overflow.copy(this.spill, got, 4, 4 + take);
      got += take;
      next = overflow.readUInt32BE(0);
    }
    return next === 0 ? null : 'an overflow chain goes on past its cell';
  }

  /** Stage the INSERT record of the row whose record is `bytes[start, start + size)`. */
  private record(bytes: Buffer, start: number, size: number, hi: number, lo: number): string | null {
    const real = this.real;
    const keyIndex = this.keyIndex;
    const columns = real.length;
    const end = start + size;
    let headerEnd = bytes[start]!;
    let at = start + 1;
    if (headerEnd >= 0x80 || start >= end) {
      if (this.varint(bytes, start) === null || this.vHi !== 0) return 'a record does not parse';
      headerEnd = this.vLo;
      at = this.vEnd;
    }
    if (headerEnd > size) return 'a record does not parse';
    headerEnd += start;
    let body = headerEnd;
    this.reserve(2 + 10 * columns + size);
    const out = this.stage;
    let o = this.used;
    out[o++] = 18; // INSERT
    out[o++] = 0; // not indirect
    for (let c = 0; c < columns; c++) {
      if (at >= headerEnd) return 'a record is shorter than its table';
      let serial = bytes[at]!;
      if (serial < 0x80) at++;
      else {
        if (this.varint(bytes, at) === null || this.vHi !== 0) return 'a record does not parse';
        at = this.vEnd;
        serial = this.vLo;
      }
      if (c === keyIndex) {
        if (serial !== 0) return 'a record holds its rowid alias';
        out[o] = 1;
        out[o + 1] = hi >>> 24;
        out[o + 2] = hi >>> 16;
        out[o + 3] = hi >>> 8;
        out[o + 4] = hi;
        out[o + 5] = lo >>> 24;
        out[o + 6] = lo >>> 16;
        out[o + 7] = lo >>> 8;
        out[o + 8] = lo;
        o += 9;
      } else if (serial === 0) out[o++] = 5;
      else if (serial <= 6) {
        const len = serial <= 4 ? serial : serial === 5 ? 6 : 8;
        if (body + len > end) return 'a record does not parse';
        if (real[c]) {
          out[o++] = 2;
          o = out.writeDoubleBE(len === 8 ? Number(bytes.readBigInt64BE(body)) : bytes.readIntBE(body, len), o);
        } else {
          out[o++] = 1;
          const sign = bytes[body]! & 0x80 ? 0xff : 0;
          for (let k = len; k < 8; k++) out[o++] = sign;
          for (let k = 0; k < len; k++) out[o++] = bytes[body + k]!;
        }
        body += len;
      } else if (serial === 7) {
        if (body + 8 > end) return 'a record does not parse';
        out[o++] = 2;
        for (let k = 0; k < 8; k++) out[o++] = bytes[body + k]!;
        body += 8;
      } else if (serial === 8 || serial === 9) {
        if (real[c]) {
          out[o++] = 2;
          o = out.writeDoubleBE(serial - 8, o);
        } else {
          out[o++] = 1;
          for (let k = 0; k < 7; k++) out[o++] = 0;
          out[o++] = serial - 8;
        }
      } else if (serial >= 12) {
        const len = (serial - 12) >>> 1;
        if (body + len > end) return 'a record does not parse';
        out[o++] = serial & 1 ? 3 : 4;
        if (len < 0x80) out[o++] = len;
        else o = putVarint(out, o, len);
        if (len <= 64) for (let k = 0; k < len; k++) out[o++] = bytes[body + k]!;
        else o += bytes.copy(out, o, body, body + len);
        body += len;
      } else return 'a record has a reserved serial type';
    }
    if (at !== headerEnd || body !== end) return at !== headerEnd ? 'a record is longer than its table' : 'a record does not parse';
    const r = this.staged++;
    this.ends[r] = o;
    this.lows[r] = lo;
    this.highs[r] = hi;
    this.used = o;
    this.rows++;
    if (this.staged === this.pieceRows) this.flush();
    return null;
  }

  /** The staged rows, as one changeset in a session's order, written. */
  private flush(): void {
    const n = this.staged;
    if (n === 0) return;
    const size = this.header.length + this.used;
    if (this.piece.length < size) this.piece = Buffer.alloc(2 * size);
    const piece = this.piece;
    const stage = this.stage;
    const ends = this.ends;
    this.header.copy(piece);
    let o = this.header.length;
    for (const r of sessionOrder(this.lows.subarray(0, n), this.highs.subarray(0, n))) {
      const from = r === 0 ? 0 : ends[r - 1]!;
      piece.set(stage.subarray(from, ends[r]!), o);
      o += ends[r]! - from;
    }
    this.write(piece.subarray(0, o));
    this.pieceRows = nextPieceRows(this.pieceRows, o);
    this.used = 0;
    this.staged = 0;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.stage.length) return;
    const bigger = Buffer.alloc(Math.max(2 * this.stage.length, this.used + bytes));
    this.stage.copy(bigger, 0, 0, this.used);
    this.stage = bigger;
  }

  /** The last varint read is above the mark (`above`). */
  private aboveMark(): boolean {
    return this.vHi > this.aboveHi || (this.vHi === this.aboveHi && this.vLo >>> 0 > this.aboveLo);
  }

  /** Reads a SQLite varint at `at` into vHi/vLo/vEnd; null past the buffer's end. */
  private varint(bytes: Buffer, at: number): true | null {
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < 9; i++) {
      if (at + i >= bytes.length) return null;
      const c = bytes[at + i]!;
      if (i === 8) {
        hi = (hi << 8) | (lo >>> 24);
        lo = ((lo << 8) | c) >>> 0;
        this.vEnd = at + 9;
        break;
      }
      hi = (hi << 7) | (lo >>> 25);
      lo = ((lo << 7) | (c & 0x7f)) >>> 0;
      if (c < 0x80) {
        this.vEnd = at + i + 1;
        break;
      }
    }
    this.vHi = hi;
    this.vLo = lo;
    return true;
  }
}

/**
 * The order in which a session lists `n` rows it recorded as inserted, keyed by these rowids
 * (low and high 32 bits): its hash table's buckets in order, each bucket's rows newest first —
 * SQLite's sqlite3session.c (sessionPreupdateHash, sessionGrowHash), replayed: 256 buckets at
 * first, doubled (rehashing bucket by bucket) whenever half full before a row is added.
 */
export function sessionOrder(lows: ArrayLike<number>, highs: ArrayLike<number>): Int32Array {
  const n = lows.length;
  const next = new Int32Array(n);
  const hashes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 1; // HASH_APPEND(0, SQLITE_INTEGER)
    h = ((h << 3) ^ h ^ lows[i]!) >>> 0;
    h = ((h << 3) ^ h ^ highs[i]!) >>> 0;
    hashes[i] = h;
  }
  let buckets = 0;
  let heads = new Int32Array(0);
  for (let i = 0; i < n; i++) {
    if (buckets === 0 || i >= buckets / 2) {
      const grown = new Int32Array(buckets === 0 ? 256 : 2 * buckets).fill(-1);
      for (let b = 0; b < buckets; b++) {
        for (let r = heads[b]!, following; r !== -1; r = following) {
          following = next[r]!;
          const at = hashes[r]! % grown.length;
          next[r] = grown[at]!;
          grown[at] = r;
        }
      }
      heads = grown;
      buckets = grown.length;
    }
    const at = hashes[i]! % buckets;
    next[i] = heads[at]!;
    heads[at] = i;
  }
  const order = new Int32Array(n);
  let k = 0;
  for (let b = 0; b < buckets; b++) for (let r = heads[b]!; r !== -1; r = next[r]!) order[k++] = r;
  return order;
}

function putVarint(out: Buffer, at: number, value: number): number {
  if (value < 0x80) {
    out[at] = value;
    return at + 1;
  }
  const bytes = varintBytes(value);
  bytes.copy(out, at);
  return at + bytes.length;
}

/** A SQLite varint of a value below 2^53 (lengths, counts). */
function varintBytes(value: number): Buffer {
  const groups: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    groups.unshift(v % 128);
    if (v < 128) break;
  }
  return Buffer.from(groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
}
