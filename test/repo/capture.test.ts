// Capture on hand-picked cases a user would notice, and interop with sqldiff.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { iterateChanges } from '../../src/changeset/index.ts';
import { chinookCopy, dumpTables, sqlite3, tempDir } from './helpers.ts';

function snapshot(path: string, to: string): string {
  const db = new DatabaseSync(path);
  db.prepare('VACUUM INTO ?').run(to);
  db.close();
  return to;
}

function applyTo(path: string, bytes: Uint8Array): void {
  const db = new DatabaseSync(path);
  expect(db.applyChangeset(bytes)).toBe(true);
  db.close();
}

describe('commit', () => {
  it('keeps values exact: big integers, REAL bits, 1 vs 1.0, case under NOCASE, invalid UTF-8, BLOB vs TEXT', () => {
    const dir = tempDir();
    const path = join(dir, 'v.db');
    sqlite3(path, `CREATE TABLE v(id TEXT COLLATE NOCASE PRIMARY KEY, x, y TEXT COLLATE NOCASE);
      INSERT INTO v VALUES ('a', 1, 'abc'), ('b', 9007199254740993, 'x'), ('c', 0.1, X'00'), ('d', 'same', 'q'), ('e', 1, 'k');`);
    const replica = Replica.init(path);
    sqlite3(path, `UPDATE v SET x = 1.0 WHERE id = 'a';
      UPDATE v SET x = 9007199254740992, y = 'X' WHERE id = 'b';
      UPDATE v SET x = 0.30000000000000004, y = CAST(X'FF41' AS TEXT) WHERE id = 'c';
      UPDATE v SET x = CAST('same' AS BLOB) WHERE id = 'd';
      UPDATE v SET id = 'E' WHERE id = 'e';`);
    const entry = commit(replica)!;
    const changes = [...iterateChanges(replica.entry(entry.seq).bytes)];
    // four updates; the key changed only in case is a delete plus an insert, as sessions record it
    expect(changes.map((c) => c.op).sort()).toEqual(['DELETE', 'INSERT', 'UPDATE', 'UPDATE', 'UPDATE', 'UPDATE']);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
    expect(sqlite3(replica.paths.base, "SELECT typeof(x), hex(y) FROM v WHERE id = 'c';").trim()).toBe('real|FF41');
    expect(sqlite3(replica.paths.base, "SELECT x FROM v WHERE id = 'b';").trim()).toBe('9007199254740992');
  });

  it('captures tables whose columns bear the names of its own bookkeeping columns', () => {
    const dir = tempDir();
    const path = join(dir, 'names.db');
    // k: keyed (sessions write it); r: tracked by rowid (encoded in JavaScript).
    sqlite3(path, `CREATE TABLE k(id INTEGER PRIMARY KEY, sqlferry_n TEXT, SQLFERRY_OP INT, sqlferry_n_ TEXT);
      CREATE TABLE r(sqlferry_op TEXT, sqlferry_n INT);
      INSERT INTO k VALUES (1, 'a', 1, 'x'), (2, 'b', 2, 'y'), (3, 'c', 3, 'z'); INSERT INTO r VALUES ('p', 1), ('q', 2);`);
    const replica = Replica.init(path);
    const before = snapshot(replica.paths.base, join(dir, 'before.db'));
    sqlite3(path, `UPDATE k SET sqlferry_n = 'B', SQLFERRY_OP = 20 WHERE id = 2; DELETE FROM k WHERE id = 3; INSERT INTO k VALUES (4, 'd', 4, 'w');
      UPDATE r SET sqlferry_n = 22 WHERE sqlferry_op = 'q'; INSERT INTO r VALUES ('s', 3);`);
    const entry = commit(replica)!;
    expect([...iterateChanges(replica.entry(entry.seq).bytes)].map((c) => `${c.table.name} ${c.op}`).sort()).toEqual(['k DELETE', 'k INSERT', 'k UPDATE', 'r INSERT', 'r UPDATE']);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
    applyTo(before, replica.entry(entry.seq).bytes);
    expect(dumpTables(before)).toEqual(dumpTables(path));
  });

  it('captures ten thousand changes in one commit', () => {
    const dir = tempDir();
    const path = join(dir, 'big.db');
    sqlite3(path, `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n REAL);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000) INSERT INTO t SELECT i, 'row ' || i, i * 1.5 FROM s;`);
    const replica = Replica.init(path);
    const before = snapshot(replica.paths.base, join(dir, 'before.db'));
    sqlite3(path, `UPDATE t SET v = v || '!' WHERE id % 4 = 0; DELETE FROM t WHERE id % 7 = 0 AND id < 14000;
      WITH RECURSIVE s(i) AS (SELECT 20001 UNION ALL SELECT i + 1 FROM s WHERE i < 24000) INSERT INTO t SELECT i, 'new', 0 FROM s;`);
    const entry = commit(replica, { message: 'bulk' })!;
    const bytes = replica.entry(entry.seq).bytes;
    expect([...iterateChanges(bytes)].length).toBeGreaterThan(10_000);
    applyTo(before, bytes);
    expect(dumpTables(before)).toEqual(dumpTables(path));
  });

  it('writes a changeset equivalent to sqldiff --changeset for the same two databases', () => {
    const dir = tempDir();
    const path = chinookCopy(dir);
    const replica = Replica.init(path);
    const before = snapshot(replica.paths.base, join(dir, 'before.db'));
    sqlite3(before, 'DROP TABLE sqlferry_base;'); // sqldiff compares every table
    sqlite3(path, `UPDATE Track SET UnitPrice = UnitPrice + 0.5, Composer = upper(Composer) WHERE TrackId % 9 = 0;
      DELETE FROM PlaylistTrack WHERE TrackId % 5 = 0;
      INSERT INTO Genre(GenreId, Name) VALUES (200, 'Sea shanty'), (201, NULL);
      UPDATE Customer SET Email = 'x@y', Fax = NULL WHERE CustomerId < 20;
      DELETE FROM InvoiceLine WHERE InvoiceId > 400;`);
    const ours = replica.entry(commit(replica)!.seq).bytes;
    const theirsFile = join(dir, 'sqldiff.changeset');
    const r = spawnSync('/usr/bin/sqldiff', ['--changeset', theirsFile, before, path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const a = snapshot(before, join(dir, 'a.db'));
    const b = snapshot(before, join(dir, 'b.db'));
    applyTo(a, ours);
    applyTo(b, new Uint8Array(readFileSync(theirsFile)));
    expect(dumpTables(a)).toEqual(dumpTables(b));
    expect(dumpTables(a)).toEqual(dumpTables(path));
  });
});
