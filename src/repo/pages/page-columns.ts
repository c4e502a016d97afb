// The page map's per-page numbers (page-map.ts: owners, leaves, parents, kinds), held as arrays
// (a map just made) or read from pages.bin as needed (the last map's, stored-values.ts), and the
// ways a pass reads them: a page at a time, or a window of pages at a time.
import { StoredColumn } from './stored-values.ts';

/**
 * A number per page: an array in memory (a map just made), or a column of pages.bin read as
 * needed (the last map's: stored-values.ts StoredColumn). Asked a page at a time with `at`, or
 * a window at a time (windowsOf) for a pass over every page; read whole (resident) only for a
 * walk of a b-tree that changed shape.
 */
export interface PageColumn {
  readonly length: number;
  at(p: number): number | undefined;
}

export type Reader = (p: number) => number;

/** Page `p`'s number in `column` (p within it), as a function: a typed array's own `at` cost 20–200 times its index (2,500,000 pages: 90–600 ms). */
export function numbersOf(column: PageColumn): Reader {
  if (column instanceof StoredColumn) return (p) => column.at(p)!;
  const array = column as Int32Array | Uint8Array;
  return (p) => array[p]!;
}

/** Pages a pass over a stored column reads at a time. */
export const WINDOW_PAGES = 8192;

/** The numbers of pages [0, n) of `column`, a window at a time: its first page and its numbers (valid until the next). */
export function* windowsOf(column: PageColumn, n: number): Generator<[number, ArrayLike<number>]> {
  if (!(column instanceof StoredColumn)) {
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
  if (!(column instanceof StoredColumn)) return numbersOf(column);
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
function windowFor(column: StoredColumn): Int32Array | Uint16Array | Uint8Array {
  return column.width === 4 ? new Int32Array(WINDOW_PAGES) : column.width === 2 ? new Uint16Array(WINDOW_PAGES) : new Uint8Array(WINDOW_PAGES);
}
