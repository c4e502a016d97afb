// The changeset of rows appended to a table keyed by its rowid (appended-rows.ts proves them the
// only new ones), made from the live database's pages instead of by a session: the table's
// b-tree is walked from its root to the leaves holding rowids above the base's largest
// (sqlite.org/fileformat2.html#b_tree_pages), and each cell's record becomes an INSERT record
// (src/changeset: op 18, not indirect, one value per column). The bytes are the ones the
// sessions of capture-base.ts write for the same rows: the same pieces (FIRST_PIECE_ROWS rows,
// then as nextPieceRows says), each with its table header, its rows in the order a session's
// hash table lists them (SQLite's sqlite3session.c replayed: its hash of the rowid, 256
// buckets doubled whenever half full, each bucket newest first), and each value as a session
// reads it back:
// - the INTEGER PRIMARY KEY is stored as NULL, its value is the rowid (a table without one, as
//   digest-pages.ts reads, has the rowid as an implicit column 0 before the record's);
// - a column with REAL affinity may store an integral real as an integer: read, it is a REAL
//   (what SQLite's OP_RealAffinity does: the integer converted, rounding to nearest);
// - serial types 8 and 9 are the integers 0 and 1; >= 12, even a BLOB, odd a TEXT.
// Anything else gives up, and the caller captures the table as before: a record shorter than
// the table (a column added since; its default would need SQLite's evaluation), serial types
// 10 and 11, a page that is not a table b-tree page, a record that does not parse exactly, an
// overflow chain that does not end where its cell says, text not in UTF-8; and, since the file
// may come from a hub and be crafted (digest-pages.ts), rowids that do not strictly ascend over
// the walk (a page reached twice), a path deeper than SQLite's, a page below the root without
// cells, more cells than SQLite allows on a page, a cell larger than the file.
// The b-tree is walked here; each leaf's cells are translated by a WebAssembly kernel
// (appended-kernel/records.c): 0.22 s of CPU for 3,000,000 rows against 0.9 s in TypeScript.
import { pkBytes } from '../../changeset/writer.ts';
import type { TableHeader } from '../../changeset/types.ts';
import { RECORDS_WASM_BASE64 } from './appended-kernel/records-wasm.ts';
import type { SnapshotPages } from '../pages/snapshot-pages.ts';

export interface AppendedTable {
  header: TableHeader;
  /** The column that is the rowid (INTEGER PRIMARY KEY); -1: the rowid is an implicit column 0, which the records do not hold (a table without one). */
  keyIndex: number;
  /** Per column of the changeset (the implicit rowid's too), whether it has REAL affinity. */
  real: boolean[];
  /** The table's root page. */
  root: number;
  /** Only rows whose rowid is above this; all when null. */
  above: bigint | null;
}

/** Writes the INSERT records of `table`'s rows above `above`, piece by piece; the number of rows, or why not (then drop what was written). */
export function appendedRecords(pages: SnapshotPages, table: AppendedTable, write: (piece: Uint8Array) => void): number | string {
  if (pages.textEncoding !== 1) return 'its text is not UTF-8';
  const walk = new RecordWalk(pages, table, write);
  try {
    return walk.run();
  } finally {
    walk.release();
  }
}

// What this file uses of WebAssembly's JavaScript API (its types live in TypeScript's DOM library, not in @types/node).
interface WasmModule {
  readonly kind?: 'module';
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { exports: unknown };
};

interface RecordsKernel {
  memory: { readonly buffer: ArrayBuffer };
  setup(columns: number, keyIndex: number, usable: number, everyRow: number, markHi: number, markLo: number, headerBytes: number): number;
  leaf_ptr(): number;
  real_ptr(): number;
  header_ptr(): number;
  out_ptr(): number;
  out_len(): number;
  resume_at(): number;
  rows(): number;
  spill_ptr(size: number): number;
  flush(): number;
  record(at: number, size: number, hi: number, lo: number): number;
  leaf(from: number): number;
}

/** SQLite's deepest b-tree (BTCURSOR_MAX_DEPTH): a path longer is corrupt to it. */
const MAX_DEPTH = 20;
const DONE = -1;
const PIECE = -2;
const WHY: Record<number, string> = {
  [-10]: 'a cell does not parse',
  [-11]: 'a record is shorter than its table',
  [-12]: 'a record is longer than its table',
  [-13]: 'a record holds its rowid alias',
  [-14]: 'a record has a reserved serial type',
  [-15]: 'a record does not parse',
  [-16]: 'its rowids do not ascend',
};

let compiled: WasmModule | undefined;
/**
 * A kernel done with, kept for the next walk while its memory is small: making one and its fixed
 * areas costs ≈ 3 ms, as much as reading 20,000 rows (a clone's many small tables).
 */
let idle: RecordsKernel | undefined;
const KEPT_KERNEL_BYTES = 64 * 2 ** 20;

/**
 * Let the kept kernel go (the collector frees its memory): after a scan of a whole file
 * (digest-pages.ts), which may have grown it by tens of MB (a first piece of 8,192 rows of
 * 1 KB blobs), for a command that goes on to other work (a clone's pull).
 */
export function dropKeptKernel(): void {
  idle = undefined;
}

/** The walk of the b-tree, in TypeScript; each leaf's cells, in the kernel (appended-kernel/records.c). */
class RecordWalk {
  private readonly pages: SnapshotPages;
  private readonly table: AppendedTable;
  private readonly write: (piece: Uint8Array) => void;
  private readonly kernel: RecordsKernel;
  private readonly aboveHi: number;
  private readonly aboveLo: number;
  /** The last varint read: its value as two 32-bit halves (high signed), and where it ended. */
  private vHi = 0;
  private vLo = 0;
  private vEnd = 0;
  private leafView: Buffer | undefined;
  /** Pages of the b-tree and of overflow chains read: never more than the file has, in a sound file each is read once. */
  private pagesRead = 0;

  constructor(pages: SnapshotPages, table: AppendedTable, write: (piece: Uint8Array) => void) {
    this.pages = pages;
    this.table = table;
    this.write = write;
    compiled ??= new WebAssembly.Module(Buffer.from(RECORDS_WASM_BASE64, 'base64'));
    this.kernel = idle ?? (new WebAssembly.Instance(compiled).exports as RecordsKernel);
    idle = undefined; // setup() starts it afresh
    const above = table.above === null ? null : BigInt.asUintN(64, table.above);
    this.aboveHi = above === null ? -0x80000000 : Number(BigInt.asIntN(32, above >> 32n));
    this.aboveLo = above === null ? -1 : Number(above & 0xffffffffn);
  }

  /** The kernel kept for the next walk, unless its memory grew large (a long record's). */
  release(): void {
    if (this.kernel.memory.buffer.byteLength <= KEPT_KERNEL_BYTES) idle = this.kernel;
  }

  /** The kernel's leaf page: one view, made again only when the memory grew (its buffer is then another). */
  private leaf(): Buffer {
    if (this.leafView?.buffer !== this.kernel.memory.buffer) this.leafView = this.memory(this.kernel.leaf_ptr(), this.pages.pageSize);
    return this.leafView!;
  }

  private memory(at: number, length: number): Buffer {
    return Buffer.from(this.kernel.memory.buffer, at, length); // the memory's buffer changes when it grows
  }

  run(): number | string {
    const { kernel, pages, table } = this;
    const header = Buffer.concat([Buffer.from([0x54]), varintBytes(table.header.pk.length), Buffer.from(pkBytes(table.header)), Buffer.from(table.header.name, 'utf8'), Buffer.from([0])]);
    const markHi = (this.aboveHi ^ 0x80000000) >>> 0;
    if (!kernel.setup(table.real.length, table.keyIndex, pages.usable, table.above === null ? 1 : 0, markHi, this.aboveLo >>> 0, header.length)) return 'its rows do not fit in memory';
    header.copy(this.memory(kernel.header_ptr(), header.length));
    this.memory(kernel.real_ptr(), table.real.length).set(table.real.map((r) => (r ? 1 : 0)));
    // Depth first, leftmost child first: rowids ascend, which the kernel holds every row to (a
    // page reached twice, or out of order, is refused). SQLite's own checks on the way are kept:
    // a path at most MAX_DEPTH pages long, no page but the root without cells, at most MX_CELL cells.
    const stack = [table.root];
    const depths = [0];
    const mostCells = Math.floor((pages.usable - 8) / 6);
    for (let p = stack.pop(), depth = depths.pop()!; p !== undefined; p = stack.pop(), depth = depths.pop()!) {
      if (p < 2 || p > pages.pageCount || ++this.pagesRead > pages.pageCount || depth >= MAX_DEPTH) return 'its b-tree reaches a page it cannot have';
      const type = pages.firstByte(p);
      if (type === 0x05) {
        const page = pages.page(p).subarray(0, pages.usable);
        const cells = page.readUInt16BE(3);
        if (cells === 0 || cells > mostCells) return 'a page does not parse';
        stack.push(page.readUInt32BE(8)); // the rightmost child: rowids above every cell's
        depths.push(depth + 1);
        for (let i = cells - 1; i >= 0; i--) {
          const at = page.readUInt16BE(12 + 2 * i);
          if (at + 5 > page.length || this.varint(page, at + 4) === null) return 'a page does not parse';
          if (!this.aboveMark()) break; // this child and those left of it hold no rowid above the mark
          stack.push(page.readUInt32BE(at));
          depths.push(depth + 1);
        }
      } else if (type === 0x0d) {
        const leaf = this.leaf();
        pages.copyPage(p, leaf); // an overflow chain's pages are read through the same buffers
        if (depth > 0 && leaf.readUInt16BE(3) === 0) return 'a page does not parse';
        const why = this.leafRows();
        if (why !== null) return why;
      } else return 'a page of its b-tree is not a table page';
    }
    if (!kernel.flush()) return 'its rows do not fit in memory';
    this.piece();
    return kernel.rows();
  }

  /** The leaf in the kernel, cell after cell; null, or why not. */
  private leafRows(): string | null {
    const kernel = this.kernel;
    for (let from = 0; ; ) {
      const got = kernel.leaf(from);
      if (got === DONE) return null;
      if (got === PIECE) {
        this.piece();
        from = kernel.resume_at();
      } else if (got >= 0) {
        const why = this.overflowing(got);
        if (why !== null) return why;
        from = got + 1;
      } else return WHY[got] ?? 'a cell does not parse';
    }
  }

  /** Cell `i` of the leaf in the kernel, whose payload continues on overflow pages, put together and staged. */
  private overflowing(i: number): string | null {
    const kernel = this.kernel;
    const page = this.memory(kernel.leaf_ptr(), this.pages.usable);
    let at = page.readUInt16BE(8 + 2 * i);
    if (this.varint(page, at) === null || this.vHi !== 0 || this.vLo > 0x7fffffff) return 'a cell does not parse';
    const size = this.vLo;
    if (size > this.pages.usable + this.pages.pageCount * (this.pages.usable - 4)) return 'a cell is larger than its file'; // memory bounded by the file
    if (this.varint(page, this.vEnd) === null) return 'a cell does not parse';
    at = this.vEnd;
    const [hi, lo] = [this.vHi >>> 0, this.vLo];
    const spillAt = kernel.spill_ptr(size);
    if (spillAt === 0) return 'its rows do not fit in memory';
    const why = this.unspill(this.memory(kernel.leaf_ptr(), this.pages.usable), at, size, this.memory(spillAt, size)); // the spill may have grown the memory: a view made again
    if (why !== null) return why;
    const staged = kernel.record(spillAt, size, hi, lo);
    if (staged < 0) return WHY[staged] ?? 'a record does not parse';
    if (staged === 1) {
      if (!kernel.flush()) return 'its rows do not fit in memory';
      this.piece();
    }
    return null;
  }

  /** The piece the kernel made, written. */
  private piece(): void {
    const length = this.kernel.out_len();
    if (length === 0) return;
    this.write(this.memory(this.kernel.out_ptr(), length));
  }

  /** The payload of a cell that overflows, whole, into `spill`; null, or why not. */
  private unspill(page: Buffer, at: number, size: number, spill: Buffer): string | null {
    const U = this.pages.usable;
    const minLocal = Math.floor(((U - 12) * 32) / 255) - 23;
    const k = minLocal + ((size - minLocal) % (U - 4));
    const local = k <= U - 35 ? k : minLocal;
    if (at + local + 4 > page.length) return 'a cell does not parse';
    page.copy(spill, 0, at, at + local);
    let next = page.readUInt32BE(at + local);
    for (let got = local; got < size; ) {
      if (next < 2 || next > this.pages.pageCount) return 'an overflow chain ends early';
      if (++this.pagesRead > this.pages.pageCount) return 'its overflow chains share pages'; // else a crafted file could make the walk read it over and over
      const overflow = this.pages.page(next);
      const take = Math.min(U - 4, size - got);
      overflow.copy(spill, got, 4, 4 + take);
      got += take;
      next = overflow.readUInt32BE(0);
    }
    return next === 0 ? null : 'an overflow chain goes on past its cell';
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

/** A SQLite varint of a value below 2^53 (lengths, counts). */
function varintBytes(value: number): Buffer {
  const groups: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    groups.unshift(v % 128);
    if (v < 128) break;
  }
  return Buffer.from(groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
}
