// commit writes base.db without a rollback journal, guarded by base-writing.json: a commit
// killed while that marker exists leaves a half-written base.db, which the next command
// rebuilds from the log before reading it; nothing is lost or doubled, and verify passes.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/commit.ts';
import { checkout } from '../../src/repo/checkout.ts';
import { verify } from '../../src/repo/verify.ts';
import { writeJsonAtomic } from '../../src/repo/atomic.ts';
import { needsNoRollback } from '../../src/repo/base-unjournaled.ts';
import { collectTable } from '../../src/repo/capture-base.ts';
import { readSchema, trackedTables } from '../../src/repo/schema-read.ts';
import { dumpTables, sqlite3, tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/sqlferry.js', import.meta.url));

/** A commit CLI killed `delayMs` after base-writing.json appears; whether the marker was there at the kill. */
function killedWhileWritingBase(db: string, marker: string, delayMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--db', db, 'commit', '-m', 'doomed'], { stdio: 'ignore' });
    let exited = false;
    let killedWithMarker = false;
    child.on('exit', () => {
      exited = true;
      resolve(killedWithMarker);
    });
    const poll = (): void => {
      if (exited) return;
      if (!existsSync(marker)) return void setImmediate(poll);
      setTimeout(() => {
        killedWithMarker = !exited && existsSync(marker);
        child.kill('SIGKILL');
      }, delayMs);
    };
    poll();
  });
}

describe('base.db written without a journal', () => {
  it('is rebuilt from the log after a commit killed while writing it: nothing lost or doubled, verify passes', async () => {
    const dir = tempDir();
    const db = join(dir, 'k.db');
    sqlite3(db, `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000) INSERT INTO t SELECT i, printf('%.120c', 'v') || i, 0 FROM s;`);
    const replica = Replica.init(db);
    const marker = replica.paths.baseWriting;
    const kills: boolean[] = [];
    for (let round = 1; round <= 5; round++) {
      // Rows spread over every page, so base.db's write lasts and its pages go to the file as it runs.
      sqlite3(db, `UPDATE t SET n = n + 1, v = v || '${round}' WHERE id % 4 = ${round % 4};
        DELETE FROM t WHERE id % 89 = ${round}; INSERT INTO t(v, n) VALUES ('round ${round}', ${round});`);
      kills.push(await killedWhileWritingBase(db, marker, Math.floor(Math.random() * 60)));
      if (round % 3 === 0) commit(replica, { message: `survivor ${round}` });
    }
    commit(replica, { message: 'final' });
    expect(existsSync(marker)).toBe(false);
    expect(commit(replica)).toBeNull();
    expect(verify(replica).problems).toEqual([]);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(db));
    expect(dumpTables(checkout(replica, replica.lastSeq(), join(dir, 'rebuilt.db')))).toEqual(dumpTables(db));
    expect(kills.filter((k) => k).length).toBeGreaterThan(0); // some kills landed mid-write
  }, 60_000);

  it('is rebuilt whatever state the interrupted write left it in', () => {
    const dir = tempDir();
    const db = join(dir, 'h.db');
    sqlite3(db, `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');`);
    const replica = Replica.init(db);
    sqlite3(db, `UPDATE t SET v = 'B' WHERE id = 2; INSERT INTO t VALUES (3, 'c');`);
    commit(replica);
    // As a killed write leaves it: some rows written, the recorded commit not moved.
    writeJsonAtomic(replica.paths.baseWriting, { seq: 2 });
    sqlite3(replica.paths.base, `DELETE FROM t WHERE id = 1; INSERT INTO t VALUES (9, 'half');`);
    expect(verify(replica).problems).toEqual([]);
    expect(existsSync(replica.paths.baseWriting)).toBe(false);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(db));
  });

  it('is used only where no write needs a rollback: no UNIQUE index besides the key, no table tracked by rowid', () => {
    const dir = tempDir();
    const db = join(dir, 'u.db');
    sqlite3(db, `CREATE TABLE plain(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX plain_v ON plain(v);
      CREATE TABLE keyed(a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
      CREATE TABLE uniq(id INTEGER PRIMARY KEY, v TEXT UNIQUE);
      CREATE TABLE uniqidx(id INTEGER PRIMARY KEY, v TEXT); CREATE UNIQUE INDEX uniqidx_v ON uniqidx(v);
      CREATE TABLE rowid_only(v TEXT);`);
    Replica.init(db);
    for (const t of ['plain', 'keyed', 'uniq', 'uniqidx', 'rowid_only']) sqlite3(db, `INSERT INTO ${t} VALUES (${t === 'rowid_only' ? "'x'" : "'1', 'x'"})`);
    const conn = new DatabaseSync(':memory:');
    conn.exec(`ATTACH '${db}' AS live`);
    const collected = new Map(trackedTables(readSchema(conn, 'live')).map((table, i) => [table.name, collectTable(conn, table, i, true)]));
    const verdict = (...names: string[]) => needsNoRollback(conn, 'live', names.map((n) => collected.get(n)!));
    expect(verdict('plain', 'keyed')).toBe(true);
    expect(verdict('plain', 'uniq')).toBe(false);
    expect(verdict('uniqidx')).toBe(false);
    expect(verdict('rowid_only')).toBe(false);
    conn.close();
  });
});
