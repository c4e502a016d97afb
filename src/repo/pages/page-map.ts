// The page map, kept in the sidecar from the last commit (page-map-file.ts): a hash of every
// page of the live database as that commit read it, the table each page belonged to (its own
// b-tree or one of its indexes'), and its parent and kind in that b-tree, from a walk of the
// b-trees: of the changed tables only, from the last map and their changed pages, or of every
// table from every page for a first map (btree-walk.ts), or with SQLite's dbstat table
// (dbstat-walk.ts) when the pages cannot tell for sure. A cache: missing or
// damaged, it is rebuilt.
//
// Why the owners of changed pages are all the tables that can have changed: a table's rows are
// what its b-tree holds, reached from its root page. If its root page is the same and every
// page its b-tree held then (interior, leaf, overflow) is byte for byte the same now, the walk
// from the root meets the same pages and the same rows. Any change to a table therefore
// rewrites a page it already owned (a new page is linked from a parent that owned it), or
// moves its root, or changes its SQL. Pages nobody owned (free pages, pointer maps) can change
// freely.
import type { DatabaseSync } from 'node:sqlite';
import type { PageImages } from './page-read.ts';
import { sameKnownPage, type PageValues } from './page-values.ts';
import type { FileStamp } from './fingerprint.ts';
import { childIndex, doubled, PageKind, sameShape, walkBtree, WalkedPages, type ChildIndex, type PagesFound, type PageSink, type WalkSource } from './btree-walk.ts';
import { dbstatWalk } from './dbstat-walk.ts';
import { UNKNOWN_CELLS } from './leaf-span.ts';
import { SpilledValues } from './spilled-values.ts';
import { isWindowed, numbersOf, PatchedColumn, windowReader, windowsOf, type PageColumn, type Reader } from './page-columns.ts';

export interface PageMap {
  pageSize: number;
  pageCount: number;
  /**
   * Per page, its hash (zeros for a page whose content is not known: always "changed"), and as a
   * table leaf the first and last rowid it holds and its cells (leaf-span.ts; for a page of the
   * WAL's last transaction, a span over both its images and UNKNOWN_CELLS): page-values.ts.
   */
  values: PageValues;
  /** The seed the hashes were made with: the next read hashes with it too (page-hash/page-hash.ts). */
  seed: bigint;
  /** Per page, its table's index in `tables`; -1 for a page no table owns. */
  owners: PageColumn;
  /**
   * Per page of a table's own b-tree that holds rows: for a leaf, itself; for an overflow page,
   * the leaf whose cell it continues (UNKNOWN_LEAF when not found); -1 for any other page.
   */
  leafOf: PageColumn;
  /** Per page, the page (index) whose cell or chain points to it in its b-tree; -1 for a root or a page no table owns. */
  parents: PageColumn;
  /** Per page, what it is in its b-tree (btree-walk.ts PageKind). */
  kinds: PageColumn;
  tables: string[];
  /** Per table, its b-trees as sqlite_schema lists them (name, root page, SQL). */
  layout: Record<string, string>;
  /** In WAL mode, the main file's stat when these pages were read (trusted: the clock was past it); else null. */
  mainFile: FileStamp | null;
  /** The changed tables this map walked with dbstat, not from the last map (for -v; not saved). */
  dbstatWalked: string[];
  /** The map this one was made from, if read from pages.bin: saving this one may write over its file (page-map-file.ts; not saved). */
  replaces: PageMap | null;
}

/**
 * The rows of table `t` in `map`: the cells of the leaves of its own b-tree, summed (SQLite's
 * count(*) reads every leaf for them); null when a leaf's are not known (a WITHOUT ROWID table's
 * never are, leaf-span.ts), or the map has no such table.
 */
export function rowsOf(map: PageMap, t: string): bigint | null {
  const id = map.tables.indexOf(t);
  if (id < 0) return null;
  const rows = new RowCounts(map, new Set([t]));
  const leaves = windowsOf(map.leafOf, map.pageCount);
  for (const [from, owners] of windowsOf(map.owners, map.pageCount)) {
    const leafOf = leaves.next().value![1];
    for (let i = 0; i < Math.min(owners.length, map.pageCount - from); i++) if (leafOf[i] === from + i) rows.leaf(owners[i]!, from + i);
  }
  return rows.of(t);
}

/** Per table asked about, the cells of its leaves in a map, summed as its pages are met. */
class RowCounts {
  private readonly map: PageMap;
  /** Per table index of the map: its rows so far, -1 once a leaf's are not known; undefined: not asked about. */
  private readonly rows: Array<number | undefined>;

  constructor(map: PageMap, tables: ReadonlySet<string>) {
    this.map = map;
    this.rows = map.tables.map((t) => (tables.has(t) ? 0 : undefined));
  }

  /** Page `p`, owned by table index `owner`, is a leaf of its own b-tree. */
  leaf(owner: number, p: number): void {
    const sum = this.rows[owner];
    if (sum === undefined || sum < 0) return;
    const cells = this.map.values.cellsOf(p);
    this.rows[owner] = cells === UNKNOWN_CELLS ? -1 : sum + cells;
  }

  of(t: string): bigint | null {
    const sum = this.rows[this.map.tables.indexOf(t)];
    return sum === undefined || sum < 0 ? null : BigInt(sum);
  }
}

/** `map` with its structure (owners, leaves, parents, kinds) in memory: a walk reads them for every page of its tables. */
function resident(map: PageMap): PageMap & { owners: Int32Array; leafOf: Int32Array; parents: Int32Array; kinds: Uint8Array } {
  const read = <T extends Int32Array | Uint8Array>(column: PageColumn, make: (n: number) => T): T => {
    if (!isWindowed(column)) return column as T;
    const whole = make(column.length);
    column.into(0, column.length, whole);
    return whole;
  };
  const ints = (n: number) => new Int32Array(n);
  return { ...map, owners: read(map.owners, ints), leafOf: read(map.leafOf, ints), parents: read(map.parents, ints), kinds: read(map.kinds, (n) => new Uint8Array(n)) };
}

/** Per table of database `schema` on `db`, a text that changes when its SQL, an index of it, or a root page changes. */
export function layoutOf(db: DatabaseSync, schema = 'main'): Record<string, string> {
  const rows = db.prepare(`SELECT name, tbl_name AS tbl, rootpage, sql FROM ${schema}.sqlite_schema WHERE type IN ('table', 'index') ORDER BY name`).all() as Array<{ name: string; tbl: string; rootpage: unknown; sql: string | null }>;
  const out: Record<string, string> = {};
  for (const r of rows) out[r.tbl] = (out[r.tbl] ?? '') + JSON.stringify([r.name, String(r.rootpage), r.sql]);
  return out;
}

/** The tables whose rows may differ between `old` and `images`: see the top of this file. */
export function changedTables(old: PageMap, images: PageImages, layout: Record<string, string>): Set<string> {
  const changed = new Set<string>();
  for (const t of new Set([...Object.keys(layout), ...Object.keys(old.layout)])) if (layout[t] !== old.layout[t]) changed.add(t);
  const ownerAt = numbersOf(old.owners);
  const ownerOf = (p: number): void => {
    const owner = ownerAt(p);
    if (owner >= 0) changed.add(old.tables[owner]!);
  };
  for (const p of images.differing) if (p < old.pageCount) ownerOf(p); // the read compared its hashes with old's
  for (let p = images.pageCount; p < old.pageCount; p++) ownerOf(p); // past the end now
  return changed;
}


/**
 * The map of the database `db` reads now (inside the read transaction that `images` was read
 * in): the unchanged tables keep their pages, the changed ones (all, without `old`) are
 * walked again: from the old map and their changed pages (btree-walk.ts), without `old` from the
 * links of every page, else with dbstat. `structureWindow`: the pages of a first map's structure
 * put together at a time (windowedFirstStructure).
 */
export function nextPageMap(db: DatabaseSync, old: PageMap | null, images: PageImages, layout: Record<string, string>, changed: ReadonlySet<string> | 'all', schema = 'main', structureWindow = STRUCTURE_WINDOW): PageMap {
  const count = images.pageCount;
  // A changed table whose b-trees kept their shape keeps its pages as the last map has them, unwalked.
  const plan = old === null || changed === 'all' ? null : walkPlan(old, images, layout, changed);
  // Every table kept its pages (and, numbered in old's order, its index): the last map's
  // columns are this one's, not copied (13 bytes a page; read from pages.bin as needed, and
  // saving writes them where they lie).
  const same = old !== null && plan?.reshaped.size === 0 && count === old.pageCount ? old : null;
  const btrees = db.prepare(`SELECT name, tbl_name AS tbl, rootpage FROM ${schema}.sqlite_schema WHERE type IN ('table', 'index') AND rootpage > 0`).all() as Array<{ name: string; tbl: string; rootpage: number | bigint }>;
  // A b-tree that changed shape is walked from its changed pages when that can be sure, else from its roots (below).
  const partial = old !== null && plan !== null && plan.reshaped.size > 0 ? partialStructure(old, images, layout, plan.reshaped, btrees) : null;
  if (partial !== null) return { pageSize: images.pageSize, pageCount: count, values: forgetLastWritten(images), seed: images.seed, ...partial, layout, mainFile: null, dbstatWalked: [], replaces: old };
  // A first map's structure goes to the read's scratch file a window of pages at a time (held whole: 13 bytes a page).
  const first = old === null && images.values instanceof SpilledValues ? windowedFirstStructure(images, btrees, count, structureWindow) : null;
  if (first !== null) return { pageSize: images.pageSize, pageCount: count, values: forgetLastWritten(images), seed: images.seed, ...first, layout, mainFile: null, dbstatWalked: [], replaces: null };
  const tableOf = new Map(btrees.map((b) => [b.name, b.tbl]));
  // The walks write into the map's arrays as they go (kept aside until each was sure, a first
  // map's walk of every page took 13–26 bytes a page more); one that gives up part way leaves
  // them unsure, and they are made again with each walk kept aside (rare: a damaged b-tree, a
  // page the reader may not see).
  const structureOf = (direct: boolean): { tables: string[]; owners: Int32Array; leafOf: Int32Array; parents: Int32Array; kinds: Uint8Array; dbstatWalked: string[] } | null => {
    const tables: string[] = [];
    const ids = new Map<string, number>();
    const idOf = (t: string): number => ids.get(t) ?? (ids.set(t, tables.length), tables.push(t) - 1);
    const owners = new Int32Array(same === null ? count : 0).fill(-1);
    const leafOf = new Int32Array(same === null ? count : 0).fill(-1);
    const parents = new Int32Array(same === null ? count : 0).fill(-1);
    const kinds = new Uint8Array(same === null ? count : 0);
    const add = (t: string, own: boolean, found: PagesFound): void => {
      const id = idOf(t);
      for (let i = 0; i < found.length; i++) {
        const p = found.pages[i]!;
        if (p >= count) continue;
        owners[p] = id;
        parents[p] = found.parents[i]!;
        kinds[p] = found.kinds[i]!;
        leafOf[p] = own ? found.leaves[i]! : -1;
      }
    };
    const addDbstat = (name: string | null): void => {
      for (const [btree, found] of dbstatWalk(db, schema, name)) {
        const t = tableOf.get(btree);
        if (t !== undefined) add(t, btree === t, { ...found, length: found.pages.length, leaves: found.pages.map((_, i) => found.leafOf(i)) });
      }
    };
    const dbstatWalked: string[] = [];
    /** False: a walk written into the arrays gave up. */
    const walkOrDbstat = (t: string, source: WalkSource | null): boolean => {
      const trees = btrees.filter((b) => b.tbl === t);
      if (source !== null && direct) {
        const id = idOf(t);
        const into: PageSink = {
          push(p, parent, kind, leaf) {
            owners[p] = id; // p < count: a walk stays within the pages read
            parents[p] = parent;
            kinds[p] = kind;
            leafOf[p] = leaf;
          },
        };
        return walkTable(source, t, trees, () => into) !== null;
      }
      const walked = walkTable(source, t, trees, () => new WalkedPages());
      if (walked !== null) walked.forEach((w, i) => add(t, trees[i]!.name === t, w));
      else {
        dbstatWalked.push(t);
        for (const b of trees) addDbstat(b.name);
      }
      return true;
    };
    if (old === null || plan === null) {
      // A first map: every table walked from the links the read kept of every page (dbstat took
      // 0.2 s of CPU for 1,000,000 rows, the walk a quarter of it); with dbstat when the links were not all kept (a damaged file's).
      const source = firstWalkSource(images);
      if (source === null) addDbstat(null);
      else for (const t of new Set(btrees.map((b) => b.tbl))) if (!walkOrDbstat(t, source)) return null;
    } else {
      const { reshaped } = plan;
      const { sources, structure } = plan.whole();
      const kept = old.tables.map((t) => (reshaped.has(t) ? -1 : idOf(t)));
      const [ownerAt, leafAt, parentAt, kindAt] = [structure.owners, structure.leafOf, structure.parents, structure.kinds].map(numbersOf) as [Reader, Reader, Reader, Reader];
      for (let p = 0; same === null && p < Math.min(old.pageCount, count); p++) {
        const owner = ownerAt(p);
        if (owner < 0 || kept[owner]! < 0) continue;
        owners[p] = kept[owner]!;
        leafOf[p] = leafAt(p);
        parents[p] = parentAt(p);
        kinds[p] = kindAt(p);
      }
      for (const t of reshaped) if (!walkOrDbstat(t, sources.get(t)!)) return null;
    }
    return { tables, owners, leafOf, parents, kinds, dbstatWalked };
  };
  const { tables, owners, leafOf, parents, kinds, dbstatWalked } = structureOf(true) ?? structureOf(false)!;
  const structure = same ?? { owners, leafOf, parents, kinds };
  return { pageSize: images.pageSize, pageCount: count, values: forgetLastWritten(images), seed: images.seed, owners: structure.owners, leafOf: structure.leafOf, parents: structure.parents, kinds: structure.kinds, tables, layout, mainFile: null, dbstatWalked, replaces: old };
}

/**
 * The read's own values, not copies (the walks were their last readers); a page of the WAL's
 * last transaction is not known: its span covers both its images (page-read.ts).
 */
function forgetLastWritten(images: PageImages): PageValues {
  const { values } = images;
  for (const p of images.lastWritten) if (p <= images.pageCount) values.forget(p - 1);
  return values;
}

/** A map's structure: its tables, and per page its owner, leaf, parent and kind. */
interface Structure {
  tables: string[];
  owners: PageColumn;
  leafOf: PageColumn;
  parents: PageColumn;
  kinds: PageColumn;
}

/** Passes over the last map's parents for the pages under a page freed or moved (one when the pages of a subtree or chain ascend, as SQLite mostly allocates them). */
const SUBTREE_PASSES = 8;

/**
 * The next map's structure when the b-trees that changed shape (`reshaped`) are walked from the
 * pages whose links changed only, not from their roots: the last map's columns, patched where a
 * page changed owner, leaf, parent or kind (PatchedColumn), not read whole (13 bytes a page) nor
 * indexed by parent (8). Why that suffices: a page unchanged, in the same role, links to the
 * same pages as when the last map was made, and so does every page under it; if none under it
 * changed either, its whole subtree is as that map has it (only a chain's leaf may differ, when
 * a cell moved to another leaf). So the walk descends only into changed pages and the pages
 * above them in the last map (whose children come from one pass over its parents, a window at a
 * time), and keeps the subtree of any other page it meets whole. The pages the last map had
 * under those descended into, not met now, left the b-tree (freed, or another table's): with
 * their subtrees (passes over the parents again) they are unowned, unless a walk met them. A
 * dropped table's pages are unowned (a pass over the owners). Null when that cannot be done
 * for sure: a table whose SQL, indexes or root pages changed (not dropped), the file shorter,
 * a page of the WAL's last transaction, a page a walk does not know, or one met twice; then the
 * tables are walked from their roots.
 */
function partialStructure(old: PageMap, images: PageImages, layout: Record<string, string>, reshaped: ReadonlySet<string>, btrees: Array<{ name: string; tbl: string; rootpage: number | bigint }>): Structure | null {
  const count = images.pageCount;
  const n = old.pageCount;
  if (images.changed === null || count < n) return null;
  const [ownerAt, parentAt, leafAt, kindAt] = [old.owners, old.parents, old.leafOf, old.kinds].map(numbersOf) as [Reader, Reader, Reader, Reader];
  const tables = [...old.tables];
  const dropped = new Set<number>();
  const walked: string[] = [];
  for (const t of reshaped) {
    if (layout[t] !== undefined && old.layout[t] !== undefined && layout[t] !== old.layout[t]) return null; // its SQL, an index or a root page changed
    if (layout[t] !== undefined) walked.push(t);
    else if (old.tables.includes(t)) dropped.add(old.tables.indexOf(t));
  }
  const walkedIds = new Set(walked.map((t) => old.tables.indexOf(t)).filter((id) => id >= 0));
  const heldBefore = (p: number): boolean => p >= 0 && p < n && walkedIds.has(ownerAt(p));
  if (images.lastWritten.some((p) => heldBefore(p - 1))) return null; // the reader may see either image
  // The changed pages of the walked tables, and the pages above them in the last map.
  const dirty = new Set<number>();
  for (const p of images.differing) for (let q = p; heldBefore(q) && !dirty.has(q); q = parentAt(q)) dirty.add(q);
  const dirtyPages = Int32Array.from(dirty).sort();
  const children = childIndex(n, windowReader(old.parents), dirtyPages);
  // Walked: per page met, its table, parent, kind, leaf and whether its subtree was kept whole;
  // not a page met as the last map has it (a leaf changed in place, a subtree kept whole under
  // its parent): it needs no patch, and nothing below asks about it.
  const met = new Records(MET);
  const seen = new Uint8Array(count); // also the pages met, with every table's
  const keep = (p: number): boolean => !dirty.has(p);
  for (const t of walked) {
    const source = walkSource(old, images, children, t);
    if (source === null) return null;
    const id = tables.indexOf(t) >= 0 ? tables.indexOf(t) : tables.push(t) - 1;
    const sink: PageSink = {
      push: (p, parent, kind, leaf, whole) => {
        if (p < n && parentAt(p) === parent && leafAt(p) === leaf && kindAt(p) === kind && ownerAt(p) === id) return;
        met.add(p, id, parent, kind, leaf, whole ? 1 : 0);
      },
    };
    for (const tree of btrees) if (tree.tbl === t && !walkBtree(source, Number(tree.rootpage) - 1, tree.name === t, sink, seen, keep)) return null;
  }
  const reached = (p: number): boolean => p < count && seen[p] === 1;
  // Under the pages descended into, the last map's pages not met now (and their subtrees) left
  // the b-trees (tag -1); a chain kept whole that now continues another leaf takes that leaf (its tag).
  const roots = new Map<number, number>();
  for (let s = 0; s < dirtyPages.length; s++) {
    for (let i = children.starts[s]!; i < children.starts[s + 1]!; i++) {
      const c = children.list[i]!;
      if (!dirty.has(c) && !reached(c)) roots.set(c, -1);
    }
  }
  const m = met.numbers;
  for (let i = 0; i < met.length; i += MET) {
    const [p, kind, leaf, whole] = [m[i]!, m[i + 3]!, m[i + 4]!, m[i + 5]!];
    if (whole !== 1 || leaf === leafAt(p)) continue;
    if (kind !== PageKind.Overflow) return null; // a leaf or interior page of another b-tree of its table
    roots.set(p, leaf);
  }
  const under = subtrees(old.parents, n, roots, reached);
  if (under === null) return null;
  // A subtree kept whole under a new parent: its old parent let it go (left the b-trees, or descended into and not linking to it now).
  for (let i = 0; i < met.length; i += MET) {
    const [p, parent, whole] = [m[i]!, m[i + 2]!, m[i + 5]!];
    const before = parentAt(p);
    if (whole === 1 && parent !== before && !(before >= 0 && (dirty.has(before) || under.get(before) === -1))) return null;
  }
  // Per page patched, its owner, parent, kind and leaf: the pages met, and the last map's pages
  // not met now (a dropped table's, changed ones, those under them), or chains relabelled: no page twice.
  const patches = new Records(PATCH);
  const unowned = (p: number): void => patches.add(p, -1, -1, PageKind.None, -1);
  if (dropped.size > 0) {
    for (const [from, owners] of windowsOf(old.owners, n)) for (let i = 0; i < Math.min(owners.length, n - from); i++) if (dropped.has(owners[i]!) && !reached(from + i)) unowned(from + i);
  }
  for (const p of dirtyPages) if (!reached(p)) unowned(p);
  for (const [p, tag] of under) {
    if (reached(p)) continue; // a chain's first page, met
    if (tag === -1) unowned(p);
    else patches.add(p, ownerAt(p), parentAt(p), kindAt(p), tag);
  }
  for (let i = 0; i < met.length; i += MET) patches.add(m[i]!, m[i + 1]!, m[i + 2]!, m[i + 3]!, m[i + 4]!);
  const pn = patches.numbers;
  const order = Int32Array.from({ length: patches.length / PATCH }, (_, i) => PATCH * i).sort((x, y) => pn[x]! - pn[y]!);
  const field = (k: number): Int32Array => {
    const out = new Int32Array(order.length);
    for (let i = 0; i < order.length; i++) out[i] = pn[order[i]! + k]!;
    return out;
  };
  const pages = field(0);
  const column = (base: PageColumn, width: 4 | 1, fill: number, k: number): PatchedColumn => new PatchedColumn(base, count, width, fill, pages, field(k));
  return { tables, owners: column(old.owners, 4, -1, 1), parents: column(old.parents, 4, -1, 2), kinds: column(old.kinds, 1, PageKind.None, 3), leafOf: column(old.leafOf, 4, -1, 4) };
}

/** Numbers per page partialStructure's walks met: page, table, parent, kind, leaf, kept whole. */
const MET = 6;
/** Numbers per page it patches: page, owner, parent, kind, leaf. */
const PATCH = 5;

/** Records of a few numbers each, in one typed array grown by doubling (no object per page: a bulk load's walk meets 50,000 pages). */
class Records {
  numbers = new Int32Array(1024);
  /** Numbers used. */
  length = 0;
  private readonly width: number;

  constructor(width: number) {
    this.width = width;
  }

  /** One record: its first five numbers, and a sixth when the width is six (no array per record: called once a page met). */
  add(a: number, b: number, c: number, d: number, e: number, f = 0): void {
    if (this.length + this.width > this.numbers.length) this.numbers = doubled(this.numbers, (n) => new Int32Array(n));
    const [numbers, at] = [this.numbers, this.length];
    numbers[at] = a;
    numbers[at + 1] = b;
    numbers[at + 2] = c;
    numbers[at + 3] = d;
    numbers[at + 4] = e;
    if (this.width === 6) numbers[at + 5] = f;
    this.length += this.width;
  }
}

/**
 * The pages under `roots` in the last map (by its `parents` of `n` pages), each with its root's
 * tag, the roots too, not descending into the pages `stop`; null past SUBTREE_PASSES passes.
 */
function subtrees(parents: PageColumn, n: number, roots: ReadonlyMap<number, number>, stop: (p: number) => boolean): Map<number, number> | null {
  const tags = new Map(roots);
  for (let pass = 0, added = roots.size > 0; added; pass++) {
    if (pass === SUBTREE_PASSES) return null;
    added = false;
    for (const [from, window] of windowsOf(parents, n)) {
      for (let i = 0; i < Math.min(window.length, n - from); i++) {
        const parent = window[i]!;
        const tag = parent < 0 ? undefined : tags.get(parent);
        if (tag === undefined || tags.has(from + i) || stop(from + i)) continue;
        tags.set(from + i, tag);
        added = true;
      }
    }
  }
  return tags;
}

/**
 * Of the changed tables, those whose b-trees changed shape (to walk again), what a walk of each
 * reads, and the last map's structure as the walks and the copy of the other tables' pages read
 * it: from pages.bin, or in memory for a walk from the roots (`whole`, when partialStructure cannot).
 */
function walkPlan(old: PageMap, images: PageImages, layout: Record<string, string>, changed: ReadonlySet<string>): { reshaped: Set<string>; whole: () => { sources: Map<string, WalkSource | null>; structure: PageMap } } {
  const heldBy = (map: PageMap, tables: ReadonlySet<string>): ((p: number) => boolean) => {
    const held = map.tables.map((t) => tables.has(t));
    const ownerAt = numbersOf(map.owners);
    return (p) => p >= 0 && p < map.pageCount && ownerAt(p) >= 0 && held[ownerAt(p)]!;
  };
  // Whether a table kept its shape asks only about the children of its changed pages: a pass
  // over the parents, a window at a time, keeping the pages whose parent is one of them.
  const changedPages = Int32Array.from(images.differing.filter(heldBy(old, changed)));
  const ofChangedPages = childIndex(old.pageCount, windowReader(old.parents), changedPages);
  const reshaped = new Set([...changed].filter((t) => !keptShape(old, images, layout, t, walkSource(old, images, ofChangedPages, t))));
  if (reshaped.size === 0) return { reshaped, whole: () => ({ sources: new Map(), structure: old }) };
  return {
    reshaped,
    // A walk from the roots asks about the children of every page of the tables it walks, and their owners and kinds.
    whole: () => {
      const whole = resident(old);
      const walked = heldBy(whole, reshaped);
      const ofEveryPage = childIndex(whole.pageCount, (p) => (walked(whole.parents[p]!) ? whole.parents[p]! : -1));
      return { sources: new Map([...reshaped].map((t) => [t, walkSource(whole, images, ofEveryPage, t)])), structure: whole };
    },
  };
}

/**
 * Table `t` changed, but its b-trees did not change shape: its SQL and root pages are the same,
 * and each of its pages that changed is still the interior page or leaf it was, pointing to the
 * same pages in the same roles (no overflow page of it changed: the length of a chain is checked
 * only by a walk). A walk from its roots would meet the same pages, parents, kinds and leaves
 * as the last map's (btree-walk.ts).
 */
function keptShape(old: PageMap, images: PageImages, layout: Record<string, string>, t: string, source: WalkSource | null): boolean {
  if (source === null || old.layout[t] !== layout[t]) return false;
  const id = old.tables.indexOf(t);
  const ownerAt = numbersOf(old.owners);
  const own = (p: number): boolean => p < old.pageCount && ownerAt(p) === id;
  if (images.lastWritten.some((page) => own(page - 1))) return false; // the reader may see either image
  for (let p = images.pageCount; p < old.pageCount; p++) if (own(p)) return false; // past the end now
  return sameShape(source, images.differing.filter(own));
}

/** What the walk of table `t` reads: the last map's structure of it, and the changed pages kept; null without those. */
function walkSource(old: PageMap, images: PageImages, children: ChildIndex, t: string): WalkSource | null {
  const changed = images.changed;
  if (changed === null) return null;
  const oldId = old.tables.indexOf(t);
  const lastWritten = new Set(images.lastWritten.map((p) => p - 1)); // the reader may see either image of these
  const [ownerAt, kindAt] = [numbersOf(old.owners), numbersOf(old.kinds)];
  return {
    usable: images.pageSize - images.reserved,
    pageCount: images.pageCount,
    unchanged(p, overflow) {
      if (p >= old.pageCount || oldId < 0 || ownerAt(p) !== oldId || lastWritten.has(p)) return false;
      const kind = kindAt(p);
      if (overflow ? kind !== PageKind.Overflow : kind !== PageKind.Interior && kind !== PageKind.Leaf) return false;
      return sameKnownPage(old.values, images.values, p);
    },
    childrenBefore: children,
    kindBefore: (p) => (p < old.pageCount ? (kindAt(p) as PageKind) : PageKind.None),
    linksNow: (p) => (lastWritten.has(p) || !changed.has(p) ? undefined : changed),
  };
}

/** Pages of a first map's owners, leaves, parents and kinds put together at a time: 13 bytes each. */
const STRUCTURE_WINDOW = 1 << 18;

/**
 * A first map's tables, and its owners, leaves, parents and kinds written to the read's scratch
 * file (spilled-values.ts) a window of `window` pages at a time: every table walked
 * from its roots once a window, in the same order, each keeping the pages of that window (as
 * the walk of nextPageMap's structureOf would write them into arrays of every page); null when
 * a walk is not sure, or the links were not all kept (then structureOf makes it, in memory).
 */
function windowedFirstStructure(images: PageImages, btrees: Array<{ name: string; tbl: string; rootpage: number | bigint }>, count: number, window: number): Structure | null {
  const source = firstWalkSource(images);
  const values = images.values;
  if (source === null || !(values instanceof SpilledValues)) return null;
  const tables = [...new Set(btrees.map((b) => b.tbl))];
  const trees = tables.map((t) => btrees.filter((b) => b.tbl === t));
  const size = Math.min(count, window);
  const [owners, leafOf, parents, kinds] = [new Int32Array(size), new Int32Array(size), new Int32Array(size), new Uint8Array(size)];
  const seen = new Uint8Array(count);
  let [from, to, id] = [0, 0, 0];
  const into: PageSink = {
    push(p, parent, kind, leaf) {
      if (p < from || p >= to) return;
      owners[p - from] = id;
      parents[p - from] = parent;
      kinds[p - from] = kind;
      leafOf[p - from] = leaf;
    },
  };
  for (; from < count; from = to) {
    to = Math.min(count, from + size);
    owners.fill(-1);
    leafOf.fill(-1);
    parents.fill(-1);
    kinds.fill(PageKind.None);
    for (id = 0; id < tables.length; id++) {
      seen.fill(0); // a table's b-trees share one, as walkTable's
      for (const tree of trees[id]!) if (!walkBtree(source, Number(tree.rootpage) - 1, tree.name === tables[id], into, seen)) return null;
    }
    values.structureInto(from, to, owners, leafOf, parents, kinds);
  }
  return { tables, ...values.structure() };
}

/** What a first map's walk reads: no last map, the links of every page (the read kept them all, with no earlier hashes to compare); null without those. */
function firstWalkSource(images: PageImages): WalkSource | null {
  const links = images.changed;
  if (links === null || links.size !== images.pageCount) return null;
  const lastWritten = new Set(images.lastWritten.map((p) => p - 1)); // the reader may see either image of these
  return {
    usable: images.pageSize - images.reserved,
    pageCount: images.pageCount,
    unchanged: () => false,
    childrenBefore: { indexed: new Int32Array(0), starts: new Int32Array(1), list: new Int32Array(0) },
    kindBefore: () => PageKind.None,
    linksNow: (p) => (lastWritten.has(p) || !links.has(p) ? undefined : links),
  };
}

/** The pages of table `t`'s b-trees `trees`, walked from `source` into `sinkFor` each; null when not sure (then dbstat walks it). */
function walkTable<T extends PageSink>(source: WalkSource | null, t: string, trees: Array<{ name: string; rootpage: number | bigint }>, sinkFor: () => T): T[] | null {
  if (source === null) return null;
  const seen = new Uint8Array(source.pageCount);
  const out: T[] = [];
  for (const tree of trees) {
    const walked = sinkFor();
    if (!walkBtree(source, Number(tree.rootpage) - 1, tree.name === t, walked, seen)) return null;
    out.push(walked);
  }
  return out;
}
