// The deletes and updates of a commit are recorded by sessions on a TEMP twin of each table,
// base.db written without one (capture-twin.ts): the entry's bytes must be the ones a session
// on base.db writes. A table with a UNIQUE index besides its key keeps the session on base.db
// (the index is in no changeset), so the same tables with and without such an index, edited
// alike, must commit byte-identical entries; and base.db must end equal to the live tables.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { UNJOURNALED_FROM_ROWS } from '../../src/repo/base/base-unjournaled.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { dumpTables, tempDir } from './helpers.ts';

const TABLES = [
  // A text key in a rowid table, its rows inserted out of key order: rowid order is not key
  // order, nor is the order the capture reads them in (through the covering index).
  'CREATE TABLE u(k TEXT PRIMARY KEY, v INTEGER, w)',
  'CREATE INDEX u_all ON u(k, v, w)',
  'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, note)',
  'CREATE TABLE c(a TEXT COLLATE NOCASE, b INTEGER, x REAL, y, PRIMARY KEY (b DESC, a)) WITHOUT ROWID',
];

/** Each table's rows; then columns added (rows written before them are shorter than the schema). */
function fill(db: DatabaseSync, rows: number): void {
  db.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
    INSERT INTO u SELECT 'key' || ((i * 7919) % 100003), i, CASE i % 3 WHEN 0 THEN x'00ff' WHEN 1 THEN -0.0 END FROM s;
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
    INSERT INTO t SELECT i, 'n' || i, i * 0.25, CASE i % 4 WHEN 0 THEN CAST(x'ff00fe' AS TEXT) WHEN 1 THEN -0.0 WHEN 2 THEN i END FROM s;
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
    INSERT INTO c SELECT 'a' || (i % 13), i, i / 3.0, CASE WHEN i % 4 THEN 'y' || i END FROM s;
    ALTER TABLE t ADD COLUMN r REAL DEFAULT 0; ALTER TABLE t ADD COLUMN d TEXT DEFAULT 'd'`);
}

/** A spread edit of every table: updates, deletes and inserts, with NULLs, -0.0 and TEXT that is not UTF-8. */
function edit(db: DatabaseSync, rows: number, every: number): void {
  db.exec(`UPDATE u SET v = v + 1 WHERE v % ${every} = 1; UPDATE u SET w = NULL WHERE v % ${every} = 2; DELETE FROM u WHERE v % ${every} = 3;
    INSERT INTO u VALUES ('zz', 1, NULL), ('aa', 2, x'00');
    UPDATE t SET amount = -0.0, note = CAST(x'c3' AS TEXT) WHERE id % ${every} = 1; UPDATE t SET r = 1.5 WHERE id % ${every} = 2;
    UPDATE t SET name = NULL, note = -0.0 WHERE id % ${every} = 4; DELETE FROM t WHERE id % ${every} = 3;
    INSERT INTO t(id, name) VALUES (${rows + 1}, 'new');
    UPDATE c SET x = x * 2 WHERE b % ${every} = 1; UPDATE c SET y = NULL WHERE b % ${every} = 2; DELETE FROM c WHERE b % ${every} = 3;
    INSERT INTO c VALUES ('New', ${rows + 5}, 1.0, NULL)`);
}

function committed(unique: boolean, rows: number, every: number): { bytes: Buffer; replica: Replica; path: string } {
  const path = join(tempDir(), 'live.db');
  const db = new DatabaseSync(path);
  for (const sql of TABLES) db.exec(sql);
  // Unique over a key and more: never in the way, but it keeps the session on base.db.
  if (unique) db.exec('CREATE UNIQUE INDEX u_kv ON u(k, v); CREATE UNIQUE INDEX t_idn ON t(id, name); CREATE UNIQUE INDEX c_bay ON c(b, a, y)');
  fill(db, rows);
  const replica = Replica.init(path);
  edit(db, rows, every);
  db.close();
  const entry = commit(replica)!;
  return { bytes: Buffer.from(replica.entry(entry.seq).bytes), replica, path };
}

describe('deletes and updates recorded on a twin of each table', () => {
  it.each([
    ['a small commit (base.db journaled)', 3000, 40],
    ['a large one (base.db without a journal)', 12000, 5],
  ])('writes the bytes a session on base.db writes: %s', (_, rows, every) => {
    const twin = committed(false, rows, every);
    const session = committed(true, rows, every);
    // Large enough for the journal to be left out, or not, as named.
    const changed = 3 * Math.floor((3 * rows) / every);
    expect(changed >= UNJOURNALED_FROM_ROWS).toBe(every === 5);
    expect(twin.bytes.length).toBeGreaterThan(0);
    expect(twin.bytes.equals(session.bytes)).toBe(true);
    expect(verify(twin.replica)).toMatchObject({ ok: true, problems: [] });
    expect(dumpTables(twin.replica.paths.base)).toEqual(dumpTables(twin.path));
  });
});
