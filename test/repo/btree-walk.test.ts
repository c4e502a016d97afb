// The next page map walks a changed table from the last map and its changed pages
// (btree-walk.ts): page for page the map dbstat gives in the same read. The random cases are in
// page-scope-property.test.ts (every commit's map checked against dbstat); here, what they meet
// too seldom: the WAL's last transaction not in the reader's snapshot (its pages' bytes are not
// what the reader sees: dbstat walks that table), and a change that splits leaves and moves
// overflow chains, walked without dbstat.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { readFileSync } from 'node:fs';
import { childIndex, PageKind, PageLinkTable, sameShape, walkBtree, WalkedPages, type WalkSource } from '../../src/repo/pages/btree-walk.ts';
import { changedTables, layoutOf, nextPageMap, type PageMap } from '../../src/repo/pages/page-map.ts';
import { readPageImages, type PageImages } from '../../src/repo/pages/page-read.ts';
import { tempDir } from './helpers.ts';

function images(path: string, earlier: PageMap | null = null): PageImages {
  const read = readPageImages(path, earlier);
  if (typeof read === 'string') throw new Error(read);
  return read;
}

/** Per page: owner, leaf, parent, kind. */
function structure(map: PageMap): string[] {
  return Array.from({ length: map.pageCount }, (_, p) => {
    const o = map.owners.at(p)!;
    return `${p + 1}: ${o < 0 ? '-' : map.tables[o]} ${map.leafOf.at(p)} ${map.parents.at(p)} ${map.kinds.at(p)}`;
  });
}

/** Inside `reader`'s read transaction: the next map from `old`, and the map dbstat gives whole. */
function bothMaps(reader: DatabaseSync, path: string, old: PageMap): { next: PageMap; whole: PageMap } {
  const layout = layoutOf(reader);
  const read = images(path, old);
  const next = nextPageMap(reader, old, read, layout, changedTables(old, read, layout));
  return { next, whole: nextPageMap(reader, null, { ...images(path), changed: null }, layout, 'all') }; // no links: dbstat walks it
}

const SETUP = `PRAGMA page_size = 512; CREATE TABLE other(id INTEGER PRIMARY KEY, n TEXT); INSERT INTO other VALUES (1, 'x');
  CREATE TABLE t(id INTEGER PRIMARY KEY, n TEXT, b BLOB); CREATE INDEX t_n ON t(n);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300) INSERT INTO t SELECT i, printf('%08d', i), zeroblob(CASE WHEN i % 10 = 0 THEN 2000 ELSE 20 END) FROM s`;

function firstMap(db: DatabaseSync, path: string): PageMap {
  db.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
  const map = nextPageMap(db, null, images(path), layoutOf(db), 'all');
  db.exec('COMMIT');
  return map;
}

/** A table's interior page of 512 bytes over the page indexes `children`. */
const interior = (children: number[]): Buffer => {
  const page = Buffer.alloc(512);
  page[0] = 0x05;
  page.writeUInt16BE(children.length - 1, 3);
  page.writeUInt32BE(children.at(-1)! + 1, 8);
  children.slice(0, -1).forEach((c, i) => {
    const at = 400 + 8 * i;
    page.writeUInt16BE(at, 12 + 2 * i);
    page.writeUInt32BE(c + 1, at); // then a rowid varint: 0
  });
  return page;
};
/** A table's leaf of 512 bytes, empty. */
const leaf = Buffer.alloc(512);
leaf[0] = 0x0d;

describe('walking a changed table from the last map', () => {
  it('gives dbstat’s map for a first map, walked from the pages alone, in rollback and WAL mode', () => {
    for (const mode of ['delete', 'wal']) {
      const path = join(tempDir(), `first-${mode}.db`);
      const app = new DatabaseSync(path);
      app.exec(`PRAGMA journal_mode = ${mode}; ${SETUP}; CREATE TABLE late(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
        WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40) INSERT INTO late SELECT printf('%.300c', char(65 + i % 26)) || i, zeroblob(700) FROM s`); // keys that overflow, in an index b-tree of its own rows
      app.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
      const read = images(path);
      const walked = nextPageMap(app, null, read, layoutOf(app), 'all');
      const found = structure(walked); // the next map made from this read writes over its scratch file's
      const whole = nextPageMap(app, null, { ...read, changed: null }, layoutOf(app), 'all');
      // Written a window of pages at a time (spilled-values.ts): windows of 7 and 30 pages, each table walked again for each.
      const windowed = [7, 30].map((pages) => {
        const map = nextPageMap(app, null, read, layoutOf(app), 'all', 'main', pages);
        return [map.tables, structure(map)];
      });
      app.exec('COMMIT');
      expect(walked.dbstatWalked).toEqual(mode === 'wal' ? ['late'] : []); // the WAL's last transaction, which a reader may not see yet
      expect(walked.pageCount).toBeGreaterThan(2 * 30);
      expect(found).toEqual(structure(whole));
      for (const map of windowed) expect(map).toEqual([whole.tables, structure(whole)]);
      expect(new Set(found.map((s) => s.split(' ')[4]))).toEqual(new Set(['0', '1', '2', '3']));
      app.close();
    }
  });

  it('gives dbstat’s map after leaves split and overflow chains move, without dbstat', () => {
    const path = join(tempDir(), 'split.db');
    const app = new DatabaseSync(path);
    app.exec(SETUP);
    const old = firstMap(app, path);
    app.exec("UPDATE t SET n = printf('%.40c', 'y') WHERE id BETWEEN 100 AND 140; INSERT INTO t VALUES (1000, 'big', zeroblob(5000)); DELETE FROM t WHERE id BETWEEN 200 AND 230");
    app.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
    const { next, whole } = bothMaps(app, path, old);
    app.exec('COMMIT');
    expect(next.dbstatWalked).toEqual([]);
    expect(structure(next)).toEqual(structure(whole));
    expect(new Set(structure(next).map((s) => s.split(' ')[4]))).toEqual(new Set(['0', '1', '2', '3'])); // interior, leaf and overflow pages met
    app.close();
  });

  it('gives dbstat’s map when values change in place beside a row’s overflow chain (each changed page points where it did)', () => {
    const path = join(tempDir(), 'same.db');
    const app = new DatabaseSync(path);
    app.exec(SETUP);
    const old = firstMap(app, path);
    app.exec("UPDATE t SET n = printf('%08d', -id) WHERE id IN (11, 150); UPDATE other SET n = 'y'"); // in leaves holding overflowing rows 10 and 150
    app.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
    const { next, whole } = bothMaps(app, path, old);
    app.exec('COMMIT');
    expect(next.dbstatWalked).toEqual([]);
    expect(structure(next)).toEqual(structure(whole));
    expect(structure(next)).toEqual(structure(old)); // the same shape
    app.close();
  });

  it('walks with dbstat a table the WAL’s last transaction wrote, which the reader may not see', () => {
    const path = join(tempDir(), 'wal.db');
    const app = new DatabaseSync(path);
    app.exec(`PRAGMA journal_mode = wal; ${SETUP}`);
    const old = firstMap(app, path);
    app.exec("UPDATE t SET n = 'seen' WHERE id = 5");
    const reader = new DatabaseSync(path);
    reader.exec('BEGIN; SELECT count(*) FROM sqlite_schema'); // its snapshot: before the delete below
    app.exec('DELETE FROM t WHERE id > 150'); // frees whole leaves and overflow chains: a b-tree the reader does not see
    const { next, whole } = bothMaps(reader, path, old);
    reader.exec('COMMIT');
    expect(next.dbstatWalked).toEqual(['t']);
    expect(structure(next)).toEqual(structure(whole));
    reader.close();
    app.close();
  });

  it('keeps a leaf’s overflow links when the next page looks like a b-tree page but does not parse (a freed page’s old bytes)', () => {
    const path = join(tempDir(), 'links.db');
    const db = new DatabaseSync(path);
    db.exec("PRAGMA page_size = 512; CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB); INSERT INTO t VALUES (1, zeroblob(2000)), (2, zeroblob(2000))");
    const root = Number((db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 't'").get() as { rootpage: number }).rootpage);
    db.close();
    const file = readFileSync(path); // no connection to it is open in this process
    const leaf = file.subarray((root - 1) * 512, root * 512);
    expect(leaf[0]).toBe(0x0d); // the root is the one leaf, with two cells on overflow chains
    const unparsable = Buffer.alloc(512);
    unparsable[0] = 0x0d; // a table leaf claiming more cells than its page holds
    unparsable.writeUInt16BE(400, 3);
    const links = new PageLinkTable(4);
    links.add(leaf, 1, 512);
    links.add(unparsable, 2, 512);
    const roles = (p: number): string[] => {
      const found: string[] = [];
      const i = links.slotOf(p);
      for (let at = links.starts[i]!; at < links.ends[i]!; at++) found.push(links.packed[at]! < 0 && links.chains[-1 - 2 * links.packed[at]!]! >= 0 ? 'overflow' : 'page');
      return found;
    };
    expect(roles(1)).toEqual(['overflow', 'overflow']);
    expect(links.starts[links.slotOf(2)]).toBe(-1); // does not parse
  });

  it('gives up on a page two cells point to (a damaged b-tree), which dbstat then walks', () => {
    // Page index 1 an interior page over 3 and 2; 2 an interior page over 3 again; 3 a leaf.
    const tree = (second: Buffer): PageLinkTable => {
      const links = new PageLinkTable(4);
      links.add(interior([3, 2]), 1, 512);
      links.add(second, 2, 512);
      links.add(leaf, 3, 512);
      return links;
    };
    let links = tree(interior([3]));
    const source: WalkSource = { usable: 512, pageCount: 4, unchanged: () => false, childrenBefore: childIndex(4, () => -1), kindBefore: () => PageKind.None, linksNow: (p) => (links.has(p) ? links : undefined) };
    const walk = (): WalkedPages => new WalkedPages();
    expect(walkBtree(source, 1, true, walk(), new Uint8Array(4))).toBe(false);
    links = tree(leaf); // now page index 2 a leaf
    const walked = walk();
    expect(walkBtree(source, 1, true, walked, new Uint8Array(4))).toBe(true);
    expect([...walked.pages.subarray(0, walked.length)]).toEqual([1, 2, 3]);
  });

  it('walks again a b-tree whose changed interior page points to another page, with as many children', () => {
    // The last map: page index 1 an interior page over the leaves 2 and 3.
    const shapeNow = (children: number[]): boolean => {
      const links = new PageLinkTable(5);
      links.add(interior(children), 1, 512);
      const source: WalkSource = { usable: 512, pageCount: 5, unchanged: () => false, childrenBefore: childIndex(5, (p) => (p === 2 || p === 3 ? 1 : -1)), kindBefore: (p) => (p === 1 ? PageKind.Interior : PageKind.Leaf), linksNow: (p) => (links.has(p) ? links : undefined) };
      return sameShape(source, [1]);
    };
    expect(shapeNow([3, 2])).toBe(true); // the same pages, in another order
    expect(shapeNow([2, 4])).toBe(false);
    expect(shapeNow([4, 3])).toBe(false);
    expect(shapeNow([2, 3, 4])).toBe(false);
  });
});
