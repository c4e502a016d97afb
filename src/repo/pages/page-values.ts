// What the page map keeps of each page's bytes (page-map.ts): its hash (zeros: not known) and,
// as a table leaf, its rowid span and cells (leaf-span.ts). Held three ways: in a scratch file,
// every page (a first map, whose read counts every page changed: spilled-values.ts); in
// pages.bin, read a piece at a time (the last map, page-map-file.ts); or as the last map
// patched with the pages a read found changed (the next map made from it). Held whole, the last map's and the read's hashes and spans
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
  /** The cells of pages [from, to) (to ≤ pageCount), to `out` from its start. */
  cellsInto(from: number, to: number, out: Uint16Array): void;
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

  /**
   * Per page up to the last one patched, its slot + 1 (0: not patched), made at the first lookup
   * once the pages patched are many: the scans of a spread edit's 17,800 pages looked each up by
   * a binary search of 10,000 slots, twice or more (≈ 30 ms of code run once). 4 bytes a page, only when the
   * patches already take more than 2 (39 bytes each, one page in 16 or more).
   */
  private dense: Int32Array | null = null;

  /** Page `p`'s values, after every page added so far; its hash from `hash` at `at`. Its slot. */
  add(p: number, differs: boolean, hash: Uint8Array, at: number, lo: bigint, hi: bigint, cells: number): number {
    if (this.size === this.pages.length) this.grow();
    this.dense = null;
    const i = this.size++;
    this.pages[i] = p;
    this.differs[i] = differs ? 1 : 0;
    for (let k = 0; k < H; k++) this.hashes[i * H + k] = hash[at + k]!; // no view of 16 bytes made per page
    this.spans[2 * i] = lo;
    this.spans[2 * i + 1] = hi;
    this.cells[i] = cells;
    return i;
  }

  slotOf(p: number): number {
    if (this.dense === null && this.size > 0 && 16 * this.size > this.pages[this.size - 1]!) this.dense = denseSlots(this.pages, this.size);
    if (this.dense !== null) return p >= 0 && p < this.dense.length ? this.dense[p]! - 1 : -1;
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
    const { patches } = this;
    if (to === from + 1) { // one page, most often: a patched one's span is not read from the base too
      const i = patches.slotOf(from);
      if (i >= 0) {
        out[0] = patches.spans[2 * i]!;
        out[1] = patches.spans[2 * i + 1]!;
        return;
      }
    }
    const fromBase = Math.max(from, Math.min(to, this.base.pageCount));
    if (fromBase > from) this.base.spansInto(from, fromBase, out);
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

  /** The base's cells copied whole, then the patches' (a page past the base's end is patched: page-read.ts). */
  cellsInto(from: number, to: number, out: Uint16Array): void {
    const fromBase = Math.max(from, Math.min(to, this.base.pageCount));
    if (fromBase > from) this.base.cellsInto(from, fromBase, out);
    out.fill(0, fromBase - from, to - from);
    const { patches } = this;
    for (let i = patches.firstFrom(from); i < patches.size && patches.pages[i]! < to; i++) out[patches.pages[i]! - from] = patches.cells[i]!;
  }

  /** Page `p` has the same known hash as in `base`: neither changed nor forgotten since. */
  unchangedSinceBase(p: number): boolean {
    if (p >= this.base.pageCount || p >= this.pageCount) return false;
    const i = this.patches.slotOf(p);
    return i < 0 || (this.patches.differs[i] === 0 && knownHash(this.patches.hashes, i));
  }

  /** Page `p` (patched: the read patches the pages it may forget) is not known. */
  forget(p: number): void {
    const i = this.patches.slotOf(p);
    if (i < 0) throw new Error(`page index ${p} was not patched`);
    this.patches.hashes.fill(0, i * H, (i + 1) * H);
    this.patches.cells[i] = UNKNOWN_CELLS;
  }
}

/** Hash `i` of `hashes` is not the zero hash of a page not known. */
function knownHash(hashes: Uint8Array, i: number): boolean {
  for (let at = i * H; at < (i + 1) * H; at++) if (hashes[at] !== 0) return true;
  return false;
}

/** Per page up to the last of the first `n` of `pages` (ascending), its place among them + 1; 0 for a page not among them. */
function denseSlots(pages: Int32Array, n: number): Int32Array {
  const dense = new Int32Array(pages[n - 1]! + 1);
  for (let i = 0; i < n; i++) dense[pages[i]!] = i + 1;
  return dense;
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
