// exec commits exactly what its SQL changed; the replica lock keeps two commands apart and
// is taken over when its holder is dead.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { execSql } from '../../src/repo/apply/exec.ts';
import { status } from '../../src/repo/capture/status.ts';
import { iterateChanges } from '../../src/changeset/index.ts';
import { SqlferryError } from '../../src/errors/index.ts';
import { dumpTables, sqlite3, tempDir } from './helpers.ts';

function setup(): { db: string; replica: Replica } {
  const db = join(tempDir(), 'e.db');
  sqlite3(db, `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
    CREATE TABLE log(id INTEGER PRIMARY KEY, msg TEXT);
    CREATE TRIGGER t_upd AFTER UPDATE ON t BEGIN INSERT INTO log(msg) VALUES ('updated ' || new.id); END;`);
  return { db, replica: Replica.init(db) };
}

describe('exec', () => {
  it('commits exactly the rows its SQL changed (trigger effects included), leaving other edits uncommitted', () => {
    const { db, replica } = setup();
    sqlite3(db, `INSERT INTO t VALUES (4, 'uncommitted');`);
    const entry = execSql(replica, "UPDATE t SET v = 'B' WHERE id = 2").entry!;
    const changes = [...iterateChanges(replica.entry(entry.seq).bytes)];
    expect(changes.map((c) => `${c.table.name} ${c.op}`).sort()).toEqual(['log INSERT', 't UPDATE']);
    expect(status(replica).tables).toEqual([{ table: 't', inserted: 1, updated: 0, deleted: 0 }]);
    commit(replica);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(db));
  });

  it('refuses SQL touching rows with uncommitted changes, and schema changes, changing nothing', () => {
    const { db, replica } = setup();
    sqlite3(db, `UPDATE t SET v = 'edited' WHERE id = 1;`);
    expect(() => execSql(replica, "UPDATE t SET v = 'exec' WHERE id = 1")).toThrowError(/uncommitted changes; nothing was changed/);
    expect(() => execSql(replica, 'CREATE TABLE x(id INTEGER PRIMARY KEY)')).toThrowError(/changes the schema; nothing was changed/);
    expect(sqlite3(db, "SELECT v FROM t WHERE id = 1; SELECT count(*) FROM sqlite_schema WHERE name = 'x';").trim()).toBe('edited\n0');
    expect(replica.lastSeq()).toBe(0);
  });
});

describe('the replica lock', () => {
  it('refuses while a live process holds it, and takes over a lock whose process is dead', () => {
    const { db, replica } = setup();
    writeFileSync(replica.paths.lock, `${process.ppid}\n`); // a live process (our parent)
    try {
      commit(replica);
      expect.unreachable();
    } catch (err) {
      expect((err as SqlferryError).code).toBe('REPLICA_LOCKED');
    }
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(replica.paths.lock, `${dead}\n`);
    sqlite3(db, `DELETE FROM t WHERE id = 3;`);
    expect(commit(replica)?.seq).toBe(1);
  });
});

describe('exec never throws a write away', () => {
  it('commits a table without a PRIMARY KEY by rowid, and keeps (and names) what it cannot record', () => {
    const { db, replica } = setup();
    sqlite3(db, `CREATE TABLE nopk(a, b); CREATE VIRTUAL TABLE notes USING fts5(body);`);
    commit(replica);
    const result = execSql(replica, 'INSERT INTO nopk VALUES (9, 9)');
    expect(result.notCaptured).toEqual([]);
    const changes = [...iterateChanges(replica.entry(result.entry!.seq).bytes)];
    expect(changes.map((c) => [c.table.name, c.op, c.table.pk])).toEqual([['nopk', 'INSERT', [true, false, false]]]);
    expect(sqlite3(db, 'SELECT rowid, a, b FROM nopk;').trim()).toBe('1|9|9');

    const fts = execSql(replica, "INSERT INTO notes VALUES ('kept')");
    expect(fts.entry).toBeNull();
    expect(fts.notCaptured).toEqual([{ table: 'notes', reason: expect.stringMatching(/next sqlferry commit captures/) }]);
    expect(sqlite3(db, "SELECT body FROM notes WHERE notes MATCH 'kept';").trim()).toBe('kept');
    expect(status(replica).tables).toEqual([{ table: 'notes', inserted: 1, updated: 0, deleted: 0 }]);
    commit(replica);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(db));
  });

  it("records an app's INSERT OR REPLACE into a rowid table as the change it is (the first image survives the outer OR REPLACE)", () => {
    const { db, replica } = setup();
    sqlite3(db, "CREATE TABLE nopk(c0); INSERT INTO nopk VALUES ('a'), ('b');");
    commit(replica);
    // The DELETE frees rowid 2, the insert takes it again: for other replicas that is an UPDATE of row 2.
    const result = execSql(replica, "DELETE FROM nopk WHERE rowid = 2; INSERT OR REPLACE INTO nopk VALUES ('d')");
    const changes = [...iterateChanges(replica.entry(result.entry!.seq).bytes)];
    expect(changes.map((c) => [c.table.name, c.op])).toEqual([['nopk', 'UPDATE']]);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(db));
  });
});
