// `commit` writes a large capture as a run of pieces (one changeset per key range) and moves
// base.db in the same pass: the pieces together must still be the whole change, exactly once,
// applied in order by plain SQLite, and base.db must be left equal to the live database.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { status } from '../../src/repo/capture/status.ts';
import { verify } from '../../src/repo/verify.ts';
import { changedTables, iterateChanges, validateChangeset } from '../../src/changeset/index.ts';
import { dumpTables, sqlite3, tempDir } from './helpers.ts';

function snapshot(path: string, to: string): string {
  const db = new DatabaseSync(path);
  db.prepare('VACUUM INTO ?').run(to);
  db.close();
  return to;
}

/** Commit, then check: the entry applied to the old base gives the live tables, base.db equals them, nothing left to commit. */
function commitAndCheck(path: string, replica: Replica, before: string): Uint8Array {
  const entry = commit(replica)!;
  const bytes = replica.entry(entry.seq).bytes;
  validateChangeset(bytes, 'changeset');
  const db = new DatabaseSync(before);
  for (const s of entry.schema) db.exec(s);
  expect(db.applyChangeset(bytes)).toBe(true);
  db.close();
  expect(dumpTables(before)).toEqual(dumpTables(path));
  expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
  expect(status(replica).clean).toBe(true);
  return bytes;
}

describe('commit in pieces', () => {
  it('captures every row of a change larger than one piece, deletes before inserts', () => {
    const dir = tempDir();
    const path = join(dir, 'big.db');
    sqlite3(path, `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n REAL);
      CREATE TABLE u(k TEXT COLLATE NOCASE PRIMARY KEY, v);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000) INSERT INTO t SELECT i, 'row ' || i, i * 1.5 FROM s;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10000) INSERT INTO u SELECT 'k' || i, i FROM s;`);
    const replica = Replica.init(path);
    const before = snapshot(replica.paths.base, join(dir, 'before.db'));
    // u: every key changes only in case (a delete plus an insert each), so a piece of inserts
    // applied before the deletes of the same keys would collide under NOCASE.
    sqlite3(path, `UPDATE t SET v = v || '!' WHERE id % 2 = 0; DELETE FROM t WHERE id % 7 = 0;
      WITH RECURSIVE s(i) AS (SELECT 30001 UNION ALL SELECT i + 1 FROM s WHERE i < 50000) INSERT INTO t SELECT i, 'new', 0 FROM s;
      UPDATE u SET k = upper(k);`);
    const bytes = commitAndCheck(path, replica, before);
    const tables = changedTables(bytes).map((t) => t.name);
    expect(tables.filter((n) => n === 't').length).toBeGreaterThan(3); // several pieces
    const ops = [...iterateChanges(bytes)].filter((c) => c.table.name === 'u').map((c) => c.op);
    expect(ops.lastIndexOf('DELETE')).toBeLessThan(ops.indexOf('INSERT'));
    expect(verify(replica).ok).toBe(true);
  });

  it('hands UNIQUE values from row to row, in tables with and without a primary key', () => {
    const dir = tempDir();
    const path = join(dir, 'u.db');
    sqlite3(path, `CREATE TABLE p(id INTEGER PRIMARY KEY, code TEXT UNIQUE, note);
      CREATE TABLE r(code TEXT UNIQUE, note);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000) INSERT INTO p SELECT i, 'c' || i, NULL FROM s;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000) INSERT INTO r SELECT 'c' || i, i FROM s;`);
    const replica = Replica.init(path);
    const before = snapshot(replica.paths.base, join(dir, 'before.db'));
    // Every 1000th row takes the code of the next such row: in key order, each update meets a
    // value still held (SQLite's apply retries those, one link of the chain per round).
    sqlite3(path, `UPDATE p SET code = 'tmp' || id WHERE id % 1000 = 0; UPDATE p SET code = 'c' || (id + 1000) WHERE id % 1000 = 0;
      UPDATE p SET note = 'x' WHERE id % 3 = 0; DELETE FROM p WHERE id % 1000 = 500;
      UPDATE r SET code = 'tmp' || rowid WHERE rowid % 1000 = 0; UPDATE r SET code = 'c' || (rowid + 1000) WHERE rowid % 1000 = 0;`);
    commitAndCheck(path, replica, before);
    expect(verify(replica).ok).toBe(true);
  });

  it("keeps the base's triggers from firing and rebuilds a full-text index over a changed table", () => {
    const dir = tempDir();
    const path = join(dir, 'f.db');
    sqlite3(path, `CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT);
      CREATE TABLE audit(id INTEGER PRIMARY KEY, what TEXT);
      CREATE VIRTUAL TABLE docs_fts USING fts5(body, content='docs', content_rowid='id');
      CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body); INSERT INTO audit(what) VALUES ('insert'); END;
      INSERT INTO docs VALUES (1, 'alpha'), (2, 'beta');`);
    const replica = Replica.init(path);
    const before = snapshot(replica.paths.base, join(dir, 'before.db'));
    sqlite3(path, `INSERT INTO docs VALUES (3, 'gamma');`);
    sqlite3(before, 'DROP TRIGGER docs_ai;'); // plain applyChangeset would fire it: the change holds its effect already
    commitAndCheck(path, replica, before);
    // the audit row the app's trigger wrote travels as a row; the base's own trigger did not add another
    expect(sqlite3(replica.paths.base, "SELECT count(*) FROM audit; SELECT rowid FROM docs_fts WHERE docs_fts MATCH 'gamma';").trim()).toBe('3\n3');
  });

  it('leaves a column whose value only changed from -0.0 to 0.0 as the log has it', () => {
    const dir = tempDir();
    const path = join(dir, 'z.db');
    const app = new DatabaseSync(path);
    app.exec('CREATE TABLE z(id INTEGER PRIMARY KEY, x, y)');
    app.prepare('INSERT INTO z VALUES (1, ?, 1)').run(-0); // a REAL -0.0 (no affinity keeps its sign)
    app.close();
    const replica = Replica.init(path);
    const before = snapshot(replica.paths.base, join(dir, 'before.db'));
    sqlite3(path, 'UPDATE z SET x = 0.0, y = 2;'); // equal as SQLite compares: not a change of x
    const entry = commit(replica)!;
    const db = new DatabaseSync(before);
    expect(db.applyChangeset(replica.entry(entry.seq).bytes)).toBe(true);
    db.close();
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(before)); // base.db is what the log replays to
    const base = new DatabaseSync(replica.paths.base, { readOnly: true });
    const row = base.prepare('SELECT x, y FROM z').get() as { x: number; y: number };
    base.close();
    expect([Object.is(row.x, -0), row.y]).toEqual([true, 2]);
  });
});
