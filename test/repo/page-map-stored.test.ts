// A page map larger than one piece of pages.bin and one window of a pass over it: the last
// map's owners, leaves, parents, cells and kinds are read from the file as needed
// (stored-values.ts), a page at a time or a window at a time (page-map.ts windowsOf), and read
// whole only when a b-tree changed shape. The scoped comparison still gives the full one's
// changeset, its rows per table are count(*)'s, and each map saved is the one a first map's walk
// finds (page-scope-property.test.ts holds that one to dbstat's).
import { describe, it, expect } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { withUncommittedDiff, withWorkingDiff } from '../../src/repo/capture/diff.ts';
import { layoutOf, nextPageMap, rowsOf } from '../../src/repo/pages/page-map.ts';
import { readPageImages } from '../../src/repo/pages/page-read.ts';
import { pageMapAt } from '../../src/repo/pages/page-scope.ts';
import { writeChangeset } from '../../src/changeset/index.ts';
import { structureOf } from './page-values-dense.ts';
import { dumpTables, tempDir } from './helpers.ts';

const count = (db: DatabaseSync, t: string, schema = 'main') => BigInt((db.prepare(`SELECT count(*) AS n FROM ${schema}.${t}`).get() as { n: number }).n);

/** The scoped comparison against the full one, and what it said and counted. */
function scoped(replica: Replica): { same: boolean; why: string; rows: Map<string, { base: bigint; live: bigint } | undefined> } {
  return replica.withLock(() => {
    const fast = withUncommittedDiff(replica.paths, (d) => ({ bytes: Buffer.from(writeChangeset('changeset', d.changes())), why: d.compared.why, rows: new Map([...(d.compared.ranges ?? [])].map(([t, r]) => [t, r.rows])) }));
    const full = withWorkingDiff(replica.paths.db, replica.paths.base, (d) => Buffer.from(writeChangeset('changeset', d.changes())));
    return { same: fast.bytes.equals(full), why: fast.why, rows: fast.rows };
  });
}

/** The map the last commit saved is, page for page, a first map's now (every b-tree walked from its pages' links), and its rows of each table are count(*)'s. */
function savedMapIsWhole(replica: Replica, app: DatabaseSync): void {
  const saved = pageMapAt(replica.paths, replica.lastSeq());
  if (typeof saved === 'string') throw new Error(saved);
  const db = new DatabaseSync(replica.paths.db, { readOnly: true });
  db.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
  for (const t of ['t', 'u']) expect(rowsOf(saved, t), t).toBe(count(app, t));
  const images = readPageImages(replica.paths.db);
  if (typeof images === 'string') throw new Error(images);
  const whole = nextPageMap(db, null, images, layoutOf(db), 'all');
  db.exec('COMMIT');
  db.close();
  const [a, b] = [structureOf(saved), structureOf(whole)];
  const renumbered = a.owners.map((o) => (o < 0 ? -1 : whole.tables.indexOf(saved.tables[o]!))); // its tables' numbers in the whole walk
  const bytes = (...arrays: Array<Int32Array | Uint8Array>) => Buffer.concat(arrays.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
  expect(bytes(renumbered, a.leafOf, a.parents, a.kinds).equals(bytes(b.owners, b.leafOf, b.parents, b.kinds))).toBe(true);
}

describe('a page map larger than a piece of pages.bin', () => {
  it('is read as needed: narrowed comparisons give the full one’s changeset, and each map saved is a whole walk’s', () => {
    const path = join(tempDir(), 's.db');
    const app = new DatabaseSync(path);
    // 512-byte pages of two rows: ≈ 25,000 pages, a pages.bin of two pieces and passes of four windows.
    app.exec(`PRAGMA page_size = 512; CREATE TABLE u(id INTEGER PRIMARY KEY, v TEXT, b BLOB); INSERT INTO u VALUES (1, 'a', zeroblob(3000)), (2, 'b', zeroblob(3000));
      CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50000) INSERT INTO t SELECT i, printf('%0200d', i) FROM s`);
    const replica = Replica.init(path);
    expect(statSync(join(replica.paths.dir, 'pages.bin')).size).toBeGreaterThan(1 << 20);
    savedMapIsWhole(replica, app);
    // Each edit, and whether every b-tree kept its shape: then the map is written over pages.bin in place.
    const edits: Array<[string, boolean]> = [
      ["UPDATE t SET v = printf('%0200d', -id) WHERE id = 49000", true], // a leaf in the last window
      ["UPDATE u SET v = 'c' WHERE id = 2", true], // in the first window: a leaf whose children are overflow pages
      ["INSERT INTO t SELECT value * 10 + 50000, printf('%0200d', value) FROM json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]'); UPDATE t SET v = v || 'longer' WHERE id BETWEEN 100 AND 140", false], // leaves split: walked again
      ['DELETE FROM t WHERE id BETWEEN 20000 AND 30000', false], // leaves freed
      ["UPDATE u SET v = 'd' WHERE id = 1; VACUUM", false], // fewer pages
    ];
    for (const [edit, inPlace] of edits) {
      app.exec(edit);
      const { same, why, rows } = scoped(replica);
      expect(same, why).toBe(true);
      expect(why).not.toContain('every table');
      app.exec(`ATTACH '${replica.paths.base}' AS base`);
      for (const [t, r] of rows) if (r !== undefined) expect(r, t).toEqual({ base: count(app, t, 'base'), live: count(app, t) });
      app.exec('DETACH base');
      expect(rows.get('t') ?? rows.get('u'), why).toBeDefined();
      const inode = statSync(join(replica.paths.dir, 'pages.bin')).ino;
      expect(commit(replica)).not.toBeNull();
      expect(statSync(join(replica.paths.dir, 'pages.bin')).ino === inode, edit).toBe(inPlace);
      savedMapIsWhole(replica, app);
    }
    app.close();
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
  });
});
