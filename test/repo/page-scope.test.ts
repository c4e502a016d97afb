// The cases the random test cannot time: a WAL write landing after the capture's read
// transaction began but before its pages were read, and the WAL's last transaction, which a
// reader may not see yet (its frames written, the WAL-index not yet updated when the stamp was
// taken: modelled here by a stamp carrying the WAL-index as it was before that write), kept as
// "unknown" in the page map.

/** takeStampPastTick, as if the writer had not yet published what it wrote since `published` was read. */
function stampBeforePublished(replica: Replica, published: ReturnType<typeof publishedWalEnd>) {
  return { ...takeStampPastTick(replica.paths), published };
}
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { takeStampPastTick } from '../../src/repo/pages/fingerprint.ts';
import { pageScope, rememberPages } from '../../src/repo/pages/page-scope.ts';
import { publishedWalEnd } from '../../src/repo/pages/wal-index.ts';
import { HASH_BYTES } from '../../src/repo/pages/page-read.ts';
import { iterateChanges } from '../../src/changeset/index.ts';
import { denseOf } from './page-values-dense.ts';
import type { PageMap } from '../../src/repo/pages/page-map.ts';
import { tempDir } from './helpers.ts';

function walReplica(): { path: string; writer: DatabaseSync; replica: Replica } {
  const path = join(tempDir(), 'w.db');
  const writer = new DatabaseSync(path);
  writer.exec("PRAGMA journal_mode = wal; CREATE TABLE a(id INTEGER PRIMARY KEY, n TEXT); CREATE TABLE b(id INTEGER PRIMARY KEY, n TEXT); INSERT INTO a VALUES (1, 'x'); INSERT INTO b VALUES (1, 'x')");
  const replica = Replica.init(path);
  writer.exec("UPDATE a SET n = 'y'");
  expect(commit(replica)).not.toBeNull(); // records a page map
  return { path, writer, replica };
}

describe('the page scope', () => {
  it('compares every table when the WAL grew after the read transaction began', () => {
    const { path, writer, replica } = walReplica();
    writer.exec("UPDATE a SET n = 'z'");
    const before = takeStampPastTick(replica.paths);
    const reader = new DatabaseSync(path);
    reader.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
    writer.exec("UPDATE b SET n = 'z'"); // in the WAL, not in the reader's snapshot
    const scope = pageScope(replica.paths, reader, before, replica.lastSeq());
    expect(scope.compared).toEqual({ tables: 'all', why: 'compared every table: the database was written while its pages were read' });
    expect(scope.pageMap()).toBeNull();
    reader.exec('COMMIT');
    reader.close();
    writer.close();
  });

  it('keeps the pages of the WAL’s last transaction as unknown, unless it was published before the read began', () => {
    const { path, writer, replica } = walReplica();
    const published = publishedWalEnd(path);
    expect(published).not.toBeNull();
    writer.exec("UPDATE b SET n = 'w'");
    const reader = new DatabaseSync(replica.paths.db);
    const root = Number((reader.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'b'").get() as { rootpage: number }).rootpage);
    const rootHash = (map: PageMap) => denseOf(map.values).hashes.subarray((root - 1) * HASH_BYTES, root * HASH_BYTES);
    for (const [before, known] of [[stampBeforePublished(replica, published), false], [takeStampPastTick(replica.paths), true]] as const) {
      reader.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
      const scope = pageScope(replica.paths, reader, before, replica.lastSeq());
      expect(scope.compared.tables).toEqual(new Set(['b'])); // not a: the commit saw its write published
      const map = scope.pageMap()!;
      expect(rootHash(map).equals(Buffer.alloc(HASH_BYTES))).toBe(!known);
      expect(denseOf(map.values).hashes.subarray(0, HASH_BYTES).equals(Buffer.alloc(HASH_BYTES))).toBe(false); // page 1 was not written by it
      reader.exec('COMMIT');
    }
    reader.close();
    writer.close();
  });

  it('keeps the chunk of pages holding such a page unknown, though no byte of it changes after', () => {
    const path = join(tempDir(), 'chunks.db');
    const writer = new DatabaseSync(path);
    writer.exec("PRAGMA page_size = 512; PRAGMA journal_mode = wal; CREATE TABLE a(id INTEGER PRIMARY KEY, n TEXT); INSERT INTO a VALUES (1, 'x')");
    writer.exec("CREATE TABLE b(id INTEGER PRIMARY KEY, n TEXT); WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000) INSERT INTO b SELECT i, printf('%.60c', 'x') FROM s");
    const replica = Replica.init(path);
    const published = publishedWalEnd(path);
    writer.exec("UPDATE a SET n = 'y'"); // page 2 (first chunk): the WAL's last transaction at the commit
    expect(commit(replica)).not.toBeNull();
    // As if the commit's stamp had been taken before the writer published that transaction: its map keeps page 2 unknown.
    const committed = new DatabaseSync(path);
    committed.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
    rememberPages(replica.paths, pageScope(replica.paths, committed, stampBeforePublished(replica, published), replica.lastSeq()).pageMap(), replica.lastSeq());
    committed.exec('COMMIT');
    committed.close();
    writer.exec("UPDATE b SET n = printf('%.60c', 'z') WHERE id = 2990"); // a leaf hundreds of pages on
    const before = takeStampPastTick(replica.paths);
    const reader = new DatabaseSync(path);
    reader.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
    expect(pageScope(replica.paths, reader, before, replica.lastSeq()).compared.tables).toEqual(new Set(['a', 'b']));
    reader.exec('COMMIT');
    reader.close();
    writer.close();
  });

  it('compares a full-text or R*Tree table when only its shadow tables changed (it owns no pages)', () => {
    const path = join(tempDir(), 'v.db');
    const app = new DatabaseSync(path);
    app.exec("CREATE TABLE plain(id INTEGER PRIMARY KEY); CREATE VIRTUAL TABLE notes USING fts5(body); CREATE VIRTUAL TABLE box USING rtree(id, x0, x1); INSERT INTO notes VALUES ('a')");
    const replica = Replica.init(path);
    app.exec("INSERT INTO notes VALUES ('b')");
    expect(commit(replica)).not.toBeNull(); // records a page map
    app.exec("INSERT INTO notes VALUES ('c'); INSERT INTO box VALUES (1, 2, 3)");
    const lines: string[] = [];
    const entry = commit(replica, { explain: (line) => lines.push(line) })!;
    expect(lines[0]).toMatch(/^compared \d+ tables, those whose pages changed since commit 1: .*box.*notes/);
    expect([...iterateChanges(replica.entry(entry.seq).bytes)].map((c) => `${c.table.name} ${c.op}`).sort()).toEqual(['box INSERT', 'notes INSERT']);
    app.close();
  });

  it('in WAL mode, with the main file as the last map found it, reads only the chunks the WAL touches, and misses no transaction of it', () => {
    const path = join(tempDir(), 'm.db');
    const app = new DatabaseSync(path); // open throughout, as an application: no checkpoint when sqlferry closes its connections
    app.exec(`PRAGMA page_size = 512; PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0;
      CREATE TABLE a(id INTEGER PRIMARY KEY, n TEXT); CREATE TABLE b(id INTEGER PRIMARY KEY, n TEXT);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 4000) INSERT INTO a SELECT i, printf('%.60c', 'x') FROM s;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 4000) INSERT INTO b SELECT i, printf('%.60c', 'x') FROM s;
      PRAGMA wal_checkpoint(TRUNCATE)`);
    const replica = Replica.init(path);
    app.exec("UPDATE b SET n = 'y' WHERE id = 1");
    expect(commit(replica)).not.toBeNull(); // records the map, with the main file's stat
    app.exec("UPDATE a SET n = 'z' WHERE id = 3000"); // two transactions in the WAL since, far apart
    app.exec("UPDATE b SET n = 'z' WHERE id = 3000");
    const before = takeStampPastTick(replica.paths);
    const reader = new DatabaseSync(path);
    reader.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
    const scope = pageScope(replica.paths, reader, before, replica.lastSeq());
    reader.exec('COMMIT');
    reader.close();
    expect(scope.compared.tables).toEqual(new Set(['a', 'b']));
    const lines: string[] = [];
    const entry = commit(replica, { explain: (line) => lines.push(line) })!;
    expect(lines).toEqual(['compared 2 tables, those whose pages changed since commit 1: a in 1 rowid range, b in 1 rowid range']);
    expect([...iterateChanges(replica.entry(entry.seq).bytes)].map((c) => `${c.table.name} ${c.op}`)).toEqual(['a UPDATE', 'b UPDATE']);
    app.close();
  });
});
