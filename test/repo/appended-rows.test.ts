// The capture takes the live rows above the base's largest rowid as its inserts, without the
// second join, only when counting proves no other live row is new (appended-rows.ts). A new
// row in a gap, or a key reused after a delete, must still be found.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { status } from '../../src/repo/capture/status.ts';
import { appendedRows, type Appended } from '../../src/repo/capture/appended-rows.ts';
import { iterateChanges } from '../../src/changeset/index.ts';
import { dumpTables, sqlite3, tempDir } from './helpers.ts';

const ROWS = `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100) INSERT INTO t SELECT i * 2, 'row ' || i FROM s;`;

/** A replica of `create` and `rows` (by default 100 rows at even keys 2..200), then `change` run on the live file. */
function changed(create: string, change: string, rows = ROWS): { path: string; replica: Replica; base: string } {
  const dir = tempDir();
  const path = join(dir, 'live.db');
  sqlite3(path, create + rows);
  const replica = Replica.init(path);
  const base = join(dir, 'base.db');
  sqlite3(replica.paths.base, `VACUUM INTO '${base}'`);
  sqlite3(path, change);
  return { path, replica, base };
}

/** The rows appendedRows proves appended with the base attached as main, the live file as live. */
function condition(path: string, base: string, deletes: number): Appended | undefined {
  const db = new DatabaseSync(base, { readOnly: true, readBigInts: true });
  try {
    db.exec(`ATTACH '${path}' AS live`);
    return appendedRows(db, 't', 'main', 'live', deletes);
  } finally {
    db.close();
  }
}

/** Commit: the entry's inserted keys, and both sides equal after. */
function committedInserts({ path, replica }: { path: string; replica: Replica }): bigint[] {
  const entry = commit(replica)!;
  expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
  expect(status(replica).clean).toBe(true);
  const keys = [...iterateChanges(replica.entry(entry.seq).bytes)].filter((c) => c.op === 'INSERT').map((c) => c.new![0]);
  return keys.map((v) => (v!.type === 'integer' ? v!.value : -1n)).sort((a, b) => (a < b ? -1 : 1));
}

describe('inserts taken above the largest base key', () => {
  const table = 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);';

  it('holds when every new key is above the base, with deletes and updates beside', () => {
    const c = changed(table, `DELETE FROM t WHERE id % 10 = 0; UPDATE t SET v = 'x' WHERE id % 6 = 0; INSERT INTO t VALUES (201, 'a'), (500, 'b');`);
    expect(condition(c.path, c.base, 20)).toEqual({ key: 'id', above: 200n });
    expect(committedInserts(c)).toEqual([201n, 500n]);
  });

  it('does not hold for a new key in a gap, nor for a key deleted and reused', () => {
    const gap = changed(table, `DELETE FROM t WHERE id = 10; INSERT INTO t VALUES (7, 'gap'), (300, 'above');`);
    expect(condition(gap.path, gap.base, 1)).toBeUndefined();
    expect(committedInserts(gap)).toEqual([7n, 300n]);
    // One row gone, one new below the largest key: the live table has as many rows as the base.
    const swapped = changed(table, `DELETE FROM t WHERE id = 10; INSERT INTO t VALUES (11, 'in');`);
    expect(condition(swapped.path, swapped.base, 1)).toBeUndefined();
    expect(committedInserts(swapped)).toEqual([11n]);
  });

  it('takes every live row for an empty base, and a table tracked by its implicit rowid', () => {
    const empty = changed(table, `INSERT INTO t VALUES (5, 'a'), (3, 'b')`, '');
    expect(condition(empty.path, empty.base, 0)).toEqual({ key: 'id', above: null });
    expect(committedInserts(empty)).toEqual([3n, 5n]);
    const emptied = changed(table, 'DELETE FROM t');
    expect(condition(emptied.path, emptied.base, 100)).toEqual({ key: 'id', above: 200n });
    expect(committedInserts(emptied)).toEqual([]);
    const rowid = changed('CREATE TABLE t(id INTEGER, v TEXT);', `INSERT INTO t(rowid, id, v) VALUES (1000, 1, 'new');`);
    expect(condition(rowid.path, rowid.base, 0)).toEqual({ key: 'rowid', above: 100n });
    expect(committedInserts(rowid)).toEqual([1000n]);
  });

  it('is not used when the key is not the rowid', () => {
    for (const create of ['CREATE TABLE t(id INTEGER PRIMARY KEY DESC, v TEXT);', 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID;', 'CREATE TABLE t(id TEXT PRIMARY KEY, v TEXT);']) {
      const c = changed(create, `INSERT INTO t VALUES (999, 'new')`);
      expect(condition(c.path, c.base, 0)).toBeUndefined();
      expect(committedInserts(c)).toEqual([999n].map((k) => (create.includes('TEXT PRIMARY') ? -1n : k)));
    }
  });
});
