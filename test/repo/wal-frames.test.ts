// The WAL's committed frames as SQLite's recovery finds them: for every page, its newest image;
// for each page of the last transaction, its image before it (what a reader that does not see
// that transaction yet reads). Checked against SQLite itself: copies of the files, checkpointed
// by SQLite, hold those images as plain files.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, readFileSync, readSync } from 'node:fs';
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
});
