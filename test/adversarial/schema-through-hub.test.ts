// Schema changes travelling through the hub while the other replica has unpushed data commits
// of its own — some of them colliding with the hub's rows, so the rebase goes change by change
// through the handlers on a table that has gained a column since those commits were made.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { dumpSchema, dumpTables } from '../repo/helpers.ts';
import { cloneReplica, firstReplica, newHub } from '../sync/helpers.ts';
import { cli, ok, sqlite3, tempDir } from './helpers.ts';

/** A folder hub, a.db pushed to it first, b.db cloned: made in-process, the syncs after it are the CLI's. */
async function setup(): Promise<{ dir: string; run: (db: string, ...args: string[]) => ReturnType<typeof cli> }> {
  const dir = tempDir();
  const hub = await newHub(dir);
  await firstReplica(dir, hub, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');");
  await cloneReplica(dir, hub, 'b');
  return { dir, run: (db, ...args) => cli(dir, '--db', db, ...args) };
}

function same(dir: string, ...dbs: string[]): void {
  const [first, ...rest] = dbs.map((d) => join(dir, d));
  for (const other of rest) {
    expect(dumpSchema(other)).toEqual(dumpSchema(first!));
    expect(dumpTables(other)).toEqual(dumpTables(first!));
  }
}

describe('schema changes through the hub', () => {
  for (const rule of ['default', 't=local']) {
    it(`a column, an index and a table added on one replica reach the other, whose colliding unpushed commits rebase onto them (${rule})`, async () => {
      const { dir, run } = await setup();
      sqlite3(join(dir, 'a.db'), "ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'd'; CREATE INDEX t_v ON t(v); CREATE TABLE u(id INTEGER PRIMARY KEY, x); UPDATE t SET v = 'A1', w = 'aw' WHERE id = 1; DELETE FROM t WHERE id = 3; INSERT INTO u VALUES (1, 'u');");
      ok(run('a.db', 'sync'));
      // b, still on the old schema: an update the hub also made (data), one it did not, an
      // update of a row the hub deleted (not-found), an insert — committed, not pushed.
      sqlite3(join(dir, 'b.db'), "UPDATE t SET v = 'B1' WHERE id = 1; UPDATE t SET v = 'B2' WHERE id = 2; UPDATE t SET v = 'B3' WHERE id = 3; INSERT INTO t VALUES (4, 'b4');");
      ok(run('b.db', 'commit', '-m', 'b on the old schema'));
      sqlite3(join(dir, 'b.db'), "INSERT INTO t VALUES (5, 'b5');"); // and one not even committed
      const args = rule === 'default' ? [] : ['--conflict-handler', rule];
      const synced = run('b.db', 'sync', ...args);
      expect(synced.stderr).not.toMatch(/\n\s+at |TypeError|Cannot read/);
      ok(synced, 0, 3);
      ok(run('a.db', 'sync'));
      same(dir, 'a.db', 'b.db');
      const t = sqlite3(join(dir, 'a.db'), 'SELECT id, v, w FROM t ORDER BY id;').trim().split('\n');
      // Columns b never saw keep the hub's values; b's rows get the column's default.
      if (rule === 'default') expect(t).toEqual(['1|A1|aw', '2|B2|d', '4|b4|d', '5|b5|d']);
      else expect(t).toEqual(['1|B1|aw', '2|B2|d', '3|B3|d', '4|b4|d', '5|b5|d']);
      // Both replicas keep working on the new schema, in both directions.
      sqlite3(join(dir, 'b.db'), "INSERT INTO u VALUES (2, 'from b'); UPDATE t SET w = 'bw' WHERE id = 2;");
      ok(run('b.db', 'sync'));
      ok(run('a.db', 'sync'));
      same(dir, 'a.db', 'b.db');
      for (const db of ['a.db', 'b.db']) ok(run(db, 'verify'));
    });
  }

  it('the other way round: the clone adds a table and a UNIQUE index, the first replica pulls over its own unpushed rows', async () => {
    const { dir, run } = await setup();
    sqlite3(join(dir, 'b.db'), "CREATE TABLE tag(id INTEGER PRIMARY KEY, t_id INT REFERENCES t(id), name TEXT); CREATE UNIQUE INDEX tag_name ON tag(name); INSERT INTO tag VALUES (1, 1, 'x'); ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 7;");
    ok(run('b.db', 'sync'));
    sqlite3(join(dir, 'a.db'), "INSERT INTO t VALUES (10, 'a10'); UPDATE t SET v = 'a2' WHERE id = 2;");
    ok(run('a.db', 'commit'));
    sqlite3(join(dir, 'a.db'), "INSERT INTO t VALUES (11, 'a11');");
    ok(run('a.db', 'sync'));
    ok(run('b.db', 'sync'));
    same(dir, 'a.db', 'b.db');
    expect(sqlite3(join(dir, 'b.db'), 'SELECT id, v, n FROM t ORDER BY id;').trim().split('\n')).toEqual(['1|one|7', '2|a2|7', '3|three|7', '10|a10|7', '11|a11|7']);
    // The UNIQUE index travelled: a colliding name inserted on a is a conflict, not a duplicate.
    sqlite3(join(dir, 'a.db'), "INSERT INTO tag VALUES (2, 2, 'y');");
    sqlite3(join(dir, 'b.db'), "INSERT INTO tag VALUES (3, 3, 'y');");
    ok(run('b.db', 'sync'));
    ok(run('a.db', 'sync'), 3);
    ok(run('b.db', 'sync'));
    same(dir, 'a.db', 'b.db');
    expect(sqlite3(join(dir, 'a.db'), "SELECT count(*) FROM tag WHERE name = 'y';").trim()).toBe('1');
    for (const db of ['a.db', 'b.db']) ok(run(db, 'verify'));
  });
});
