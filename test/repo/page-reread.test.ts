// The page map's walk reads pages again (page-reread.ts): a page comes back only as the read
// hashed it, whatever happened to the files since.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { readPageImages, type PageImages } from '../../src/repo/page-read.ts';
import { tempDir } from './helpers.ts';

function images(path: string): PageImages {
  const read = readPageImages(path);
  if (typeof read === 'string') throw new Error(read);
  return read;
}

describe('a page read again', () => {
  it('is the one the read hashed, from the WAL or the main file; a WAL gone since gives nothing, not an error', () => {
    const path = join(tempDir(), 'wal.db');
    const app = new DatabaseSync(path);
    app.exec(`PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2000) INSERT INTO t SELECT i, printf('%.50c', 'v') FROM s`);
    app.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    app.exec("UPDATE t SET v = 'changed' WHERE id = 1000"); // one leaf, its frame in the WAL
    const read = images(path);
    app.close(); // the last connection: checkpoints and deletes the WAL
    expect(existsSync(`${path}-wal`)).toBe(false);
    const back = [...Array(read.pageCount).keys()].map((p) => read.reread(p));
    expect(back.filter((b) => b === undefined).length).toBe(1); // the leaf whose image was in the WAL
    expect(back.filter((b) => b?.[0] === 0x0d).length).toBeGreaterThan(10); // the others, from the main file
    expect(read.reread(read.pageCount)).toBeUndefined();
  });

  it('gives nothing for a page written since the read', () => {
    const path = join(tempDir(), 'rollback.db');
    const app = new DatabaseSync(path);
    app.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')`);
    const read = images(path);
    app.exec("UPDATE t SET v = 'b'");
    expect(read.reread(1)).toBeUndefined(); // t's leaf, page 2
    expect(read.reread(2)).toBeUndefined(); // past the end
    app.close();
  });
});
