// The pages read for the page map are the ones a reader sees: the main file overlaid with the
// WAL's committed frames, and nothing of a transaction still open. Checked against SQLite
// itself: a copy of the files, recovered and checkpointed by SQLite, holds those pages as a
// plain file.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { HASH_BYTES, readPageImages, type PageImages } from '../../src/repo/pages/page-read.ts';
import { pageHasher } from '../../src/repo/pages/page-hash/page-hash.ts';
import { tempDir } from './helpers.ts';
import { denseOf } from './page-values-dense.ts';

/** Page hashes (with `seed`) of a database as SQLite itself resolves its WAL: copied by another process, checkpointed. */
function asSqliteSees(dir: string, path: string, seed: bigint): Buffer {
  const copy = join(dir, 'copy.db');
  const cp = spawnSync('sh', ['-c', `cp "${path}" "${copy}" && if [ -e "${path}-wal" ]; then cp "${path}-wal" "${copy}-wal"; fi`]);
  expect(cp.status).toBe(0);
  const db = new DatabaseSync(copy);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const pageSize = Number((db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
  const pageCount = Number((db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count);
  db.close();
  const file = readFileSync(copy);
  const hashes = Buffer.alloc(pageCount * HASH_BYTES);
  const hasher = pageHasher(seed, pageSize);
  for (let p = 0; p < pageCount; p++) {
    file.copy(hasher.input, 0, p * pageSize, (p + 1) * pageSize);
    hasher.hashEach(pageSize, 1, hashes, p * HASH_BYTES);
  }
  return hashes;
}

function images(path: string): PageImages {
  const read = readPageImages(path);
  if (typeof read === 'string') throw new Error(read);
  return read;
}

describe('reading the pages a reader sees', () => {
  it('overlays the committed WAL frames, newest first, and leaves out an open transaction', () => {
    const dir = tempDir();
    const path = join(dir, 'w.db');
    const writer = new DatabaseSync(path);
    writer.exec('PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = 2');
    writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t SELECT value, printf('%.300c', 'a') FROM json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]')");
    writer.exec('PRAGMA wal_checkpoint(TRUNCATE)'); // these rows live in the main file only
    for (let i = 0; i < 5; i++) writer.exec(`UPDATE t SET v = printf('%.300c', '${'bcdef'[i]}') WHERE id % 5 = ${i}`);
    // grows the file in the WAL only, past one 1 MiB chunk of the WAL's reading
    writer.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT i + 100, printf('%.3000c', 'z') FROM n");
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(5 << 20);
    const first = images(path);
    const committed = asSqliteSees(dir, path, first.seed);
    expect(denseOf(first.values).hashes.equals(committed)).toBe(true);
    // A transaction that spilled frames into the WAL but did not commit: not seen.
    const walBefore = statSync(`${path}-wal`).size;
    writer.exec("BEGIN; UPDATE t SET v = printf('%.300c', 'y'); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO t SELECT i + 10000, printf('%.3000c', 'q') FROM n");
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(walBefore); // it did spill
    const open = readPageImages(path, first); // hashed with first's seed, as the next commit does
    if (typeof open === 'string') throw new Error(open);
    expect(open.seed).toBe(first.seed);
    expect(denseOf(open.values).hashes.equals(committed)).toBe(true);
    writer.exec('COMMIT');
    const after = images(path);
    expect(denseOf(after.values).hashes.equals(asSqliteSees(dir, path, after.seed))).toBe(true);
    expect(after.pageCount).toBeGreaterThan(open.pageCount);
    expect(after.lastWritten.length).toBeGreaterThan(0);
    writer.close();
  });

  it('reads a rollback-journal database as its file', () => {
    const dir = tempDir();
    const path = join(dir, 'r.db');
    const db = new DatabaseSync(path);
    db.exec("PRAGMA page_size = 1024; CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t SELECT value, randomblob(700) FROM json_each('[1,2,3,4,5,6,7,8,9]')");
    expect(images(path)).toMatchObject({ pageSize: 1024, lastWritten: [] });
    const read = images(path);
    expect(denseOf(read.values).hashes.equals(asSqliteSees(dir, path, read.seed))).toBe(true);
    db.close();
  });

  it('reads only the chunks the WAL holds pages of when the main file is as an earlier read found it', () => {
    const dir = tempDir();
    const path = join(dir, 'c.db');
    const writer = new DatabaseSync(path);
    writer.exec("PRAGMA page_size = 512; PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO t SELECT i, printf('%.100c', 'a') FROM n; PRAGMA wal_checkpoint(TRUNCATE)");
    const earlier = images(path);
    expect(earlier.pageCount).toBeGreaterThan(4 * 256);
    writer.exec("UPDATE t SET v = printf('%.100c', 'b') WHERE id = 10"); // a transaction before the WAL's last one
    writer.exec("UPDATE t SET v = printf('%.100c', 'c') WHERE id = 4000"); // the WAL's last transaction: the table's last chunks
    const partly = readPageImages(path, earlier, true);
    if (typeof partly === 'string') throw new Error(partly);
    const whole = readPageImages(path, earlier);
    if (typeof whole === 'string') throw new Error(whole);
    expect(denseOf(partly.values)).toEqual(denseOf(whole.values));
    expect(partly.chunksRead).toBeLessThan(whole.chunksRead);
    expect(partly.chunksRead).toBeGreaterThanOrEqual(2); // page 1's and id 10's chunk, id 4000's
    writer.close();
  });
});
