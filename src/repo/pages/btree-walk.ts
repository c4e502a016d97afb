// The pages of a changed table's b-trees now, found from the last map and the pages that
// changed, instead of walking every page again with dbstat (≈ 0.3 s for a table of 1,000,000
// rows). A page's children (the pages its cells point to, the next page of an overflow chain)
// are a function of its bytes: a page whose bytes are the same as when the last map walked it,
// reached in the same role, has the same children, which that map recorded (their parent is
// it). Only changed pages are parsed (sqlite.org/fileformat2.html#b_tree_pages), from the bytes
// the page map's read kept of them. Whatever is not as expected — a page not kept, a page the
// WAL's last transaction wrote (the reader may not see it yet), a page reached twice, a cell
// that does not parse, an overflow chain of another length than its cell says — gives up, and
// the caller walks that table with dbstat.

/** What a page is in the b-tree that owns it. */
export const PageKind = { None: 0, Interior: 1, Leaf: 2, Overflow: 3 } as const;
export type PageKind = (typeof PageKind)[keyof typeof PageKind];

export const UNKNOWN_LEAF = -2;

/** The map's structure of one walk: per page index, as page-map.ts keeps it. */
export interface WalkedPages {
  pages: number[];
  parents: number[];
  kinds: PageKind[];
  /** For a page of the table's own b-tree that holds rows: its leaf (itself, or the leaf an overflow page continues); -1 for any other. */
  leaves: number[];
}

/** What the last map knew, and what this read found. */
export interface WalkSource {
  /** Usable bytes per page: the page size less the reserved bytes (database header, offset 20). */
  usable: number;
  pageCount: number;
  /** The page (index) is byte for byte as the last map walked it, owned by this table, reached as `role`. */
  unchanged(p: number, role: Role): boolean;
  /** The pages whose parent was `p` in the last map. */
  childrenBefore(p: number): Iterable<number>;
  kindBefore(p: number): PageKind;
  /** What a changed page links to as the reader sees it, or undefined when not kept or not sure. */
  linksNow(p: number): PageLinks | undefined;
}

/**
 * What a walk reads of a changed page, taken from its bytes while they are read and hashed
 * (page-read.ts), so that the bytes need not be kept: copying 10,000 changed pages cost more
 * than reading and hashing the whole file. A page's role is known only when a walk reaches it,
 * so both readings are kept.
 */
export interface PageLinks {
  /** Read as an overflow page: the next page of its chain (1-based; 0 ends it). */
  next: number;
  /** Read as a b-tree page: what it is (None when its type byte is no b-tree page's). */
  kind: PageKind;
  /** Read as a b-tree page: its children, in the order a walk pushes them; null when a cell does not parse. */
  children: readonly Visit[] | null;
}

const NO_CHILDREN: readonly Visit[] = Object.freeze([]);
const NOT_KEPT = 0xff;
const UNPARSED = -1;

/**
 * The links of changed pages (PageLinks), a few bytes each: a bulk load's 54,000 changed pages
 * as objects took 9 MB of heap. A page's children are packed four numbers each (page, role,
 * pages left in its chain, leaf), in the order a walk pushes them.
 */
export class PageLinkTable {
  private readonly next: Uint32Array;
  private readonly kinds: Uint8Array;
  /** Per page, where its children start in `packed` (UNPARSED: a cell does not parse). */
  private readonly starts: Int32Array;
  /** Per page, where they end: its own (not the next page's start, which an unparsed next page overwrites). */
  private readonly ends: Int32Array;
  private packed = new Int32Array(1024);
  private used = 0;
  private readonly found: Visit[] = [];
  size = 0;

  constructor(pageCount: number) {
    this.next = new Uint32Array(pageCount);
    this.kinds = new Uint8Array(pageCount).fill(NOT_KEPT);
    this.starts = new Int32Array(pageCount);
    this.ends = new Int32Array(pageCount);
  }

  /** Keep the links of page index `p`, from its bytes; `usable`: the page size less the reserved bytes. Pages are added in ascending order. */
  add(bytes: Buffer, p: number, usable: number): void {
    const type = bytes[0];
    const kind = type === 0x0d || type === 0x0a ? PageKind.Leaf : type === 0x05 || type === 0x02 ? PageKind.Interior : PageKind.None;
    this.next[p] = bytes.readUInt32BE(0);
    this.kinds[p] = kind;
    this.size++;
    this.starts[p] = this.used;
    const found = this.found;
    found.length = 0;
    if (kind !== PageKind.None && !pushChildren(usable, bytes, p, found)) {
      this.starts[p] = UNPARSED;
      return;
    }
    if (this.used + 4 * found.length > this.packed.length) {
      const grown = new Int32Array(Math.max(2 * this.packed.length, this.used + 4 * found.length));
      grown.set(this.packed.subarray(0, this.used));
      this.packed = grown;
    }
    const packed = this.packed;
    for (const v of found) {
      packed[this.used++] = v.p;
      packed[this.used++] = v.role === 'overflow' ? 1 : 0;
      packed[this.used++] = v.left;
      packed[this.used++] = v.leaf;
    }
    this.ends[p] = this.used;
  }

  /** The links of page index `p`, or undefined when not kept. */
  get(p: number): PageLinks | undefined {
    const kind = this.kinds[p];
    if (kind === undefined || kind === NOT_KEPT) return undefined;
    const start = this.starts[p]!;
    let children: readonly Visit[] | null = null;
    if (start !== UNPARSED) {
      const end = this.ends[p]!;
      const list: Visit[] = [];
      const packed = this.packed;
      for (let at = start; at < end; at += 4) {
        list.push({ p: packed[at]!, parent: p, role: packed[at + 1] === 1 ? 'overflow' : 'page', left: packed[at + 2]!, leaf: packed[at + 3]! });
      }
      children = list.length === 0 ? NO_CHILDREN : list;
    }
    return { next: this.next[p]!, kind: kind as PageKind, children };
  }
}

type Role = 'page' | 'overflow';

export interface Visit {
  p: number;
  parent: number;
  role: Role;
  /** For an overflow page: pages left in its chain, itself included, as its cell says; -1 when not read. */
  left: number;
  leaf: number;
}

/**
 * Adds to `out` the pages of the b-tree rooted at page index `root`; `own`: the table's own
 * b-tree (it holds rows); `seen`: per page index, 1 once a walk met it (cheaper than a Set of
 * a bulk load's 54,000 pages). False: not sure.
 */
export function walkBtree(source: WalkSource, root: number, own: boolean, out: WalkedPages, seen: Uint8Array): boolean {
  const stack: Visit[] = [{ p: root, parent: -1, role: 'page', left: -1, leaf: -1 }];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (v.p < 1 || v.p >= source.pageCount || seen[v.p] === 1) return false; // page index 0 is page 1: sqlite_schema's
    seen[v.p] = 1;
    let kind: PageKind;
    if (source.unchanged(v.p, v.role)) {
      kind = source.kindBefore(v.p);
      const leaf = kind === PageKind.Leaf ? v.p : kind === PageKind.Overflow ? v.leaf : UNKNOWN_LEAF;
      for (const c of source.childrenBefore(v.p)) {
        const overflow = source.kindBefore(c) === PageKind.Overflow;
        stack.push({ p: c, parent: v.p, role: overflow ? 'overflow' : 'page', left: overflow && v.left > 0 ? v.left - 1 : -1, leaf: overflow ? leaf : -1 });
      }
    } else {
      const links = source.linksNow(v.p);
      if (links === undefined) return false;
      if (v.role === 'overflow') {
        kind = PageKind.Overflow;
        const next = links.next;
        if (v.left > 0 && (next === 0) !== (v.left === 1)) return false;
        if (next !== 0) stack.push({ p: next - 1, parent: v.p, role: 'overflow', left: v.left > 0 ? v.left - 1 : -1, leaf: v.leaf });
      } else {
        kind = links.kind;
        if (kind === PageKind.None || links.children === null) return false;
        for (const c of links.children) stack.push(c);
      }
    }
    out.pages.push(v.p);
    out.parents.push(v.parent);
    out.kinds.push(kind);
    out.leaves.push(!own ? -1 : kind === PageKind.Leaf ? v.p : kind === PageKind.Overflow ? v.leaf : -1);
  }
  return true;
}

/**
 * Each of the changed pages `pages` is, as before, an interior page or a leaf, whose cells point
 * to the same pages in the same roles as the last map recorded: then a walk from the roots meets
 * the same pages, in the same places, and need not be made.
 */
export function sameShape(source: WalkSource, pages: readonly number[]): boolean {
  for (const p of pages) {
    const before = source.kindBefore(p);
    const links = source.linksNow(p);
    if ((before !== PageKind.Interior && before !== PageKind.Leaf) || links === undefined) return false;
    if (links.kind !== before || links.children === null) return false;
    const was = [...source.childrenBefore(p)];
    const now = [...links.children].sort((a, b) => a.p - b.p);
    if (now.length !== was.length || now.some((v, i) => v.p !== was[i] || (v.role === 'overflow') !== (source.kindBefore(v.p) === PageKind.Overflow))) return false;
  }
  return true;
}

/** Push the children of the b-tree page `bytes` (page index `p`); false when a cell does not parse. */
function pushChildren(U: number, bytes: Buffer, p: number, stack: Visit[]): boolean {
  const type = bytes[0]!;
  const interior = type === 0x05 || type === 0x02;
  const cells = bytes.readUInt16BE(3);
  const pointers = interior ? 12 : 8;
  if (pointers + 2 * cells > bytes.length) return false;
  const index = type === 0x02 || type === 0x0a;
  const maxLocal = index ? Math.floor(((U - 12) * 64) / 255) - 23 : U - 35;
  const minLocal = Math.floor(((U - 12) * 32) / 255) - 23;
  // An overflow chain hangs from a leaf's cell (its rows), or from an interior index cell (none: its leaf is unknown, as dbstat gives it).
  const leaf = type === 0x0d || type === 0x0a ? p : UNKNOWN_LEAF;
  for (let i = 0; i < cells; i++) {
    let at = (bytes[pointers + 2 * i]! << 8) | bytes[pointers + 2 * i + 1]!;
    if (interior) {
      if (at + 4 > bytes.length) return false;
      stack.push({ p: bytes.readUInt32BE(at) - 1, parent: p, role: 'page', left: -1, leaf: -1 });
      at += 4;
      if (type === 0x05) continue; // a table's interior cell: a rowid, no payload
    }
    at = varintEnd(bytes, at);
    if (at < 0) return false;
    const size = varintRead.value;
    if (size <= maxLocal) continue; // no chain: a table leaf's rowid, after the size, is not read (3,000,000 varints in a bulk load)
    if (type === 0x0d) {
      at = varintEnd(bytes, at);
      if (at < 0) return false;
    }
    const k = minLocal + ((size - minLocal) % (U - 4));
    const local = k <= maxLocal ? k : minLocal;
    if (at + local + 4 > bytes.length) return false;
    const pages = Math.ceil((size - local) / (U - 4));
    stack.push({ p: bytes.readUInt32BE(at + local) - 1, parent: p, role: 'overflow', left: pages, leaf });
  }
  if (interior) stack.push({ p: bytes.readUInt32BE(8) - 1, parent: p, role: 'page', left: -1, leaf: -1 });
  return true;
}

/** The value of the last varint varintEnd read: one object for every call, as 10,000 changed leaves have half a million cells. */
const varintRead = { value: 0 };

/** Where the SQLite varint at `at` ends, its value (payload sizes: below 2^53) left in varintRead; -1 past the page's end. */
function varintEnd(bytes: Buffer, at: number): number {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (at + i >= bytes.length) return -1;
    const c = bytes[at + i]!;
    if (i === 8) {
      varintRead.value = value * 256 + c;
      return at + 9;
    }
    value = value * 128 + (c & 0x7f);
    if (c < 0x80) {
      varintRead.value = value;
      return at + i + 1;
    }
  }
  return -1;
}
