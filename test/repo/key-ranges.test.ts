// The cases of key ranges (key-ranges.ts) a random test meets too seldom: a table emptied at
// once (SQLite frees its leaves as they are, so they leave the b-tree with their bytes
// unchanged), a value changed only on an overflow page, and what -v says.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { withUncommittedDiff, withWorkingDiff } from '../../src/repo/capture/diff.ts';
import { takeStampPastTick } from '../../src/repo/pages/fingerprint.ts';
import { pageScope } from '../../src/repo/pages/page-scope.ts';
import { publishedWalEnd } from '../../src/repo/pages/wal-index.ts';
import { writeChangeset } from '../../src/changeset/index.ts';
import { dumpTables, tempDir } from './helpers.ts';

function replicaOf(setup: string): { app: DatabaseSync; replica: Replica } {
  const path = join(tempDir(), 'k.db');
  const app = new DatabaseSync(path);
  app.exec(`PRAGMA page_size = 512; CREATE TABLE other(id INTEGER PRIMARY KEY, n TEXT); INSERT INTO other VALUES (1, 'x'); ${setup}`);
  const replica = Replica.init(path);
  app.exec("UPDATE other SET n = 'y'");
  expect(commit(replica)).not.toBeNull(); // records the page map
  return { app, replica };
}

/** The changeset and -v line of the scoped comparison, and the full comparison's changeset. */
function bothWays(replica: Replica): { fast: Buffer; full: Buffer; why: string } {
  return replica.withLock(() => {
    const fast = withUncommittedDiff(replica.paths, (d) => ({ bytes: Buffer.from(writeChangeset('changeset', d.changes())), why: d.compared.why }));
    const full = withWorkingDiff(replica.paths.db, replica.paths.base, (d) => Buffer.from(writeChangeset('changeset', d.changes())));
    return { fast: fast.bytes, full, why: fast.why };
  });
}

const ROWS = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300) INSERT INTO t SELECT i, printf('%08d', i), zeroblob(CASE WHEN i % 10 = 0 THEN 2000 ELSE 20 END) FROM s";

describe('key ranges', () => {
  it('finds the rows of a table emptied at once, whose leaves left its b-tree unchanged', () => {
    const { app, replica } = replicaOf(`CREATE TABLE t(id INTEGER PRIMARY KEY, n TEXT, b BLOB); ${ROWS}`);
    app.exec('DELETE FROM t');
    const { fast, full, why } = bothWays(replica);
    expect(why).toBe('compared 1 table, those whose pages changed since commit 1: t in 1 rowid range');
    expect(fast.equals(full)).toBe(true);
    expect(commit(replica)).not.toBeNull();
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(replica.paths.db));
  });

  it('finds rows deleted from the end of their leaves, with rowids on both sides of 2^31 and 2^32', () => {
    const around = (at: string) => `WITH RECURSIVE s(i) AS (SELECT ${at} - 60 UNION ALL SELECT i + 1 FROM s WHERE i < ${at} + 60) INSERT INTO t SELECT i, printf('%40d', i), NULL FROM s;`;
    const { app, replica } = replicaOf(`CREATE TABLE t(id INTEGER PRIMARY KEY, n TEXT, b BLOB); ${around('0')} ${around('2147483648')} ${around('4294967296')}`);
    // Each leaf about 2^31 and 2^32 loses rows, most of them its last ones: its span then is wider than now.
    const near = "(id BETWEEN 2147483648 - 40 AND 2147483648 + 40 OR id BETWEEN 4294967296 - 40 AND 4294967296 + 40)";
    app.exec(`DELETE FROM t WHERE ${near} AND id % 8 >= 4; UPDATE t SET n = 'changed' WHERE ${near} AND id % 8 = 1`);
    const { fast, full, why } = bothWays(replica);
    expect(why).toMatch(/: t in 2 rowid ranges$/);
    expect(fast.equals(full)).toBe(true);
    expect(commit(replica)).not.toBeNull();
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(replica.paths.db));
  });

  it('finds a value changed only on an overflow page', () => {
    const { app, replica } = replicaOf(`CREATE TABLE t(id INTEGER PRIMARY KEY, n TEXT, b BLOB); ${ROWS}`);
    app.exec("UPDATE t SET b = CAST(zeroblob(1999) || x'01' AS BLOB) WHERE id = 150"); // the same size: SQLite rewrites the overflow page in place
    const { fast, full, why } = bothWays(replica);
    expect(why).toMatch(/^compared 1 table, those whose pages changed since commit 1: t in 1 rowid range$/);
    expect(fast.equals(full)).toBe(true);
    expect(fast.length).toBeGreaterThan(0);
  });

  it('covers the rows of a page as a reader may see it when the WAL’s last transaction is not in its snapshot', () => {
    const path = join(tempDir(), 'w.db');
    const app = new DatabaseSync(path);
    app.exec(`PRAGMA page_size = 512; PRAGMA journal_mode = wal; CREATE TABLE other(id INTEGER PRIMARY KEY, n TEXT); INSERT INTO other VALUES (1, 'x');
      CREATE TABLE t(id INTEGER PRIMARY KEY, n TEXT, b BLOB); ${ROWS}`);
    const replica = Replica.init(path);
    app.exec("UPDATE other SET n = 'y'");
    expect(commit(replica)).not.toBeNull(); // records the page map; t's pages are known
    app.exec("INSERT INTO t VALUES (301, 'new', x'00')"); // what the reader below sees
    const changes = (d: Parameters<Parameters<typeof withWorkingDiff>[2]>[0]) => ({ bytes: Buffer.from(writeChangeset('changeset', d.changes())), why: d.compared.why });
    const full = withWorkingDiff(path, replica.paths.base, changes);
    // The reader's snapshot begins, then the application deletes the last rows: the last leaf's
    // newest image no longer holds 301, the image the reader sees does.
    const fast = withWorkingDiff(path, replica.paths.base, changes, (db) => {
      const published = publishedWalEnd(path); // the stamp below: as if taken before the delete was published, so before the snapshot began
      app.exec('DELETE FROM t WHERE id > 290');
      return pageScope(replica.paths, db, { ...takeStampPastTick(replica.paths), published }, replica.lastSeq());
    });
    expect(fast.why).toBe('compared 1 table, those whose pages changed since commit 1: t in 1 rowid range, walked with dbstat');
    expect(fast.bytes.equals(full.bytes)).toBe(true);
    app.close();
  });

  it('says which changed tables it compares whole, and why', () => {
    const { app, replica } = replicaOf('CREATE TABLE d(id INTEGER PRIMARY KEY DESC, n TEXT); CREATE TABLE w(k TEXT PRIMARY KEY, n TEXT) WITHOUT ROWID; INSERT INTO d VALUES (1, 1); INSERT INTO w VALUES (1, 1)');
    app.exec("UPDATE d SET n = 2; UPDATE w SET n = 2; CREATE INDEX other_n ON other(n); UPDATE other SET n = 'z'");
    expect(bothWays(replica).why).toBe('compared 3 tables, those whose pages changed since commit 1: d whole (its key is not the rowid), other whole (its schema or root page changed), w whole (its key is not the rowid)');
  });
});
