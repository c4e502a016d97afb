// A b-tree that changed shape is walked from its changed pages and the pages above them in the
// last map only, its other subtrees kept whole (page-map.ts partialStructure): the next map's
// structure is the last one's columns patched, read from pages.bin a window at a time. For
// each kind of shape change — an interior page split, a root split, leaves freed, pages reused
// by another table, a table dropped, overflow chains moved to another leaf — the narrowed
// comparison gives the full one's changeset, the map is made that way, and it is, page for
// page, a first map's walk of every page (page-scope-property.test.ts holds that to dbstat's).
// A subtree kept whole under a new parent while its old one still links to it (a damaged
// b-tree) is not trusted: that table is walked with dbstat.
import { describe, it, expect } from 'vitest';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { withUncommittedDiff, withWorkingDiff } from '../../src/repo/capture/diff.ts';
import { changedTables, layoutOf, nextPageMap, type PageMap } from '../../src/repo/pages/page-map.ts';
import { PatchedColumn } from '../../src/repo/pages/page-columns.ts';
import { readPageImages } from '../../src/repo/pages/page-read.ts';
import { pageMapAt } from '../../src/repo/pages/page-scope.ts';
import { writeChangeset } from '../../src/changeset/index.ts';
import { dumpTables, tempDir } from './helpers.ts';

/** Per page: its table's name, leaf, parent and kind. */
function structure(map: PageMap): string[] {
  return Array.from({ length: map.pageCount }, (_, p) => {
    const o = map.owners.at(p)!;
    return `${p + 1}: ${o < 0 ? '-' : map.tables[o]} ${map.leafOf.at(p)} ${map.parents.at(p)} ${map.kinds.at(p)}`;
  });
}

/** The next map from the last commit's (read from pages.bin), and a first map's walk of every page, in one read transaction. */
function nextAndWhole(replica: Replica): { next: PageMap; whole: PageMap } {
  const old = pageMapAt(replica.paths, replica.lastSeq());
  if (typeof old === 'string') throw new Error(old);
  const db = new DatabaseSync(replica.paths.db, { readOnly: true });
  db.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
  const layout = layoutOf(db);
  const read = readPageImages(replica.paths.db, old);
  const first = readPageImages(replica.paths.db);
  if (typeof read === 'string' || typeof first === 'string') throw new Error('not read');
  const next = nextPageMap(db, old, read, layout, changedTables(old, read, layout));
  const whole = nextPageMap(db, null, first, layout, 'all');
  db.exec('COMMIT');
  db.close();
  return { next, whole };
}

/** The narrowed comparison's changeset is the full one's. */
function sameChangeset(replica: Replica): { same: boolean; why: string } {
  return replica.withLock(() => {
    const fast = withUncommittedDiff(replica.paths, (d) => ({ bytes: Buffer.from(writeChangeset('changeset', d.changes())), why: d.compared.why }));
    const full = withWorkingDiff(replica.paths.db, replica.paths.base, (d) => Buffer.from(writeChangeset('changeset', d.changes())));
    return { same: fast.bytes.equals(full), why: fast.why };
  });
}

describe('a b-tree that changed shape, walked from its changed pages', () => {
  it('gives the full comparison’s changeset and a whole walk’s map, for each kind of shape change', () => {
    const path = join(tempDir(), 'p.db');
    const app = new DatabaseSync(path);
    app.exec(`PRAGMA page_size = 512; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t(v);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 6000) INSERT INTO t SELECT i * 10, printf('%040d', i) FROM s;
      CREATE TABLE small(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO small VALUES (1, 'a'), (2, 'b');
      CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB); WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40) INSERT INTO big SELECT i * 10, zeroblob(1568) || x'01' FROM s;
      CREATE TABLE gone(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500) INSERT INTO gone SELECT i, printf('%060d', i) FROM s`);
    const replica = Replica.init(path);
    const edits: string[] = [
      // appended rows: leaves split, and interior pages (about 50 children each) with them
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000) INSERT INTO t SELECT 60000 + i, printf('%040d', -i) FROM s",
      // the root, a leaf, splits: its rows move to new leaves under it
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 60) INSERT INTO small SELECT 10 + i, printf('%030d', i) FROM s",
      // rows inserted between rows whose cells (8 a leaf) hang overflow chains of 3 pages: cells and their chains move to other leaves
      'WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40) INSERT INTO big SELECT i * 10 + 5, zeroblob(1568) || x\'02\' FROM s',
      // leaves (and interior pages) freed, their bytes left as they were
      'DELETE FROM t WHERE id BETWEEN 10000 AND 40000',
      // the freed pages taken by another table
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400) INSERT INTO small SELECT 1000 + i, printf('%080d', i) FROM s",
      // in one commit: pages freed by one table and taken by another
      "DELETE FROM t WHERE id BETWEEN 45000 AND 52000; WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400) INSERT INTO small SELECT 5000 + i, printf('%080d', i) FROM s",
      // a table dropped, and another's rows moved beside it
      "DROP TABLE gone; UPDATE t SET v = v || 'x' WHERE id BETWEEN 50000 AND 51000",
    ];
    for (const edit of edits) {
      app.exec(edit);
      const { next, whole } = nextAndWhole(replica);
      expect(next.owners, edit).toBeInstanceOf(PatchedColumn); // walked from its changed pages
      expect(next.dbstatWalked).toEqual([]);
      expect(structure(next), edit).toEqual(structure(whole));
      const { same, why } = sameChangeset(replica);
      expect(same, why).toBe(true);
      expect(why).not.toContain('every table');
      expect(commit(replica)).not.toBeNull();
      const { next: again, whole: wholeAgain } = nextAndWhole(replica); // the map saved, read back: nothing changed since
      expect(structure(again)).toEqual(structure(wholeAgain));
    }
    app.close();
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
  });

  it('does not keep a subtree whole under a new parent while its old parent still links to it (a damaged b-tree): walks it with dbstat', () => {
    const path = join(tempDir(), 'damaged.db');
    const app = new DatabaseSync(path);
    app.exec(`PRAGMA page_size = 512; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000) INSERT INTO t SELECT i, printf('%020d', i) FROM s`);
    const replica = Replica.init(path);
    // Two interior pages under the root, and a leaf under the second.
    const pages = app.prepare("SELECT pageno, pagetype, path FROM dbstat WHERE name = 't' ORDER BY path").all() as Array<{ pageno: number; pagetype: string; path: string }>;
    const [a, b] = pages.filter((r) => r.pagetype === 'internal' && r.path.length === 5); // '/000/', '/001/'
    const leaf = pages.find((r) => r.pagetype === 'leaf' && r.path.startsWith(b!.path))!;
    app.close();
    // The first one's right-most child now the second one's leaf: that leaf is reached twice.
    const fd = openSync(path, 'r+'); // no connection to it is open in this process
    const child = Buffer.alloc(4);
    child.writeUInt32BE(leaf.pageno);
    writeSync(fd, child, 0, 4, (a!.pageno - 1) * 512 + 8);
    const check = Buffer.alloc(1);
    readSync(fd, check, 0, 1, (a!.pageno - 1) * 512);
    closeSync(fd);
    expect(check[0]).toBe(0x05); // a table's interior page
    const { next } = nextAndWhole(replica);
    expect(next.owners).not.toBeInstanceOf(PatchedColumn);
    expect(next.dbstatWalked).toEqual(['t']);
  });
});
