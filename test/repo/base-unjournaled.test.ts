// commit writes base.db without a rollback journal, guarded by base-writing.json: a commit
// killed while that marker exists leaves a half-written base.db, which the next command
// rebuilds from the log before reading it; nothing is lost or doubled, and verify passes.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { status } from '../../src/repo/capture/status.ts';
import { checkout } from '../../src/repo/base/checkout.ts';
import { verify } from '../../src/repo/verify.ts';
import { writeJsonAtomic } from '../../src/repo/atomic.ts';
import { needsNoRollback, UNJOURNALED_FROM_ROWS, worthUnjournaled } from '../../src/repo/base/base-unjournaled.ts';
import { collectTable } from '../../src/repo/capture/capture-base.ts';
import { readSchema, trackedTables } from '../../src/repo/schema/schema-read.ts';
import { dumpTables, sqlite3, tempDir } from './helpers.ts';
import { BIN } from '../cli-bin.ts';

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
    const base = replica.paths.base;
    const fileHash = () => createHash('sha256').update(readFileSync(base)).digest('hex'); // no connection to base.db is open here
    const torn: number[] = []; // rounds whose kill left base.db changed under the marker
    for (let round = 1; round <= 10 && !(round > 3 && torn.length > 0); round++) {
      // Rows spread over every page, so base.db's write lasts and its pages go to the file as it runs.
      sqlite3(db, `UPDATE t SET n = n + 1, v = v || '${round}' WHERE id % 4 = ${round % 4};
        DELETE FROM t WHERE id % 89 = ${round}; INSERT INTO t(v, n) VALUES ('round ${round}', ${round});`);
      if (existsSync(marker)) status(replica); // the previous kill's damage repaired first, so this kill is judged alone
      const was = fileHash();
      const landed = await killedWhileWritingBase(db, marker, 20 + Math.floor(Math.random() * 120));
      if (landed && existsSync(marker) && fileHash() !== was) torn.push(round);
      if (round % 3 === 0) commit(replica, { message: `survivor ${round}` });
    }
    commit(replica, { message: 'final' });
    expect(existsSync(marker)).toBe(false);
    expect(commit(replica)).toBeNull();
    expect(verify(replica).problems).toEqual([]);
    expect(dumpTables(base)).toEqual(dumpTables(db));
    expect(dumpTables(checkout(replica, replica.lastSeq(), join(dir, 'rebuilt.db')))).toEqual(dumpTables(db));
    expect(torn.length).toBeGreaterThan(0); // a kill really left a half-written base.db
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

  it('is used only for a large write that needs no rollback: no UNIQUE index besides the key, no table tracked by rowid', () => {
    const dir = tempDir();
    const db = join(dir, 'u.db');
    sqlite3(db, `CREATE TABLE plain(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX plain_v ON plain(v);
      CREATE TABLE keyed(a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
      CREATE TABLE uniq(id INTEGER PRIMARY KEY, v TEXT UNIQUE);
      CREATE TABLE uniqidx(id INTEGER PRIMARY KEY, v TEXT); CREATE UNIQUE INDEX uniqidx_v ON uniqidx(v);
      CREATE TABLE rowid_only(v TEXT);
      CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT);`);
    Replica.init(db);
    for (const t of ['plain', 'keyed', 'uniq', 'uniqidx', 'rowid_only']) sqlite3(db, `INSERT INTO ${t} VALUES (${t === 'rowid_only' ? "'x'" : "'1', 'x'"})`);
    sqlite3(db, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${UNJOURNALED_FROM_ROWS - 2}) INSERT INTO big SELECT i, 'x' FROM s`);
    const conn = new DatabaseSync(':memory:');
    conn.exec(`ATTACH '${db}' AS live`);
    const collected = new Map(trackedTables(readSchema(conn, 'live')).map((table, i) => [table.name, collectTable(conn, table, i, true)]));
    const verdict = (...names: string[]) => needsNoRollback(conn, 'live', names.map((n) => collected.get(n)!));
    expect(verdict('plain', 'keyed')).toBe(true);
    expect(verdict('plain', 'uniq')).toBe(false);
    expect(verdict('uniqidx')).toBe(false);
    expect(verdict('rowid_only')).toBe(false);
    const worth = (...names: string[]) => worthUnjournaled(conn, 'live', names.map((n) => collected.get(n)!));
    expect(worth('big')).toBe(false); // a small write keeps the journal: a crash then costs a rollback, not a rebuild
    expect(worth('big', 'plain', 'keyed')).toBe(true);
    expect(worth('big', 'plain', 'uniq')).toBe(false);
    conn.close();
  });
});
