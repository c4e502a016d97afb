// The WAL's committed frames as SQLite's recovery finds them: for every page, its newest image;
// for each page of the last transaction, its image before it (what a reader that does not see
// that transaction yet reads). Checked against SQLite itself: copies of the files, checkpointed
// by SQLite, hold those images as plain files.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { heldDescriptor } from '../../src/repo/pages/held-descriptor.ts';
import { committedFrames } from '../../src/repo/pages/wal-frames.ts';
import { tempDir } from './helpers.ts';

const PAGE = 1024;

/** The database file SQLite makes of `path` and its WAL: copied by another process, checkpointed. */
function asSqliteSees(dir: string, path: string, name: string): Buffer {
  const copy = join(dir, name);
  expect(spawnSync('sh', ['-c', `cp "${path}" "${copy}" && cp "${path}-wal" "${copy}-wal"`]).status).toBe(0);
  const db = new DatabaseSync(copy);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
  return readFileSync(copy);
}

const pageOf = (file: Buffer, p: number): Buffer => file.subarray((p - 1) * PAGE, p * PAGE);

describe('the committed frames of a WAL', () => {
  it("finds each page's newest image, and the last transaction's pages as they were before it", () => {
    const dir = tempDir();
    const path = join(dir, 'w.db');
    const writer = new DatabaseSync(path);
    writer.exec(`PRAGMA page_size = ${PAGE}; PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = 2`);
    writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t SELECT i, printf('%.200c', 'a') FROM n; PRAGMA wal_checkpoint(TRUNCATE)");
    // Transactions before the last one: some of their pages the last one writes again, some not.
    writer.exec("UPDATE t SET v = printf('%.200c', 'b') WHERE id % 7 = 0");
    writer.exec("UPDATE t SET v = printf('%.200c', 'c') WHERE id < 600");
    const before = asSqliteSees(dir, path, 'before.db');
    // The last one rewrites pages already in the WAL and in the main file only, and adds pages.
    writer.exec("BEGIN; UPDATE t SET v = printf('%.200c', 'd') WHERE id % 11 = 0; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT i + 5000, printf('%.200c', 'e') FROM n; COMMIT");
    const after = asSqliteSees(dir, path, 'after.db');
    // An open transaction that spilled frames: not committed, not found.
    writer.exec("BEGIN; UPDATE t SET v = printf('%.200c', 'f'); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO t SELECT i + 20000, printf('%.200c', 'g') FROM n");
    const wal = committedFrames(`${path}-wal`, PAGE);
    if (typeof wal === 'string') throw new Error(wal);
    const main = heldDescriptor(path); // never closed: this process holds the writer's locks on it
    const image = Buffer.alloc(PAGE);
    const read = (fd: number, offset: number): Buffer => {
      image.fill(0, readSync(fd, image, 0, PAGE, offset));
      return image;
    };
    try {
      expect(wal.dbSize).toBe(after.length / PAGE);
      let newest = 0;
      for (let p = 1; p <= wal.dbSize; p++) {
        const offset = wal.frames.get(p);
        if (offset === undefined) continue;
        newest++;
        expect(read(wal.fd!, offset).equals(pageOf(after, p))).toBe(true);
      }
      expect(newest).toBe(wal.frames.size);
      expect(newest).toBeGreaterThan(2000 / 4); // more pages than the index's first size
      // Every page that differs after the last transaction is one it wrote, with its image before it.
      const written = new Set(wal.lastWritten);
      expect(written.size).toBe(wal.lastWritten.length);
      for (let p = 1; p <= wal.dbSize; p++) if (p > before.length / PAGE || !pageOf(before, p).equals(pageOf(after, p))) expect(written.has(p)).toBe(true);
      let fromMain = 0;
      for (let i = 0; i < wal.lastWritten.length; i++) {
        const p = wal.lastWritten[i]!;
        if (p > before.length / PAGE) continue;
        const offset = wal.before[i]!;
        if (offset < 0) fromMain++;
        expect(read(offset < 0 ? main : wal.fd!, offset < 0 ? (p - 1) * PAGE : offset).equals(pageOf(before, p))).toBe(true);
      }
      expect(fromMain).toBeGreaterThan(0);
      expect(fromMain).toBeLessThan(wal.lastWritten.length);
    } finally {
      if (wal.fd !== null) closeSync(wal.fd);
      writer.exec('ROLLBACK');
      writer.close();
    }
  });
  /** A WAL of three committed transactions (the main file checkpointed first), left open: its writer, and the frames each transaction ends at. */
  function threeTransactions(): { path: string; writer: DatabaseSync; ends: number[] } {
    const path = join(tempDir(), 'c.db');
    const writer = new DatabaseSync(path);
    writer.exec(`PRAGMA page_size = ${PAGE}; PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0`);
    writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); PRAGMA wal_checkpoint(TRUNCATE)");
    const ends: number[] = [];
    for (const [from, to] of [[1, 300], [301, 500], [501, 900]]) {
      writer.exec(`WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to}) INSERT INTO t SELECT i, printf('%.300c', 'a') FROM n`);
      const wal = committedFrames(`${path}-wal`, PAGE);
      if (typeof wal === 'string') throw new Error(wal);
      if (wal.fd !== null) closeSync(wal.fd);
      ends.push(wal.end!.frames);
    }
    return { path, writer, ends };
  }

  /** The frames committedFrames finds in `walPath` (its descriptor closed). */
  function endOf(walPath: string, reuse = false): number | null {
    const wal = committedFrames(walPath, PAGE, reuse);
    if (typeof wal === 'string') throw new Error(wal);
    if (wal.fd !== null) closeSync(wal.fd);
    return wal.end?.frames ?? null;
  }

  it('stops before the transaction of a frame whose bytes no longer match its checksum, as SQLite does', () => {
    const { path, writer, ends } = threeTransactions();
    try {
      const wal = readFileSync(`${path}-wal`);
      expect(endOf(`${path}-wal`)).toBe(ends[2]);
      const frame = ends[1]! + 1; // a frame of the last transaction, not its first
      wal[32 + frame * (24 + PAGE) + 24 + 500]! ^= 1; // one bit of its page image
      writeFileSync(`${path}-wal`, wal);
      expect(endOf(`${path}-wal`)).toBe(ends[1]);
    } finally {
      writer.close();
    }
  });

  it('reads checksums written big-endian (a WAL from a big-endian machine) as the same frames', () => {
    const { path, writer, ends } = threeTransactions();
    try {
      // The same WAL rewritten with the other magic number and every checksum summed over big-endian words.
      const wal = readFileSync(`${path}-wal`);
      const sum = (from: number, length: number, s: [number, number]): [number, number] => {
        let [s1, s2] = s;
        for (let i = from; i < from + length; i += 8) {
          s1 = (s1 + wal.readUInt32BE(i) + s2) >>> 0;
          s2 = (s2 + wal.readUInt32BE(i + 4) + s1) >>> 0;
        }
        return [s1, s2];
      };
      wal.writeUInt32BE(0x377f0683, 0);
      let s = sum(0, 24, [0, 0]);
      wal.writeUInt32BE(s[0], 24);
      wal.writeUInt32BE(s[1], 28);
      for (let at = 32; at + 24 + PAGE <= wal.length && wal.readUInt32BE(at) !== 0; at += 24 + PAGE) {
        s = sum(at + 24, PAGE, sum(at, 8, s));
        wal.writeUInt32BE(s[0], at + 16);
        wal.writeUInt32BE(s[1], at + 20);
      }
      writeFileSync(`${path}-wal`, wal);
      expect(endOf(`${path}-wal`)).toBe(ends[2]);
    } finally {
      writer.close();
    }
  });

  it('reuses a scan only of the WAL file as it was: frames committed since are found', () => {
    const { path, writer, ends } = threeTransactions();
    try {
      expect(endOf(`${path}-wal`)).toBe(ends[2]);
      expect(endOf(`${path}-wal`, true)).toBe(ends[2]);
      writer.exec("UPDATE t SET v = 'b' WHERE id = 7");
      expect(endOf(`${path}-wal`, true)).toBe(ends[2]! + 1);
      // Rewritten in place, the same length: a torn frame is not taken from the scan before.
      const wal = readFileSync(`${path}-wal`);
      wal[32 + (ends[2]! - 2) * (24 + PAGE) + 24 + 100]! ^= 1;
      writeFileSync(`${path}-wal`, wal);
      expect(endOf(`${path}-wal`, true)).toBe(ends[1]);
    } finally {
      writer.close();
    }
  });
});
