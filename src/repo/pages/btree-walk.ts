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
import { PARSED_CHILD, PARSED_CHILDREN } from './page-hash/page-hash.ts';

/** What a page is in the b-tree that owns it. */
export const PageKind = { None: 0, Interior: 1, Leaf: 2, Overflow: 3 } as const;
export type PageKind = (typeof PageKind)[keyof typeof PageKind];

export const UNKNOWN_LEAF = -2;

/** The map's structure of one walk, per page index as page-map.ts keeps it: the first `length` entries of each array. */
export interface PagesFound {
  length: number;
  pages: ArrayLike<number>;
  parents: ArrayLike<number>;
  kinds: ArrayLike<number>;
  /** For a page of the table's own b-tree that holds rows: its leaf (itself, or the leaf an overflow page continues); -1 for any other. */
  leaves: ArrayLike<number>;
}

/**
 * Where walkBtree puts each page it meets: its parent, its kind, and its leaf (-1 when not of the
 * table's own b-tree or not a row page); `whole`: a page not descended into, whose subtree is as
 * the last map has it (walkBtree's `keep`).
 */
export interface PageSink {
  push(p: number, parent: number, kind: PageKind, leaf: number, whole: boolean): void;
}

/**
 * What walkBtree found, in typed arrays grown by doubling: as arrays of numbers, a first map's
 * walk of every page took 50 bytes of heap a page, and as much again in garbage.
 */
export class WalkedPages implements PagesFound, PageSink {
  length = 0;
  pages = new Int32Array(256);
  parents = new Int32Array(256);
  kinds = new Uint8Array(256);
  leaves = new Int32Array(256);

  push(p: number, parent: number, kind: PageKind, leaf: number): void {
    if (this.length === this.pages.length) {
      this.pages = doubled(this.pages, (n) => new Int32Array(n));
      this.parents = doubled(this.parents, (n) => new Int32Array(n));
      this.kinds = doubled(this.kinds, (n) => new Uint8Array(n));
      this.leaves = doubled(this.leaves, (n) => new Int32Array(n));
    }
    const i = this.length++;
    this.pages[i] = p;
    this.parents[i] = parent;
    this.kinds[i] = kind;
    this.leaves[i] = leaf;
  }
}

/** What the last map knew, and what this read found. */
export interface WalkSource {
  /** Usable bytes per page: the page size less the reserved bytes (database header, offset 20). */
  usable: number;
  pageCount: number;
  /** The page (index) is byte for byte as the last map walked it, owned by this table, reached as an overflow page or not. */
  unchanged(p: number, overflow: boolean): boolean;
  /** The pages whose parent was each page in the last map. */
  childrenBefore: ChildIndex;
  kindBefore(p: number): PageKind;
  /** The table that holds what changed page `p` links to as the reader sees it, or undefined when not kept or not sure. */
  linksNow(p: number): PageLinkTable | undefined;
}

/**
 * Per page (index), the pages whose parent it is, ascending: the children of the page in slot
 * `s` are `list[starts[s]]` up to `list[starts[s + 1]]`. Two typed arrays, not a map of arrays:
 * those took 60 bytes a page of the last map at each commit (a one-table database's pages are
 * all a changed table's). Of every page (dense, for a walk), or of a few pages only (sparse:
 * whether a b-tree kept its shape asks only about its changed pages; dense, 8 bytes a page of
 * the file in a one-row commit).
 */
export interface ChildIndex {
  /** Sparse: the pages indexed, ascending (a page's slot is its place here); null: every page (its slot is its index). */
  indexed: Int32Array | null;
  /** Slots + 1 entries. */
  starts: Int32Array;
  list: Int32Array;
}

/** Page `p`'s slot in `index`; -1 when it is not indexed. */
export function childSlot(index: ChildIndex, p: number): number {
  return index.indexed === null ? p : slotIn(index.indexed, index.indexed.length, p);
}

/** The place of `p` in the first `n` of the ascending `sortedPages`; -1 if not there. */
export function slotIn(sortedPages: Int32Array, n: number, p: number): number {
  let [lo, hi] = [0, n - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = sortedPages[mid]!;
    if (at === p) return mid;
    if (at < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * A ChildIndex of `pageCount` pages whose parent pages are `parentOf(p)` (-1: none, or not
 * asked about): of every page, or of the pages `only` (ascending) alone.
 */
export function childIndex(pageCount: number, parentOf: (p: number) => number, only: Int32Array | null = null): ChildIndex {
  const slots = only === null ? pageCount : only.length;
  // Of many pages (one in 16 or more), each page's slot is looked up in a dense index made for
  // this call: a binary search for every page of the file, twice, cost a spread edit ≈ 30 ms.
  const dense = only !== null && only.length > 0 && 16 * only.length > pageCount ? new Int32Array(pageCount).fill(-1) : null;
  if (dense !== null) for (let s = 0; s < only!.length; s++) if (only![s]! < pageCount) dense[only![s]!] = s;
  const slotOf = (p: number): number => {
    const parent = parentOf(p);
    if (parent < 0 || only === null) return parent;
    return dense !== null ? (parent < pageCount ? dense[parent]! : -1) : slotIn(only, only.length, parent);
  };
  const starts = new Int32Array(slots + 1);
  for (let p = 0; p < pageCount; p++) {
    const s = slotOf(p);
    if (s >= 0) starts[s + 1]!++;
  }
  for (let s = 0; s < slots; s++) starts[s + 1]! += starts[s]!;
  const list = new Int32Array(starts[slots]!);
  for (let p = 0; p < pageCount; p++) { // starts[s]: where its next child goes, its end once all are in
    const s = slotOf(p);
    if (s >= 0) list[starts[s]!++] = p;
  }
  starts.copyWithin(1, 0, slots); // each slot's end is the next one's start
  starts[0] = 0;
  return { indexed: only, starts, list };
}

const NOT_KEPT = 0xff;
const UNPARSED = -1;
/** PageLinkTable's slot shared by the leaves with no children of a first read. */
const CHILDLESS = 0;

/**
* What a walk reads of changed pages, taken from their bytes while they are read and hashed
 * (page-read.ts), so that the bytes need not be kept: copying 10,000 changed pages cost more
 * than reading and hashing the whole file. A page's role is known only when a walk reaches it,
 * so both readings are kept: as an overflow page, the next page of its chain; as a b-tree page,
 * what it is and its children. A few bytes a page and no object (a bulk load's 54,000 changed
 * pages as objects took 9 MB of heap; a spread edit's 18,000, a third of a commit's b-tree time
 * in the collector): a page's children are packed a number each, in the order a walk pushes
 * them: its page, or for an overflow page (or a page number past 2^31), -1 - its place in
 * `chains`, which holds its page and the pages left in its chain (four numbers a child were 16
 * bytes a page of a first read). The leaf of a chain is its parent's page if that is a leaf,
 * else not known (an interior index cell's): the links need not repeat it. Per page kept, found by a binary search of the pages kept (a later read
 * keeps the few that changed; per page of the file, 13 bytes a page were most of a one-row
 * commit's memory after the maps'). A first read keeps every page: a leaf with no children
 * (most pages) is then a bit of `childless`, all of them sharing one slot, not a slot each (13
 * bytes a page of the file, half of what a first map's walk held).
 */
export class PageLinkTable {
  // Read by the walks as fields, not through methods: code that runs once a commit is not
  // optimized far, and a call per field cost more than the objects it replaced. Indexed by a
  // page's slot (slotOf).
  /** Per slot, read as an overflow page: the next page of its chain (1-based; 0 ends it). */
  next: Uint32Array;
  /** Per slot, read as a b-tree page: what it is (None when its type byte is no b-tree page's; NOT_KEPT: not kept). */
  kinds: Uint8Array;
  /** Per slot, where its children start in `packed` (UNPARSED: a cell does not parse). */
  starts: Int32Array;
  /** Per slot, where they end: its own (not the next page's start, which an unparsed next page overwrites). */
  ends: Int32Array;
  /** The children of every page kept, a number each (above): slot `i`'s from `starts[i]` to `ends[i]`. */
  packed: Int32Array;
  /** Per child packed as a place here: its page, and the pages left in its chain (at least 1; -1: a b-tree page). */
  chains = new Int32Array(128);
  private chained = 0;
  /** The page index of each slot, ascending (the shared slot of childless leaves: -1, first). */
  private pages: Int32Array;
  private used = 0;
  /** Slots used. */
  private slots = 0;
  /** Pages added. */
  size = 0;
  private readonly pageCount: number;
  /** Per page, a bit: a leaf with no children, in the slot CHILDLESS (null: each page in a slot of its own). */
  private readonly childless: Uint8Array | null;

  /** `children`: room for this many children at first (grown as needed); `everyPage`: every page will be added (a first read). */
  constructor(pageCount: number, children = 0, everyPage = false) {
    this.pageCount = pageCount;
    this.packed = new Int32Array(Math.max(256, children));
    this.pages = new Int32Array(64);
    this.next = new Uint32Array(64);
    this.kinds = new Uint8Array(64).fill(NOT_KEPT);
    this.starts = new Int32Array(64);
    this.ends = new Int32Array(64);
    this.childless = everyPage ? new Uint8Array(Math.ceil(pageCount / 8)) : null;
    if (everyPage) {
      // Read as an overflow page, a leaf's next page would be past the file's end (it is not
      // put here otherwise), which gives the walk up: so does a next page of index -2.
      const i = this.slotFor(-1);
      [this.next[i], this.kinds[i], this.starts[i], this.ends[i]] = [0xffffffff, PageKind.Leaf, 0, 0];
    }
  }

  /**
   * Sparse, once the pages kept are many (one in 16 or more up to the last): per page, its slot
   * + 1 (0: not kept), made at the first lookup after the last page was added; a binary search
   * per page visited cost a spread edit's walk of 18,000 pages more than the walk itself.
   */
  private dense: Int32Array | null = null;

  /** Where page index `p`'s links are kept; -1 when they are not. */
  slotOf(p: number): number {
    const { pages, slots } = this;
    if (this.childless !== null && p >= 0 && p < this.pageCount && (this.childless[p >>> 3]! & (1 << (p & 7))) !== 0) return CHILDLESS;
    if (this.dense === null && slots > 0 && 16 * slots > pages[slots - 1]!) {
      this.dense = new Int32Array(pages[slots - 1]! + 1);
      for (let i = 0; i < slots; i++) if (pages[i]! >= 0) this.dense[pages[i]!] = i + 1;
    }
    if (this.dense !== null) return p >= 0 && p < this.dense.length ? this.dense[p]! - 1 : -1;
    return slotIn(pages, slots, p);
  }

  /** Page index `p`, a leaf with no children whose next page (read as an overflow page) is `next`, kept as a bit: true; else it needs a slot. */
  private keptChildless(p: number, next: number): boolean {
    if (this.childless === null || next <= this.pageCount) return false;
    this.childless[p >>> 3]! |= 1 << (p & 7);
    this.size++;
    return true;
  }

  /** A slot for page index `p`, added after every page kept so far. */
  private slotFor(p: number): number {
    this.dense = null;
    if (this.slots === this.pages.length) {
      this.pages = doubled(this.pages, (n) => new Int32Array(n));
      this.next = doubled(this.next, (n) => new Uint32Array(n));
      this.kinds = doubled(this.kinds, (n) => new Uint8Array(n));
      this.starts = doubled(this.starts, (n) => new Int32Array(n));
      this.ends = doubled(this.ends, (n) => new Int32Array(n));
    }
    this.pages[this.slots] = p;
    return this.slots++;
  }

  /** Keep the links of page index `p`, from its bytes; `usable`: the page size less the reserved bytes. Pages are added in ascending order. */
  add(bytes: Buffer, p: number, usable: number): void {
    const type = bytes[0];
    const kind = type === 0x0d || type === 0x0a ? PageKind.Leaf : type === 0x05 || type === 0x02 ? PageKind.Interior : PageKind.None;
    const next = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    const start = this.used;
    const parsed = kind === PageKind.None || this.pushChildren(usable, bytes, p);
    if (parsed && kind === PageKind.Leaf && this.used === start && this.keptChildless(p, next)) return;
    const i = this.slotFor(p);
    this.next[i] = next;
    this.kinds[i] = kind;
    this.size++;
    this.starts[i] = start;
    if (!parsed) {
      this.used = start; // what it pushed is dropped
      this.starts[i] = UNPARSED;
    }
    this.ends[i] = this.used;
  }

  /** Keep the links of page index `p` as page-parse.c read them (page-hash.ts PageHasher.parsed's words), as add would. */
  addParsed(p: number, words: Int32Array): void {
    const children = words[3]!;
    if (words[1] === PageKind.Leaf && children === 0 && this.keptChildless(p, words[2]! >>> 0)) return;
    const i = this.slotFor(p);
    this.next[i] = words[2]! >>> 0;
    this.kinds[i] = words[1]!;
    this.size++;
    this.starts[i] = this.used;
    if (children === UNPARSED) return void (this.starts[i] = UNPARSED);
    // The kernel's four numbers a child (page, 1 for an overflow page, pages left, leaf): the first and, of a chain, the third kept.
    for (let k = 0, at = PARSED_CHILDREN; k < children; k++, at += PARSED_CHILD) this.push(words[at]!, words[at + 1] === 1 ? words[at + 2]! : -1);
    this.ends[i] = this.used;
  }

  /** The children kept, of every page. */
  get children(): number {
    return this.used;
  }

  /** Page index `p`'s links are kept. */
  has(p: number): boolean {
    return this.slotOf(p) >= 0;
  }

  private growPacked(): void {
    const grown = new Int32Array(2 * this.packed.length);
    grown.set(this.packed);
    this.packed = grown;
  }

  /** Child `p` (as an int32: a page number read past 2^31 stays the number a walk refuses): an overflow page with `left` pages in its chain (left ≥ 1), or a b-tree page (-1). */
  private push(p: number, left: number): void {
    if (this.used === this.packed.length) this.growPacked();
    const page = p | 0;
    if (left < 0 && page >= 0) {
      this.packed[this.used++] = page;
      return;
    }
    if (2 * this.chained === this.chains.length) this.chains = doubled(this.chains, (n) => new Int32Array(n));
    this.chains[2 * this.chained] = page;
    this.chains[2 * this.chained + 1] = left;
    this.packed[this.used++] = -1 - this.chained++;
  }

  /** Push the children of the b-tree page `bytes` (page index `p`); false when a cell does not parse. */
  private pushChildren(U: number, bytes: Buffer, p: number): boolean {
    const type = bytes[0]!;
    const interior = type === 0x05 || type === 0x02;
    const cells = (bytes[3]! << 8) | bytes[4]!;
    const pointers = interior ? 12 : 8;
    if (pointers + 2 * cells > bytes.length) return false;
    const index = type === 0x02 || type === 0x0a;
    const maxLocal = index ? Math.floor(((U - 12) * 64) / 255) - 23 : U - 35;
    const minLocal = Math.floor(((U - 12) * 32) / 255) - 23;
    for (let i = 0; i < cells; i++) {
      let at = (bytes[pointers + 2 * i]! << 8) | bytes[pointers + 2 * i + 1]!;
      if (interior) {
        if (at + 4 > bytes.length) return false;
        this.push(uint32At(bytes, at) - 1, -1);
        at += 4;
        if (type === 0x05) continue; // a table's interior cell: a rowid, no payload
      }
      // The payload's size: most often a one-byte varint, read here (a call per cell, half a million of them, cost more than the rest of the parse).
      let size: number;
      if (at < bytes.length && bytes[at]! < 0x80) size = bytes[at++]!;
      else {
        at = varintEnd(bytes, at);
        if (at < 0) return false;
        size = varintRead.value;
      }
      if (size <= maxLocal) continue; // no chain: a table leaf's rowid, after the size, is not read (3,000,000 varints in a bulk load)
      if (type === 0x0d) {
        at = varintEnd(bytes, at);
        if (at < 0) return false;
      }
      const k = minLocal + ((size - minLocal) % (U - 4));
      const local = k <= maxLocal ? k : minLocal;
      if (at + local + 4 > bytes.length) return false;
      const pages = Math.ceil((size - local) / (U - 4));
      this.push(uint32At(bytes, at + local) - 1, pages);
    }
    if (interior) this.push(uint32At(bytes, 8) - 1, -1);
    return true;
  }
}

/** The big-endian 32-bit number at `at` (Buffer's readUInt32BE checks its offset through a wrapper that allocates). */
function uint32At(bytes: Buffer, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Numbers per visit on walkBtree's stack: page, parent, 1 for an overflow page, pages left in its chain (-1: not read), leaf. */
const VISIT = 5;

/** walkBtree's stack, kept for the next walk: a visit is five numbers, not an object (18,000 of them in a spread edit). */
let stack = new Int32Array(VISIT * 1024);

function pushVisit(top: number, p: number, parent: number, overflow: boolean, left: number, leaf: number): number {
  if (top + VISIT > stack.length) {
    const grown = new Int32Array(2 * stack.length);
    grown.set(stack);
    stack = grown;
  }
  stack[top] = p;
  stack[top + 1] = parent;
  stack[top + 2] = overflow ? 1 : 0;
  stack[top + 3] = left;
  stack[top + 4] = leaf;
  return top + VISIT;
}

/**
 * Adds to `out` the pages of the b-tree rooted at page index `root`; `own`: the table's own
 * b-tree (it holds rows); `seen`: per page index, 1 once a walk met it (cheaper than a Set of
 * a bulk load's 54,000 pages); `keep`: of an unchanged page, whether its subtree in the last map
 * held no changed page, so that it is the same now: pushed whole, not descended into (null:
 * every page descended into). False: not sure.
 */
export function walkBtree(source: WalkSource, root: number, own: boolean, out: PageSink, seen: Uint8Array, keep: ((p: number) => boolean) | null = null): boolean {
  let top = pushVisit(0, root, -1, false, -1, -1);
  while (top > 0) {
    top -= VISIT;
    const p = stack[top]!;
    const parent = stack[top + 1]!;
    const overflow = stack[top + 2] === 1;
    const left = stack[top + 3]!;
    const leafOfChain = stack[top + 4]!;
    if (p < 1 || p >= source.pageCount || seen[p] === 1) return false; // page index 0 is page 1: sqlite_schema's
    seen[p] = 1;
    let kind: PageKind;
    let whole = false;
    if (source.unchanged(p, overflow)) {
      kind = source.kindBefore(p);
      whole = keep !== null && keep(p);
      if (!whole) {
        const leaf = kind === PageKind.Leaf ? p : kind === PageKind.Overflow ? leafOfChain : UNKNOWN_LEAF;
        const { starts, list } = source.childrenBefore;
        const slot = childSlot(source.childrenBefore, p);
        if (slot < 0) return false;
        for (let i = starts[slot]!, end = starts[slot + 1]!; i < end; i++) {
          const c = list[i]!;
          const chain = source.kindBefore(c) === PageKind.Overflow;
          top = pushVisit(top, c, p, chain, chain && left > 0 ? left - 1 : -1, chain ? leaf : -1);
        }
      }
    } else {
      const links = source.linksNow(p);
      if (links === undefined) return false;
      const i = links.slotOf(p);
      if (overflow) {
        kind = PageKind.Overflow;
        const next = links.next[i]!;
        if (left > 0 && (next === 0) !== (left === 1)) return false;
        if (next !== 0) top = pushVisit(top, next - 1, p, true, left > 0 ? left - 1 : -1, leafOfChain);
      } else {
        kind = links.kinds[i] as PageKind;
        const start = links.starts[i]!;
        if (kind === PageKind.None || start === UNPARSED) return false;
        const { packed, chains } = links;
        // An overflow chain hangs from a leaf's cell (its rows), or from an interior index cell (none: its leaf is unknown, as dbstat gives it).
        const leaf = kind === PageKind.Leaf ? p : UNKNOWN_LEAF;
        for (let at = start, end = links.ends[i]!; at < end; at++) {
          const child = packed[at]!;
          if (child >= 0) {
            top = pushVisit(top, child, p, false, -1, -1);
            continue;
          }
          const c = -2 - 2 * child; // -1 - child's place, two numbers a place
          const left = chains[c + 1]!;
          top = pushVisit(top, chains[c]!, p, left >= 0, left, left >= 0 ? leaf : -1);
        }
      }
    }
    out.push(p, parent, kind, !own ? -1 : kind === PageKind.Leaf ? p : kind === PageKind.Overflow ? leafOfChain : -1, whole);
  }
  return true;
}

/** sameShape's scratch for a page's children, sorted: kept for the next call. */
let sorted = new Int32Array(1024);

/**
 * Each of the changed pages `pages` is, as before, an interior page or a leaf, whose cells point
 * to the same pages in the same roles as the last map recorded: then a walk from the roots meets
 * the same pages, in the same places, and need not be made.
 */
export function sameShape(source: WalkSource, pages: readonly number[]): boolean {
  // Interior pages first: a b-tree that grew or shrank changed some of their children (in a
  // spread edit, one of 300 interior pages among 11,000 changed leaves).
  for (const p of pages) if (source.kindBefore(p) === PageKind.Interior && !sameLinks(source, p)) return false;
  for (const p of pages) if (source.kindBefore(p) !== PageKind.Interior && !sameLinks(source, p)) return false;
  return true;
}

/** Changed page `p` is, as before, an interior page or a leaf whose cells point to the same pages in the same roles. */
function sameLinks(source: WalkSource, p: number): boolean {
  const before = source.kindBefore(p);
  const links = source.linksNow(p);
  if ((before !== PageKind.Interior && before !== PageKind.Leaf) || links === undefined) return false;
  const slot = links.slotOf(p);
  const start = links.starts[slot]!;
  if (links.kinds[slot] !== before || start === UNPARSED) return false;
  const { starts, list } = source.childrenBefore;
  const slotBefore = childSlot(source.childrenBefore, p);
  if (slotBefore < 0) return false;
  const was = starts[slotBefore]!;
  const count = links.ends[slot]! - start;
  if (count !== starts[slotBefore + 1]! - was) return false;
  if (count === 0) return true; // most leaves
  if (sorted.length < count) sorted = new Int32Array(2 * count);
  const { packed, chains } = links;
  for (let i = 0; i < count; i++) {
    const child = packed[start + i]!;
    const c = child >= 0 ? child : chains[-2 - 2 * child]!;
    const overflow = child < 0 && chains[-1 - 2 * child]! >= 0;
    if (overflow !== (c >= 0 && source.kindBefore(c) === PageKind.Overflow)) return false;
    sorted[i] = c;
  }
  const now = sorted.subarray(0, count).sort();
  for (let i = 0; i < count; i++) if (now[i] !== list[was + i]) return false;
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

/** `a`'s numbers at the start of a new array twice its length (`make` makes one of its type). */
export function doubled<T extends Int32Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T {
  const b = make(2 * a.length);
  b.set(a);
  return b;
}
