// The page map's per-page numbers (page-map.ts: owners, leaves, parents, kinds), held as arrays
// (a map just made) or read from pages.bin as needed (the last map's, stored-values.ts), and the
// ways a pass reads them: a page at a time, or a window of pages at a time.
import { SpilledColumn } from './spilled-values.ts';
import { StoredColumn } from './stored-values.ts';

/**
 * A number per page: an array in memory (a map just made), a column of pages.bin read as
 * needed (the last map's: stored-values.ts StoredColumn), or such a column with a few pages'
 * numbers changed (PatchedColumn: a map made from the last one by a partial walk). Asked a page
 * at a time with `at`, or a window at a time (windowsOf) for a pass over every page; read whole
 * (resident) only for a walk from the roots of a b-tree that changed shape.
 */
export interface PageColumn {
  readonly length: number;
  at(p: number): number | undefined;
}

/** A column read a window at a time, not held whole (SpilledColumn: a first map's, spilled-values.ts). */
export type WindowedColumn = StoredColumn | PatchedColumn | SpilledColumn;

export function isWindowed(column: PageColumn): column is WindowedColumn {
  return column instanceof StoredColumn || column instanceof PatchedColumn || column instanceof SpilledColumn;
}

/**
 * `base`'s numbers (the last map's column) over `length` pages, those past its end `fill`, with
 * the pages `pages` (ascending) given `numbers` instead: the next map's column when a walk
 * changed a few pages' owner, leaf, parent or kind, without a copy of the rest (13 bytes a page).
 */
export class PatchedColumn {
  readonly base: PageColumn;
  readonly length: number;
  readonly width: 4 | 1;
  private readonly fill: number;
  private readonly pages: Int32Array;
  private readonly numbers: Int32Array;
  private readonly baseAt: Reader;

  constructor(base: PageColumn, length: number, width: 4 | 1, fill: number, pages: Int32Array, numbers: Int32Array) {
    [this.base, this.length, this.width, this.fill, this.pages, this.numbers] = [base, length, width, fill, pages, numbers];
    this.baseAt = numbersOf(base);
  }

  at(p: number): number | undefined {
    if (!(p >= 0 && p < this.length)) return undefined;
    const i = firstAtOrAfter(this.pages, p);
    if (i < this.pages.length && this.pages[i] === p) return this.numbers[i]!;
    return p < this.base.length ? this.baseAt(p) : this.fill;
  }

  /** Pages [from, to)'s numbers, to `out` (a typed array of this width) from its start. */
  into(from: number, to: number, out: Int32Array | Uint16Array | Uint8Array): void {
    const end = Math.min(to, this.base.length);
    if (from < end) {
      if (isWindowed(this.base)) this.base.into(from, end, out);
      else out.set((this.base as Int32Array | Uint8Array).subarray(from, end));
    }
    out.fill(this.fill, Math.max(0, end - from), to - from);
    for (let i = firstAtOrAfter(this.pages, from); i < this.pages.length && this.pages[i]! < to; i++) out[this.pages[i]! - from] = this.numbers[i]!;
  }
}

/** The first place in the ascending `pages` whose page is `p` or more. */
function firstAtOrAfter(pages: Int32Array, p: number): number {
  let [lo, hi] = [0, pages.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pages[mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type Reader = (p: number) => number;

/** Page `p`'s number in `column` (p within it), as a function: a typed array's own `at` cost 20–200 times its index (2,500,000 pages: 90–600 ms). */
export function numbersOf(column: PageColumn): Reader {
  if (isWindowed(column)) return (p) => column.at(p)!;
  const array = column as Int32Array | Uint8Array;
  return (p) => array[p]!;
}

/** Pages a pass over a stored column reads at a time. */
export const WINDOW_PAGES = 8192;

/** The numbers of pages [0, n) of `column`, a window at a time: its first page and its numbers (valid until the next). */
export function* windowsOf(column: PageColumn, n: number): Generator<[number, ArrayLike<number>]> {
  if (!isWindowed(column)) {
    yield [0, column as Int32Array | Uint8Array];
    return;
  }
  const window = windowFor(column);
  for (let from = 0; from < n; from += WINDOW_PAGES) {
    column.into(from, Math.min(n, from + WINDOW_PAGES), window);
    yield [from, window];
  }
}

/** Page `p`'s number in `column`, for a caller asking about pages in ascending order: a window of a stored column read at a time. */
export function windowReader(column: PageColumn): (p: number) => number {
  if (!isWindowed(column)) return numbersOf(column);
  const window = windowFor(column);
  let from = -WINDOW_PAGES; // no window read yet
  return (p) => {
    if (p < from || p >= from + WINDOW_PAGES) {
      from = p - (p % WINDOW_PAGES);
      column.into(from, Math.min(column.length, from + WINDOW_PAGES), window);
    }
    return window[p - from]!;
  };
}

/** An array for a window of `column`'s numbers. */
function windowFor(column: WindowedColumn): Int32Array | Uint16Array | Uint8Array {
  return column.width === 4 ? new Int32Array(WINDOW_PAGES) : column.width === 2 ? new Uint16Array(WINDOW_PAGES) : new Uint8Array(WINDOW_PAGES);
}
