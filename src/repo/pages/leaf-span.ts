// The rowids a table b-tree leaf page holds (sqlite.org/fileformat2.html#b_tree_pages): its
// cells are in rowid order, so the first and the last cell's rowids bound them. Read from any
// page: the page map keeps the span only of pages that the walk of the b-trees says are a
// table's leaves, and a page that does not parse gets ANY_ROWS, so a misread can only widen
// what is compared. With the span, the leaf's number of cells (its rows): a table's rows are the
// sum over its leaves (appended-rows.ts), and a page that does not parse gets UNKNOWN_CELLS.

export const MIN_ROWID = -(2n ** 63n);
export const MAX_ROWID = 2n ** 63n - 1n;
/** No rows: a leaf without cells, or a page that is not a table leaf. */
export const NO_ROWS = [1n, 0n] as const;
/** Any rowid: what a page whose content is not known may hold. */
export const ANY_ROWS = [MIN_ROWID, MAX_ROWID] as const;

/** The cell count of a page whose rows are not known: no leaf holds as many (a cell and its pointer take 5 bytes or more, a page 64 KiB at most). */
export const UNKNOWN_CELLS = 0xffff;

const TABLE_LEAF = 0x0d;
/** A WITHOUT ROWID table's rows are index cells, its interior pages' too: its leaves' cells do not count them. */
const INDEX_LEAF = 0x0a;

/** Write the span of the page `bytes` (page number `pageno`) to `spans` at 2 × `index`, its cells to `cells` at `index` (0 if not a leaf, UNKNOWN_CELLS for an index leaf). */
export function leafSpan(bytes: Buffer, pageno: number, spans: BigInt64Array, cells: Uint16Array, index: number): void {
  const header = pageno === 1 ? 100 : 0;
  const [lo, hi] = spanOf(bytes, header);
  spans[2 * index] = lo;
  spans[2 * index + 1] = hi;
  const type = bytes[header];
  cells[index] = type === INDEX_LEAF || (type === TABLE_LEAF && lo === ANY_ROWS[0] && hi === ANY_ROWS[1]) ? UNKNOWN_CELLS : type === TABLE_LEAF ? u16(bytes, header + 3) : 0;
}

/** Widen the span at 2 × `index` to also cover what the page `bytes` holds. */
export function widenSpan(bytes: Buffer, pageno: number, spans: BigInt64Array, index: number): void {
  const [lo, hi] = spanOf(bytes, pageno === 1 ? 100 : 0);
  if (lo > hi) return;
  const [oldLo, oldHi] = [spans[2 * index]!, spans[2 * index + 1]!];
  spans[2 * index] = oldLo > oldHi || lo < oldLo ? lo : oldLo;
  spans[2 * index + 1] = oldLo > oldHi || hi > oldHi ? hi : oldHi;
}

function spanOf(page: Buffer, header: number): readonly [bigint, bigint] {
  if (page[header] !== TABLE_LEAF) return NO_ROWS;
  const cells = u16(page, header + 3);
  if (cells === 0) return NO_ROWS;
  if (header + 8 + 2 * cells > page.length) return ANY_ROWS;
  const first = rowidOfCell(page, u16(page, header + 8));
  const last = rowidOfCell(page, u16(page, header + 8 + 2 * (cells - 1)));
  if (first === null || last === null || first > last) return ANY_ROWS;
  return [first, last];
}

/**
 * The big-endian 16-bit integer at `at`, within the page (a page header's, a cell pointer checked
 * against the page's end): Buffer's readUInt16BE checks its argument through a wrapper that made
 * an array at each call, 2 MB for a spread edit's changed leaves.
 */
function u16(page: Buffer, at: number): number {
  return (page[at]! << 8) | page[at + 1]!;
}

/** A table leaf cell: the payload's size, then the rowid, both varints. */
function rowidOfCell(page: Buffer, at: number): bigint | null {
  const size = varintLength(page, at);
  if (size === 0) return null;
  return varint(page, at + size);
}

function varintLength(page: Buffer, at: number): number {
  for (let i = 0; i < 9; i++) {
    if (at + i >= page.length) return 0;
    if (i === 8 || page[at + i]! < 0x80) return i + 1;
  }
  return 0;
}

/** A SQLite varint, as the signed 64-bit integer it encodes; null past the page's end. */
function varint(page: Buffer, at: number): bigint | null {
  let small = 0;
  for (let i = 0; i < 7; i++) {
    if (at + i >= page.length) return null;
    const c = page[at + i]!;
    small = small * 128 + (c & 0x7f);
    if (c < 0x80) return BigInt(small);
  }
  let v = BigInt(small);
  for (let i = 7; i < 9; i++) {
    if (at + i >= page.length) return null;
    const c = page[at + i]!;
    if (i === 8) return BigInt.asIntN(64, (v << 8n) | BigInt(c));
    v = (v << 7n) | BigInt(c & 0x7f);
    if (c < 0x80) return BigInt.asIntN(64, v);
  }
  return null;
}
