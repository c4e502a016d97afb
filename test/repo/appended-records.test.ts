// Rows appended to a table keyed by its rowid are read from the live pages (appended-records.ts,
// capture-appended.ts): the entry holds the same changes, value for value, as the full
// comparison (diff.ts), for random tables (REAL, INTEGER, TEXT, BLOB, NUMERIC and untyped
// columns; values past a page, -0.0, integral reals, large integers; columns added before;
// rows appended after deletes at the top), in WAL mode (frames not checkpointed) and
// rollback-journal mode, at a first commit and at a later one read within key ranges. The
// row order is a session's (sessionOrder, checked against SQLite's own), so the bytes are the
// ones a session writes.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { iterateChanges, type Change, type SqlValue } from '../../src/changeset/index.ts';
import { sqlLiteral } from '../../src/changeset/value.ts';
import { sessionOrder } from '../../src/repo/appended-records.ts';
import { commit } from '../../src/repo/commit.ts';
import { withWorkingDiff } from '../../src/repo/diff.ts';
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
 * Each change as comparable text: values typed, REAL by its bits, bytes in hex. The deletes and
 * updates (a session's, as before) by their key only: a session records a column added since
 * the row was written with its default's own type (an INTEGER 0 for `REAL DEFAULT 0`), the full
 * comparison with the column's affinity (REAL 0.0): equal under SQL's comparison, not here.
 */
function canonical(changes: Iterable<Change>): string[] {
  const v = (x: SqlValue): string => {
    if (x.type === 'integer') return `i${x.value}`;
    if (x.type === 'real') return `r${Buffer.from(new Float64Array([x.value]).buffer).toString('hex')}`;
    if (x.type === 'text' || x.type === 'blob') return `${x.type[0]}${Buffer.from(x.value).toString('hex')}`;
    return x.type;
  };
  return [...changes].map((c) => `${c.table.name} ${c.op} ${c.op === 'INSERT' ? c.new!.map(v).join(',') : v(c.old![0]!)}`).sort();
}

describe('appended rows read from the pages', () => {
  it('equal the full comparison’s changes, value for value', () => {
    let fromPages = 0;
    let runs = 0;
    fc.assert(
      fc.property(runArb, (run) => {
        const path = join(tempDir(), 'live.db');
        const db = new DatabaseSync(path);
        db.exec(`PRAGMA page_size = ${run.pageSize}; PRAGMA journal_mode = ${run.wal ? 'wal' : 'delete'}; PRAGMA wal_autocheckpoint = 0`);
        db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, ${run.columns.map((type, i) => `c${i} ${type}`).join(', ')})`);
        const columns = run.columns.map((_, i) => `c${i}`);
        const fill = (from: number, count: number): void => {
          const cols = columnsOf(db);
          db.exec('BEGIN');
          for (let i = 0; i < count; i++) {
            const vals = cols.map((_, j) => run.palette[(i * 7 + j * 3) % run.palette.length]!);
            // Values bound as literals keep their exact type (a REAL -0.0, a BLOB).
            db.exec(`INSERT INTO t(id, ${cols.join(', ')}) VALUES (${from + i}, ${vals.map(sqlLiteral).join(', ')})`);
          }
          db.exec('COMMIT');
        };
        fill(1, run.baseRows);
        if (run.added) db.exec(`ALTER TABLE t ADD COLUMN extra ${run.added.type} DEFAULT ${sqlLiteral(run.added.dflt)}`);
        const replica = Replica.init(path);
        if (run.laterCommit) {
          fill(run.baseRows + 1, 3);
          commit(replica); // records a page map: the next commit reads key ranges
        }
        db.exec(`DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY id DESC LIMIT ${run.deleteTop})`);
        const top = Number((db.prepare('SELECT coalesce(max(id), 0) AS m FROM t').get() as { m: number }).m);
        fill(top + run.deleteTop + 1 + run.explicitGap, BULK);
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
        runs++;
        if (notes.some((n) => n.startsWith('new rows read from the pages: t 4200'))) fromPages++;
      }),
      { numRuns: 16 },
    );
    expect(fromPages).toBeGreaterThan(runs / 2); // the pages were read, not always skipped
  });

  it('lists rows in the order a session does', () => {
    for (const n of [1, 127, 128, 129, 3000, 70_000]) {
      const db = new DatabaseSync(':memory:');
      db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
      const ids = [...new Set(Array.from({ length: n }, (_, i) => (i % 2 ? BigInt(i + 1) : BigInt.asIntN(64, BigInt(i) * 0x9e3779b97f4a7c15n))))].sort((a, b) => (a < b ? -1 : 1));
      const session = db.createSession({ table: 't' });
      const insert = db.prepare('INSERT INTO t VALUES (?, 1)');
      db.exec('BEGIN');
      for (const id of ids) insert.run(id);
      db.exec('COMMIT');
      const listed = [...iterateChanges(session.changeset())].map((c) => (c.new![0] as { value: bigint }).value);
      const u = ids.map((v) => BigInt.asUintN(64, v));
      const order = sessionOrder(u.map((v) => Number(v & 0xffffffffn)), u.map((v) => Number(BigInt.asIntN(32, v >> 32n))));
      expect([...order].map((i) => ids[i])).toEqual(listed);
      db.close();
    }
  });
});

function columnsOf(db: DatabaseSync): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info('t') WHERE pk = 0`).all() as Array<{ name: string }>).map((r) => r.name);
}
