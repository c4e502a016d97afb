// Within a changed table, the rows that can differ: those whose rowid lies in the span of a leaf
// page of its b-tree that changed, joined it or left it (page-map.ts), as the last map saw the
// page (the base's rows) and as it is now (the live rows). Why that is all of them: a row is a
// cell of exactly one leaf (its payload may continue on overflow pages, which count as that
// leaf's). A leaf that is in the table's b-tree then and now, with the same bytes, and whose
// overflow pages are also the same, holds the same rows on both sides. Any other row was on a
// leaf then that changed or left (the span then covers it) or is on one now that changed or
// joined (the span now covers it). Interior and index pages hold no rows. Only for tables whose
// capture key is the rowid (an INTEGER PRIMARY KEY, or a table without one, tracked by rowid):
// the others are compared whole.
import type { DatabaseSync } from 'node:sqlite';
import { quoteIdent } from '../../changeset/value.ts';
import { ANY_ROWS, UNKNOWN_CELLS } from './leaf-span.ts';
import { sameKnownPage, type PageValues } from './page-values.ts';
import type { PageMap } from './page-map.ts';
import { WINDOW_PAGES, windowsOf, type PageColumn } from './page-columns.ts';
import { readTable } from '../schema/schema-read.ts';

/** Rowids from…to, both included. */
export type RowidRange = readonly [bigint, bigint];

/** The rows of one table a comparison reads: those whose `column` (its rowid) is in `ranges`, sorted and disjoint. */
export interface KeyRanges {
  column: string;
  ranges: RowidRange[];
  /** The share of the table's row pages (now) whose rows the ranges take in: the cost of reading the ranges, against the whole table's. */
  share: number;
  /** The table's rows in the base (the last map's, which the base equals) and in the live database (this map's), from their leaves' cells (their leaves' cells summed, changedRanges); absent when not known. */
  rows?: { base: bigint; live: bigint };
}

/** The column the capture keys `table` by, when that is its rowid; else why its rows cannot be narrowed. */
export function rowidKey(db: DatabaseSync, schema: string, table: string): string | { whole: string } {
  const info = readTable(db, table, schema);
  const root = db.prepare(`SELECT rootpage FROM ${quoteIdent(schema)}.sqlite_schema WHERE type = 'table' AND name = ?`).get(table) as { rootpage: unknown } | undefined;
  if (info === undefined || root === undefined || Number(root.rootpage) === 0) return { whole: 'a virtual table' };
  if (info.rowid !== undefined) return info.rowid;
  const keys = info.columns.filter((c) => c.pk > 0);
  // SQLite's rule: declared exactly INTEGER, and no index made for it (DESC makes one: then it is not the rowid).
  const aliased = !info.withoutRowid && keys.length === 1 && keys[0]!.type.toUpperCase() === 'INTEGER' && !(db.prepare(`SELECT 1 FROM pragma_index_list(?, ?) WHERE origin = 'pk'`).get(table, schema));
  return aliased ? keys[0]!.name : { whole: 'its key is not the rowid' };
}

/** What changedRanges finds of one table. */
export interface ChangedRows {
  ranges: RowidRange[];
  share: number;
  /** Its rows in each map (its leaves' cells summed); null when not known (a leaf's cells unknown, a WITHOUT ROWID table). */
  base: bigint | null;
  live: bigint | null;
}

/**
 * Per table of `tables`, the rowid ranges whose rows may differ between `old` and `next` (see
 * the top), the share of its row pages they take in, and its rows in each map: one pass over
 * both maps' owners and leaves, a window at a time (the last map's lie in pages.bin).
 */
export function changedRanges(old: PageMap, next: PageMap, tables: ReadonlySet<string>): Map<string, ChangedRows> {
  const pages = Math.max(old.pageCount, next.pageCount);
  const out = new Map([...tables].map((t) => [t, new Spans()]));
  const pagesNow = new Map<string, { all: number; changed: number }>([...tables].map((t) => [t, { all: 0, changed: 0 }]));
  // A leaf's span fetched when needed (the last map's lie in pages.bin, page-values.ts): a changed page's, or its leaf's.
  const span = new BigInt64Array(2);
  const spanWords = words(span);
  const addSpan = (spans: Spans, leaf: number, from: PageValues): void => {
    if (leaf < 0) return spans.addAny();
    from.spansInto(leaf, leaf + 1, span);
    spans.add(spanWords, 0);
  };
  // Per table index of each map, its spans and counts (undefined: a table not asked about):
  // a lookup per table index, not per page; the same table's spans are one object in both.
  const [oldSpans, nextSpans] = [old.tables.map((t) => out.get(t)), next.tables.map((t) => out.get(t))];
  const nextCounted = next.tables.map((t) => pagesNow.get(t));
  // Per table index of each map, the cells of its leaves so far (-1 once one's are not known).
  const [rowsThen, rowsNow] = [old.tables.map(() => 0), next.tables.map(() => 0)];
  const { pageCount: oldCount } = old;
  const { pageCount: nextCount } = next;
  // Both maps' owners, leaves and cells, a block of pages at a time (the last map's lie in
  // pages.bin); the next map's owners and leaves are often the last one's (page-map.ts nextPageMap).
  const sameStructure = old.owners === next.owners && old.leafOf === next.leafOf;
  const [oldOwners, oldLeaves] = [new Window(old.owners, oldCount), new Window(old.leafOf, oldCount)];
  const [nextOwners, nextLeaves] = sameStructure ? [oldOwners, oldLeaves] : [new Window(next.owners, nextCount), new Window(next.leafOf, nextCount)];
  const [cellsThen, cellsNow] = [new Uint16Array(BLOCK), new Uint16Array(BLOCK)];
  for (let start = 0; start < pages; start += BLOCK) {
    const end = Math.min(pages, start + BLOCK);
    const [oo, ol, no, nl] = [oldOwners.at(start), oldLeaves.at(start), nextOwners.at(start), nextLeaves.at(start)];
    const [ob, nb] = [oldOwners.base, nextOwners.base];
    if (start < oldCount) old.values.cellsInto(start, Math.min(end, oldCount), cellsThen);
    if (start < nextCount) next.values.cellsInto(start, Math.min(end, nextCount), cellsNow);
    for (let p = start; p < end; p++) {
      const oldLeaf = p < oldCount ? ol[p - ob]! : -1;
      const oldOwner = oldLeaf === -1 ? -1 : oo[p - ob]!;
      const nextLeaf = p < nextCount ? nl[p - nb]! : -1;
      const nextOwner = nextLeaf === -1 ? -1 : no[p - nb]!;
      const then = oldLeaf !== -1 ? oldSpans[oldOwner] : undefined;
      const now = nextLeaf !== -1 ? nextSpans[nextOwner] : undefined;
      if (then === undefined && now === undefined) continue;
      if (then !== undefined && oldLeaf === p && rowsThen[oldOwner]! >= 0) rowsThen[oldOwner] = cellsThen[p - start] === UNKNOWN_CELLS ? -1 : rowsThen[oldOwner]! + cellsThen[p - start]!;
      if (now !== undefined && nextLeaf === p && rowsNow[nextOwner]! >= 0) rowsNow[nextOwner] = cellsNow[p - start] === UNKNOWN_CELLS ? -1 : rowsNow[nextOwner]! + cellsNow[p - start]!;
      const counted = now === undefined ? undefined : nextCounted[nextOwner];
      if (counted !== undefined) counted.all++;
      if (then === now && sameKnownPage(old.values, next.values, p) && sameKnownPage(old.values, next.values, oldLeaf) && oldLeaf === nextLeaf) continue;
      if (then !== undefined) addSpan(then, oldLeaf, old.values);
      if (now !== undefined) addSpan(now, nextLeaf, next.values);
      if (counted !== undefined) counted.changed++;
    }
  }
  const rowsOf = (map: PageMap, rows: number[], t: string): bigint | null => {
    const sum = rows[map.tables.indexOf(t)];
    return sum === undefined || sum < 0 ? null : BigInt(sum);
  };
  return new Map([...out].map(([t, spans]) => {
    const { all, changed } = pagesNow.get(t)!;
    return [t, { ranges: spans.merged(), share: all === 0 ? 0 : changed / all, base: rowsOf(old, rowsThen, t), live: rowsOf(next, rowsNow, t) }];
  }));
}

/** Pages a block of changedRanges reads of each column at a time: a window's (each block then lies in one). */
const BLOCK = WINDOW_PAGES;

/** A column's numbers around a page, read a window at a time as pages ascend (page-columns.ts windowsOf). */
class Window {
  private readonly windows: Generator<[number, ArrayLike<number>]>;
  private numbers: ArrayLike<number> = [];
  /** The page of numbers[0]. */
  base = 0;

  constructor(column: PageColumn, pageCount: number) {
    this.windows = windowsOf(column, pageCount);
  }

  /** The numbers of the window holding page `p` (past the column's end: the last one), from `base`. */
  at(p: number): ArrayLike<number> {
    while (p - this.base >= this.numbers.length) {
      const next = this.windows.next();
      if (next.done) break;
      [this.base, this.numbers] = next.value;
    }
    return this.numbers;
  }
}

/** A BigInt64Array's 64-bit integers as pairs of 32-bit words, read without making a bigint. */
const words = (a: BigInt64Array): Int32Array => new Int32Array(a.buffer, a.byteOffset, 2 * a.length);
/** Which word of a pair is the low one (the platform's byte order, as BigInt64Array's). */
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

/** The signed 64-bit integers at `i` of `a` and `j` of `b`, compared: < 0, 0, > 0. */
function compare64(a: Int32Array, i: number, b: Int32Array, j: number): number {
  const ah = a[2 * i + HIGH]!;
  const bh = b[2 * j + HIGH]!;
  if (ah !== bh) return ah - bh;
  return (a[2 * i + LOW]! >>> 0) - (b[2 * j + LOW]! >>> 0);
}

/** `a` at `i` is `b` at `j` plus 1. */
function follows64(a: Int32Array, i: number, b: Int32Array, j: number): boolean {
  const bl = b[2 * j + LOW]! >>> 0;
  return (a[2 * i + LOW]! >>> 0) === (bl + 1) % 2 ** 32 && a[2 * i + HIGH]! === b[2 * j + HIGH]! + (bl === 0xffffffff ? 1 : 0);
}

/**
 * Rowid spans kept in typed arrays until merged, and read as 32-bit words: a bulk load changes
 * 54,000 leaves, whose spans as arrays of two bigints outlived V8's young generation (10 MB more
 * at the commit's peak); a spread edit's 35,000 spans made a bigint at each read, 20–40 ms of
 * CPU in the merge.
 */
class Spans {
  private lo = new BigInt64Array(64);
  private hi = new BigInt64Array(64);
  private loWords = words(this.lo);
  private hiWords = words(this.hi);
  private n = 0;

  /** The span of leaf `leaf` of a page map's spans, as `words` of them. */
  add(from: Int32Array, leaf: number): void {
    if (compare64(from, 2 * leaf, from, 2 * leaf + 1) > 0) return; // a leaf with no rows
    const { loWords: lo, hiWords: hi } = this;
    const last = this.n - 1;
    // Pages come in page order, mostly the rowids' own: a span that starts within the last one,
    // or right after it, widens it (a leaf's span then and now is most often the same).
    if (last >= 0 && compare64(from, 2 * leaf, lo, last) >= 0 && (compare64(from, 2 * leaf, hi, last) <= 0 || follows64(from, 2 * leaf, hi, last))) {
      if (compare64(from, 2 * leaf + 1, hi, last) > 0) {
        hi[2 * last] = from[4 * leaf + 2]!;
        hi[2 * last + 1] = from[4 * leaf + 3]!;
      }
      return;
    }
    this.room();
    this.loWords[2 * this.n] = from[4 * leaf]!;
    this.loWords[2 * this.n + 1] = from[4 * leaf + 1]!;
    this.hiWords[2 * this.n] = from[4 * leaf + 2]!;
    this.hiWords[2 * this.n + 1] = from[4 * leaf + 3]!;
    this.n++;
  }

  /** Any rowid: a page whose rows are not known. */
  addAny(): void {
    this.room();
    this.lo[this.n] = ANY_ROWS[0];
    this.hi[this.n++] = ANY_ROWS[1];
  }

  private room(): void {
    if (this.n < this.lo.length) return;
    const [lows, highs] = [new BigInt64Array(2 * this.n), new BigInt64Array(2 * this.n)];
    lows.set(this.lo);
    highs.set(this.hi);
    [this.lo, this.hi, this.loWords, this.hiWords] = [lows, highs, words(lows), words(highs)];
  }

  /**
   * Sorted, overlapping and adjacent spans joined. Their union depends only on the sorted lows
   * and the sorted highs, each sorted apart by the typed array's own sort (a sort by a comparator
   * made a bigint at every comparison, a million for a spread edit).
   */
  merged(): RowidRange[] {
    const [lo, hi] = [this.lo.subarray(0, this.n).sort(), this.hi.subarray(0, this.n).sort()];
    const [lows, highs] = [words(lo), words(hi)];
    const out: RowidRange[] = [];
    let [open, start, i, j] = [0, 0, 0, 0];
    // A span starts before one ends at the point after it: adjacent spans join. The j-th lowest
    // high is at least the j-th lowest low, so no span ends while none is open.
    while (i < this.n) {
      if (compare64(lows, i, highs, j) <= 0 || follows64(lows, i, highs, j)) {
        if (open++ === 0) start = i;
        i++;
      } else {
        if (--open === 0) out.push([lo[start]!, hi[j]!]);
        j++;
      }
    }
    if (this.n > 0) out.push([lo[start]!, hi[this.n - 1]!]);
    return out;
  }
}

let made = 0;
const RANGES_PER_INSERT = 256;

/**
 * The FROM terms that read `table` as `alias` of a schema: the whole table, or within `ranges`
 * only, from a TEMP table of them crossed first, so rows still come in rowid order as a scan
 * of the whole table gives them.
 */
export function scansOf(db: DatabaseSync, table: string, within: KeyRanges | undefined): (schema: string, alias: string) => string {
  const t = quoteIdent(table);
  if (within === undefined) return (schema, alias) => `${quoteIdent(schema)}.${t} AS ${alias}`;
  const ranges = `temp.sqlferry_ranges_${++made}`;
  db.exec(`CREATE TEMP TABLE ${ranges}(lo INTEGER, hi INTEGER)`);
  // Many ranges to a statement: a spread edit's 7,400 ranges took a call into SQLite each.
  const many = db.prepare(`INSERT INTO ${ranges} VALUES ${'(?, ?), '.repeat(RANGES_PER_INSERT - 1)}(?, ?)`);
  const one = db.prepare(`INSERT INTO ${ranges} VALUES (?, ?)`);
  let i = 0;
  for (; i + RANGES_PER_INSERT <= within.ranges.length; i += RANGES_PER_INSERT) many.run(...within.ranges.slice(i, i + RANGES_PER_INSERT).flat());
  for (; i < within.ranges.length; i++) one.run(...within.ranges[i]!);
  return (schema, alias) => `${ranges} AS R CROSS JOIN ${quoteIdent(schema)}.${t} AS ${alias} ON ${alias}.${quoteIdent(within.column)} BETWEEN R.lo AND R.hi`;
}
