// Rows appended to a table keyed by its rowid are read from the live pages (appended-records.ts,
// capture-appended.ts): the entry holds the same changes, value for value, as the full
// comparison (diff.ts), for random tables (REAL, INTEGER, TEXT, BLOB, NUMERIC and untyped
// columns; values past a page, -0.0, integral reals, large integers; columns added before;
// rows appended after deletes at the top), in WAL mode (frames not checkpointed) and
// rollback-journal mode, at a first commit and at a later one read within key ranges. And the
// bytes are the ones SQLite's sessions write for the same rows, in the same pieces.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { iterateChanges, type Change, type SqlValue } from '../../src/changeset/index.ts';
import { sqlLiteral } from '../../src/changeset/value.ts';
import { lanesRecord } from '../../src/changeset/digest.ts';
import { FIRST_PIECE_ROWS, nextPieceRows } from '../../src/repo/capture/entry-file.ts';
import { UNJOURNALED_FROM_ROWS } from '../../src/repo/base/base-unjournaled.ts';
import { writeJsonAtomic } from '../../src/repo/atomic.ts';
import { captureEntry } from '../../src/repo/capture/capture-entry.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { takeStampPastTick } from '../../src/repo/pages/fingerprint.ts';
import { compareEverything } from '../../src/repo/pages/page-scope.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { withWorkingDiff } from '../../src/repo/capture/diff.ts';
import { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { dumpTables, tempDir } from './helpers.ts';

const TYPES = ['', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC', 'DOUBLE', 'FLOAT'] as const;
const BULK = 4200; // above UNJOURNALED_FROM_ROWS: fewer new rows are copied as before

const value: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ type: 'integer', value: v }) as SqlValue),
  fc.constantFrom(0n, 1n, -1n, 127n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n).map((v) => ({ type: 'integer', value: v }) as SqlValue),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ({ type: 'real', value: v }) as SqlValue),
  fc.constantFrom(-0, 0, 1, 2 ** 53, -(2 ** 60), 1.5, 1e308).map((v) => ({ type: 'real', value: v }) as SqlValue),
  fc.string({ maxLength: 8 }).map((s) => ({ type: 'text', value: new TextEncoder().encode(s) }) as SqlValue),
  fc.constantFrom(300, 700, 5000).map((n) => ({ type: 'text', value: new TextEncoder().encode('é'.repeat(n)) }) as SqlValue), // past a 512- or 4096-byte page
  fc.uint8Array({ maxLength: 6 }).map((b) => ({ type: 'blob', value: b }) as SqlValue),
  fc.constantFrom(600, 9000).map((n) => ({ type: 'blob', value: new Uint8Array(n).fill(7) }) as SqlValue),
  fc.constant({ type: 'null' } as SqlValue),
);

const runArb = fc.record({
  wal: fc.boolean(),
  pageSize: fc.constantFrom(512, 4096),
  columns: fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 4 }),
  added: fc.option(fc.record({ type: fc.constantFrom(...TYPES), dflt: value }), { nil: undefined }),
  palette: fc.array(value, { minLength: 1, maxLength: 12 }),
  baseRows: fc.constantFrom(0, 50),
  deleteTop: fc.nat(5),
  explicitGap: fc.nat(1000),
  laterCommit: fc.boolean(),
});

/**
 * The palette's value for row `i`: a value past a page in one row of 16, a short one of the same
 * type in the others (every row past a page made a run of 4,200 rows hundreds of MB).
 */
function cell(v: SqlValue, i: number): SqlValue {
  if ((v.type !== 'text' && v.type !== 'blob') || v.value.length <= 64 || i % 16 === 0) return v;
  return { type: v.type, value: v.value.subarray(0, 16) } as SqlValue;
}

/** Each change as comparable text: values typed, REAL by its bits, bytes in hex. */
function canonical(changes: Iterable<Change>): string[] {
  const v = (x: SqlValue): string => {
    if (x.type === 'integer') return `i${x.value}`;
    if (x.type === 'real') return `r${Buffer.from(new Float64Array([x.value]).buffer).toString('hex')}`;
    if (x.type === 'text' || x.type === 'blob') return `${x.type[0]}${Buffer.from(x.value).toString('hex')}`;
    return x.type;
  };
  return [...changes].map((c) => `${c.table.name} ${c.op} ${(c.old ?? []).map(v).join(',')} ${(c.new ?? []).map(v).join(',')}`).sort();
}

describe('appended rows read from the pages', () => {
  it('equal the full comparison’s changes, value for value', () => {
    const fromPages = { wal: 0, rollback: 0 };
    const runs = { wal: 0, rollback: 0 };
    fc.assert(
      fc.property(runArb, (run) => {
        const path = join(tempDir(), 'live.db');
        const db = new DatabaseSync(path);
        db.exec(`PRAGMA page_size = ${run.pageSize}; PRAGMA journal_mode = ${run.wal ? 'wal' : 'delete'}; PRAGMA wal_autocheckpoint = 0`);
        db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, ${run.columns.map((type, i) => `c${i} ${type}`).join(', ')})`);
        const columns = run.columns.map((_, i) => `c${i}`);
        const fill = (from: number, count: number): void => {
          const cols = columnsOf(db);
          const rows: string[] = [];
          for (let i = 0; i < count; i++) {
            const vals = cols.map((_, j) => cell(run.palette[(i * 7 + j * 3) % run.palette.length]!, i));
            // Values written as literals keep their exact type (a REAL -0.0, a BLOB).
            rows.push(`(${from + i}, ${vals.map(sqlLiteral).join(', ')})`);
          }
          db.exec('BEGIN');
          for (let at = 0; at < rows.length; at += 200) db.exec(`INSERT INTO t(id, ${cols.join(', ')}) VALUES ${rows.slice(at, at + 200).join(', ')}`);
          db.exec('COMMIT');
        };
        fill(1, run.baseRows);
        if (run.added) db.exec(`ALTER TABLE t ADD COLUMN extra ${run.added.type} DEFAULT ${sqlLiteral(run.added.dflt)}`);
        const replica = Replica.init(path);
        if (run.laterCommit) {
          fill(run.baseRows + 1, 3);
          commit(replica); // records a page map: the next commit reads key ranges
        }
        const deleteTop = run.deleteTop;
        db.exec(`DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY id DESC LIMIT ${deleteTop})`);
        const top = Number((db.prepare('SELECT coalesce(max(id), 0) AS m FROM t').get() as { m: number }).m);
        fill(top + deleteTop + 1 + run.explicitGap, BULK);
        if (columns.length > 1) db.exec(`UPDATE t SET c1 = NULL WHERE id % 97 = 1 AND id <= ${top}`);
        // In WAL mode the application stays open: its frames are not checkpointed into the file.
        const full = replica.withLock(() => withWorkingDiff(replica.paths.db, replica.paths.base, (d) => canonical(d.changes())));
        const notes: string[] = [];
        const entry = commit(replica, { explain: (line) => notes.push(line) });
        expect(entry).not.toBeNull();
        expect(canonical(iterateChanges(replica.entry(entry!.seq).bytes))).toEqual(full);
        expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
        expect(verify(replica).ok).toBe(true);
        db.close();
        const mode = run.wal ? 'wal' : 'rollback';
        runs[mode]++;
        if (notes.includes(`new rows read from the pages: t ${BULK}`)) fromPages[mode]++;
      }),
      { numRuns: 16 },
    );
    // The pages were read, in both modes, not always skipped (a wrong read is caught there, or falls back).
    expect(fromPages.wal).toBeGreaterThan(runs.wal / 2);
    expect(fromPages.rollback).toBeGreaterThan(runs.rollback / 2);
  });

  it('writes the bytes a session writes, in the same pieces', () => {
    const path = join(tempDir(), 'live.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, a REAL, b TEXT, c)');
    const replica = Replica.init(path);
    // Rowids spread over 64 bits: a session's hash table lists them far from their order.
    db.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000)
      INSERT INTO t SELECT (i * 2654435761 % 4294967311) * 1073741789 - 4611686018427387904, i * 0.5, printf('%.*c', i % 50, 'x'), CASE i % 3 WHEN 0 THEN x'00ff' WHEN 1 THEN i END FROM s`);
    db.close();
    const notes: string[] = [];
    const entry = commit(replica, { explain: (line) => notes.push(line) })!;
    expect(notes).toContain('new rows read from the pages: t 20000');
    const session = new DatabaseSync(':memory:', { readBigInts: true });
    session.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, a REAL, b TEXT, c); ATTACH '${path}' AS live`);
    const ids = (session.prepare('SELECT id FROM live.t ORDER BY id').all() as Array<{ id: number | bigint }>).map((r) => BigInt(r.id));
    const pieces: Uint8Array[] = [];
    const insert = session.prepare('INSERT INTO main.t SELECT * FROM live.t WHERE id BETWEEN ? AND ?');
    for (let lo = 0, rows = FIRST_PIECE_ROWS; lo < ids.length; lo += rows, rows = nextPieceRows(rows, pieces.at(-1)!.byteLength)) {
      const recording = session.createSession({ table: 't' });
      insert.run(ids[lo]!, ids[Math.min(lo + rows, ids.length) - 1]!);
      pieces.push(recording.changeset());
      recording.close();
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(Buffer.concat(pieces).equals(replica.entry(entry.seq).bytes)).toBe(true);
    session.close();
  });
});

describe('appended rows read from the pages only from UNJOURNALED_FROM_ROWS rows on', () => {
  it('copies one row fewer, as a small commit (base.db keeps its journal), and reads that many', () => {
    const path = join(tempDir(), 'live.db');
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'kept')");
    const replica = Replica.init(path);
    const append = (rows: number): void => db.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows}) INSERT INTO t(v) SELECT 'new ' || i FROM s`);
    for (const rows of [UNJOURNALED_FROM_ROWS - 1, UNJOURNALED_FROM_ROWS]) {
      append(rows);
      const notes: string[] = [];
      const entry = commit(replica, { explain: (line) => notes.push(line) })!;
      expect(notes.some((n) => n.startsWith('new rows read from the pages')), `${rows} rows`).toBe(rows >= UNJOURNALED_FROM_ROWS);
      expect([...iterateChanges(replica.entry(entry.seq).bytes)]).toHaveLength(rows);
    }
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
    expect(verify(replica).ok).toBe(true);
    db.close();
  });
});

describe('appended rows the walk turns down', () => {
  it('are copied instead: the entry and base.db as the full comparison says', () => {
    const path = join(tempDir(), 'live.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    db.exec("INSERT INTO t VALUES (1, 'kept')");
    const replica = Replica.init(path);
    // Records that hold their rowid alias (the walk gives up on them): written while the schema
    // says the column is no alias, then the schema put back.
    db.enableDefensive(false);
    const setSchema = (sql: string): void => {
      db.exec('PRAGMA writable_schema = ON');
      db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 't'").run(sql);
      db.exec('PRAGMA writable_schema = OFF');
      const { schema_version: version } = db.prepare('PRAGMA schema_version').get() as { schema_version: number };
      db.exec(`PRAGMA writable_schema = ON; PRAGMA schema_version = ${version + 1}; PRAGMA writable_schema = OFF`);
    };
    setSchema('CREATE TABLE t(id INTEGER, v TEXT)');
    db.exec(`WITH RECURSIVE s(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM s WHERE i < ${BULK + 1}) INSERT INTO t(rowid, id, v) SELECT i, i, 'new ' || i FROM s`);
    setSchema('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    db.close();
    const full = replica.withLock(() => withWorkingDiff(replica.paths.db, replica.paths.base, (d) => canonical(d.changes())));
    expect(full).toHaveLength(BULK);
    const notes: string[] = [];
    const entry = commit(replica, { explain: (line) => notes.push(line) })!;
    expect(notes).toContain('new rows of t copied, not read from the pages: a record holds its rowid alias');
    expect(canonical(iterateChanges(replica.entry(entry.seq).bytes))).toEqual(full);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
    expect(verify(replica).ok).toBe(true);
  });
});

describe('appended rows of a database changed while they are read', () => {
  // The pages are read through the file at the database's name, not through the read
  // transaction: a commit the application makes meanwhile in WAL mode is in the WAL read, and a
  // file saved over the database's name is another file (snapshot-pages.ts snapshotStillRead).
  // The change lands inside the capture's read through the hook that runs there (`scope`), so
  // the moment is certain; the row changed is one of the appended ones, at the same length.
  const cases = {
    wal: { why: 'the database was written while its pages were read', change: (app: DatabaseSync) => app.exec("UPDATE t SET v = 'NEW 1' WHERE id = 2") },
    delete: {
      why: 'the database file was replaced',
      change: (app: DatabaseSync, path: string) => {
        app.exec(`VACUUM INTO '${path}.saved'`);
        const saved = new DatabaseSync(`${path}.saved`);
        saved.exec("UPDATE t SET v = 'NEW 1' WHERE id = 2");
        saved.close();
        renameSync(`${path}.saved`, path);
      },
    },
  };
  for (const [mode, { why, change }] of Object.entries(cases)) {
    it(`are copied instead (journal_mode ${mode}): the entry holds the rows the read saw, the next commit the change`, () => {
      const path = join(tempDir(), 'live.db');
      const app = new DatabaseSync(path);
      app.exec(`PRAGMA journal_mode = ${mode}; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'kept')`);
      const replica = Replica.init(path);
      app.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${BULK}) INSERT INTO t(v) SELECT 'new ' || i FROM s`);
      const full = replica.withLock(() => withWorkingDiff(replica.paths.db, replica.paths.base, (d) => canonical(d.changes())));
      const read = dumpTables(path);
      const paths = replica.paths;
      const captured = replica.withLock(() => captureEntry(paths, 1, ({ digestChange, ...entry }) => {
        writeJsonAtomic(entryPaths(paths, 1).meta, { seq: 1, parent: null, replicaId: replica.replicaId, time: new Date().toISOString(), message: '', kind: 'changeset', ...entry, digestChange: lanesRecord(digestChange!) });
        return entry;
      }, () => {
        change(app, path);
        return compareEverything('the test changes the database inside the read');
      }, takeStampPastTick(paths)));
      expect(canonical(iterateChanges(replica.entry(1).bytes))).toEqual(full);
      expect(dumpTables(paths.base)).toEqual(read);
      expect(captured.notes, '-v').toEqual([`new rows of t copied, not read from the pages: ${why}`]);
      // The change is the next commit's: one update of the row, from what the first entry holds.
      const next = commit(replica)!;
      expect([...iterateChanges(replica.entry(next.seq).bytes)].map((c) => [c.op, c.old?.[1], c.new?.[1]])).toEqual([
        ['UPDATE', { type: 'text', value: new TextEncoder().encode('new 1') }, { type: 'text', value: new TextEncoder().encode('NEW 1') }],
      ]);
      expect(dumpTables(paths.base)).toEqual(dumpTables(path));
      expect(verify(replica).ok).toBe(true);
      app.close();
    });
  }
});

function columnsOf(db: DatabaseSync): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info('t') WHERE pk = 0`).all() as Array<{ name: string }>).map((r) => r.name);
}
