// What the page map keeps of each page's bytes (page-map.ts): its hash (zeros: not known) and,
// as a table leaf, its rowid span and cells (leaf-span.ts). Held three ways: in memory, every
// page (a first map, whose read counts every page changed); in pages.bin, read a piece at a time
// (the last map, page-map-file.ts); or as the last map patched with the pages a read found
// changed (the next map made from it). Held whole, the last map's and the read's hashes and spans
// were 64 bytes a page of the file, most of a one-row commit's memory; patched, they follow the
// pages that changed.
import { PAGE_HASH_BYTES } from './page-hash/page-hash.ts';
import { slotIn } from './btree-walk.ts';
import { UNKNOWN_CELLS } from './leaf-span.ts';

const H = PAGE_HASH_BYTES;

export interface PageValues {
  readonly pageCount: number;
  /** The hashes of pages [from, to) (to ≤ pageCount), to `out` from its start. Cheapest in ascending order. */
  hashesInto(from: number, to: number, out: Uint8Array): void;
  /** The spans of pages [from, to), two rowids each, to `out` from its start. */
  spansInto(from: number, to: number, out: BigInt64Array): void;
  cellsOf(p: number): number;
  /** The cells of pages [from, to), to `out` from its start. */
  cellsInto(from: number, to: number, out: Uint16Array): void;
}

/** Every page's, in memory: a first map's. */
export class DenseValues implements PageValues {
  readonly hashes: Buffer;
  readonly spans: BigInt64Array;
  readonly cells: Uint16Array;

  constructor(hashes: Buffer, spans: BigInt64Array, cells: Uint16Array) {
    [this.hashes, this.spans, this.cells] = [hashes, spans, cells];
  }

  get pageCount(): number {
    return this.cells.length;
  }

  hashesInto(from: number, to: number, out: Uint8Array): void {
    this.hashes.copy(out, 0, from * H, to * H);
  }

  spansInto(from: number, to: number, out: BigInt64Array): void {
    out.set(this.spans.subarray(2 * from, 2 * to));
  }

  cellsOf(p: number): number {
    return this.cells[p]!;
  }

  cellsInto(from: number, to: number, out: Uint16Array): void {
    out.set(this.cells.subarray(from, to));
  }

  /** Page `p`'s content is not known (the WAL's last transaction wrote it, page-read.ts). */
  forget(p: number): void {
    this.hashes.fill(0, p * H, (p + 1) * H);
    this.cells[p] = UNKNOWN_CELLS;
  }
}

/** The values of some pages, in ascending page order, in typed arrays grown by doubling. */
export class Patches {
  pages = new Int32Array(64);
  hashes = Buffer.alloc(64 * H);
  spans = new BigInt64Array(128);
  cells = new Uint16Array(64);
  /** Per slot, 1: the page's hash differs from the last map's (0: patched for another reason, page-read.ts). */
  differs = new Uint8Array(64);
  size = 0;

  /** Page `p`'s values, after every page added so far; its hash from `hash` at `at`. Its slot. */
  add(p: number, differs: boolean, hash: Uint8Array, at: number, lo: bigint, hi: bigint, cells: number): number {
    if (this.size === this.pages.length) this.grow();
    const i = this.size++;
    this.pages[i] = p;
    this.differs[i] = differs ? 1 : 0;
    this.hashes.set(hash.subarray(at, at + H), i * H);
    this.spans[2 * i] = lo;
    this.spans[2 * i + 1] = hi;
    this.cells[i] = cells;
    return i;
  }

  slotOf(p: number): number {
    return slotIn(this.pages, this.size, p);
  }

  /** The first slot of a page at or after `p`. */
  firstFrom(p: number): number {
    let [lo, hi] = [0, this.size];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pages[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** These and `more` (none of whose pages these hold), in one ascending order. */
  merged(more: Patches): Patches {
    const out = new Patches();
    let [i, j] = [0, 0];
    while (i < this.size || j < more.size) {
      const [from, k] = j >= more.size || (i < this.size && this.pages[i]! < more.pages[j]!) ? [this, i++] : [more, j++];
      out.add(from.pages[k]!, from.differs[k] === 1, from.hashes, k * H, from.spans[2 * k]!, from.spans[2 * k + 1]!, from.cells[k]!);
    }
    return out;
  }

  private grow(): void {
    const n = 2 * this.pages.length;
    const pages = new Int32Array(n);
    pages.set(this.pages);
    const hashes = Buffer.alloc(n * H);
    this.hashes.copy(hashes);
    const spans = new BigInt64Array(2 * n);
    spans.set(this.spans);
    const cells = new Uint16Array(n);
    cells.set(this.cells);
    const differs = new Uint8Array(n);
    differs.set(this.differs);
    [this.pages, this.hashes, this.spans, this.cells, this.differs] = [pages, hashes, spans, cells, differs];
  }
}

/** `base` (the last map's) with the values of the pages a read found changed, and of pages past its end; `pageCount` pages. */
export class PatchedValues implements PageValues {
  readonly base: PageValues;
  readonly pageCount: number;
  patches: Patches;

  constructor(base: PageValues, pageCount: number, patches: Patches) {
    [this.base, this.pageCount, this.patches] = [base, pageCount, patches];
  }

  hashesInto(from: number, to: number, out: Uint8Array): void {
    const fromBase = Math.max(from, Math.min(to, this.base.pageCount));
    if (fromBase > from) this.base.hashesInto(from, fromBase, out);
    const { patches } = this;
    for (let i = patches.firstFrom(from); i < patches.size && patches.pages[i]! < to; i++) {
      const p = patches.pages[i]!;
      out.set(patches.hashes.subarray(i * H, (i + 1) * H), (p - from) * H);
    }
  }

  spansInto(from: number, to: number, out: BigInt64Array): void {
    const fromBase = Math.max(from, Math.min(to, this.base.pageCount));
    if (fromBase > from) this.base.spansInto(from, fromBase, out);
    const { patches } = this;
    for (let i = patches.firstFrom(from); i < patches.size && patches.pages[i]! < to; i++) {
      const p = patches.pages[i]!;
      out[2 * (p - from)] = patches.spans[2 * i]!;
      out[2 * (p - from) + 1] = patches.spans[2 * i + 1]!;
    }
  }

  cellsOf(p: number): number {
    const i = this.patches.slotOf(p);
    return i < 0 ? this.base.cellsOf(p) : this.patches.cells[i]!;
  }

  cellsInto(from: number, to: number, out: Uint16Array): void {
    const fromBase = Math.max(from, Math.min(to, this.base.pageCount));
    if (fromBase > from) this.base.cellsInto(from, fromBase, out);
    const { patches } = this;
    for (let i = patches.firstFrom(from); i < patches.size && patches.pages[i]! < to; i++) out[patches.pages[i]! - from] = patches.cells[i]!;
  }

  /** Page `p` has the same known hash as in `base`: neither changed nor forgotten since. */
  unchangedSinceBase(p: number): boolean {
    if (p >= this.base.pageCount || p >= this.pageCount) return false;
    const i = this.patches.slotOf(p);
    return i < 0 || (this.patches.differs[i] === 0 && this.patches.hashes.subarray(i * H, (i + 1) * H).some((b) => b !== 0));
  }

  /** Page `p` (patched: the read patches the pages it may forget) is not known. */
  forget(p: number): void {
    const i = this.patches.slotOf(p);
    if (i < 0) throw new Error(`page index ${p} was not patched`);
    this.patches.hashes.fill(0, i * H, (i + 1) * H);
    this.patches.cells[i] = UNKNOWN_CELLS;
  }
}

const scratch = [Buffer.alloc(H), Buffer.alloc(H)] as const;

/** Page `p`'s hash is known (not all zeros) and the same in `before` and `after`. */
export function sameKnownPage(before: PageValues, after: PageValues, p: number): boolean {
  if (p < 0 || p >= before.pageCount || p >= after.pageCount) return false;
  if (after instanceof PatchedValues && after.base === before) return after.unchangedSinceBase(p); // a hash a read computed is never all zeros
  before.hashesInto(p, p + 1, scratch[0]);
  after.hashesInto(p, p + 1, scratch[1]);
  return scratch[0].equals(scratch[1]) && scratch[1].some((b) => b !== 0);
}
