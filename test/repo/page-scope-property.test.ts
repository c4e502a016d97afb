// Comparing only the tables whose pages changed (page-scope.ts), and in a table keyed by its
// rowid only the key ranges of its changed leaves (key-ranges.ts), gives, byte for byte, the
// changeset of comparing every table: for random schemas and edits (same-size values changed
// in place, also only on an overflow page, deletes then inserts reusing the freed pages, overflow pages, VACUUM, incremental
// vacuum, indexes and tables created, a table emptied, WAL checkpoints, journal mode switched), in WAL and
// rollback-journal modes. The tables' rows the maps count from their leaves are count(*)'s. And
// an application writing during commits loses nothing.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { writeChangeset } from '../../src/changeset/index.ts';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { withUncommittedDiff, withWorkingDiff } from '../../src/repo/capture/diff.ts';
import { layoutOf, nextPageMap, rowsOf, type PageMap } from '../../src/repo/pages/page-map.ts';
import { readPageImages } from '../../src/repo/pages/page-read.ts';
import { pageMapAt } from '../../src/repo/pages/page-scope.ts';
import { dumpTables, sqlite3, tempDir } from './helpers.ts';

const KEYS = ['INTEGER PRIMARY KEY', 'INTEGER PRIMARY KEY DESC', 'TEXT PRIMARY KEY', 'WITHOUT ROWID', 'no key'] as const;

type Op =
  | { op: 'same-size' | 'same-size-blob'; t: number; row: number; n: number }
  | { op: 'delete'; t: number; row: number; count: number }
  | { op: 'insert'; t: number; key: number; n: number; blob: number }
  | { op: 'vacuum' | 'incremental' | 'checkpoint' | 'index' | 'unindex' | 'switch' | 'create' | 'clear'; t: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('same-size' as const, 'same-size-blob' as const), t: fc.nat(3), row: fc.nat(300), n: fc.nat(99_999_999) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), t: fc.nat(3), row: fc.nat(300), count: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insert' as const), t: fc.nat(3), key: fc.nat(1000), n: fc.nat(99_999_999), blob: fc.constantFrom(0, 10, 600, 3000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('vacuum' as const, 'incremental' as const, 'checkpoint' as const, 'index' as const, 'unindex' as const, 'switch' as const, 'create' as const, 'clear' as const), t: fc.nat(3) }) },
);

const runArb = fc.record({
  keys: fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 4 }),
  wal: fc.boolean(),
  autoVacuum: fc.constantFrom('NONE', 'FULL', 'INCREMENTAL'),
  rows: fc.constantFrom(0, 40, 300), // per table at first, keys spread out: many leaves and gaps
  seed: fc.array(opArb, { minLength: 5, maxLength: 30 }),
  rounds: fc.array(fc.array(opArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }),
});

function ddl(i: number, key: (typeof KEYS)[number]): string {
  if (key === 'WITHOUT ROWID') return `CREATE TABLE t${i}(k TEXT PRIMARY KEY, n TEXT, b BLOB) WITHOUT ROWID`;
  if (key === 'no key') return `CREATE TABLE t${i}(k, n TEXT, b BLOB)`;
  return `CREATE TABLE t${i}(k ${key}, n TEXT, b BLOB)`;
}

function apply(db: DatabaseSync, tables: number, o: Op): void {
  const t = `t${o.t % tables}`;
  const nth = (row: number, count = 1) => `k IN (SELECT k FROM ${t} ORDER BY k LIMIT ${count} OFFSET ${row})`;
  const sql = {
    'same-size': () => `UPDATE ${t} SET n = printf('%08d', ${(o as { n: number }).n}) WHERE ${nth((o as { row: number }).row)}`,
    // the last byte of b, on an overflow page when b is long: SQLite may rewrite only that page
    'same-size-blob': () => `UPDATE ${t} SET b = zeroblob(max(length(CAST(b AS BLOB)) - 1, 0)) || x'${((o as { n: number }).n % 256).toString(16).padStart(2, '0')}' WHERE ${nth((o as { row: number }).row)}`,
    delete: () => `DELETE FROM ${t} WHERE ${nth((o as { row: number }).row, (o as { count: number }).count)}`,
    insert: () => {
      const i = o as Extract<Op, { op: 'insert' }>;
      return `INSERT OR REPLACE INTO ${t} VALUES (printf('%05d', ${i.key}), printf('%08d', ${i.n}), zeroblob(${i.blob}) || x'${(i.n % 256).toString(16).padStart(2, '0')}')`;
    },
    vacuum: () => 'VACUUM',
    clear: () => `DELETE FROM ${t}`, // SQLite frees its pages as they are: a leaf leaves the b-tree unchanged
    incremental: () => 'PRAGMA incremental_vacuum(3)',
    checkpoint: () => 'PRAGMA wal_checkpoint(TRUNCATE)',
    index: () => `CREATE INDEX IF NOT EXISTS ${t}_n ON ${t}(n)`,
    unindex: () => `DROP INDEX IF EXISTS ${t}_n`,
    create: () => `CREATE TABLE IF NOT EXISTS new${o.t}(k INTEGER PRIMARY KEY, v); INSERT INTO new${o.t}(v) VALUES (${o.t})`,
    switch: () => `PRAGMA journal_mode = ${(db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode === 'wal' ? 'delete' : 'wal'}`,
  }[o.op]();
  db.exec(sql);
}

/** The structure a map keeps, per page: owner, leaf, parent, kind. */
function structure(map: PageMap): string[] {
  return Array.from({ length: map.pageCount }, (_, p) => {
    const o = map.owners.at(p)!;
    return `${p + 1}: ${o < 0 ? '-' : map.tables[o]} ${map.leafOf.at(p)} ${map.parents.at(p)} ${map.kinds.at(p)}`;
  });
}

function rowsIn(db: DatabaseSync, t: string, schema = 'main'): bigint {
  return BigInt((db.prepare(`SELECT count(*) AS n FROM ${schema}."${t}"`).get() as { n: number }).n);
}

/** The tables whose rows the map counted, each checked against count(*); WITHOUT ROWID tables never counted. */
let rowsCounted = 0;

/**
 * The map the last commit saved equals, page for page, one walked whole with dbstat now (nothing
 * written since), and its rows of a table, when it knows them, are count(*)'s; whether it was saved.
 */
function mapIsAsDbstatSees(replica: Replica, path: string): boolean {
  const saved = pageMapAt(replica.paths, replica.lastSeq());
  if (typeof saved === 'string') return false;
  const db = new DatabaseSync(path, { readOnly: true });
  db.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
  for (const t of saved.tables) {
    const rows = rowsOf(saved, t);
    if (rows === null) continue;
    expect(db.prepare(`SELECT 1 FROM pragma_table_list WHERE name = ? AND wr = 0`).get(t)).toBeDefined();
    expect(rows, t).toBe(rowsIn(db, t));
    rowsCounted++;
  }
  const images = readPageImages(path);
  if (typeof images === 'string') throw new Error(images);
  const whole = nextPageMap(db, null, { ...images, changed: null }, layoutOf(db), 'all'); // no links: dbstat walks it
  db.exec('COMMIT');
  db.close();
  expect(structure(saved)).toEqual(structure(whole));
  return true;
}

function changeset(diff: Parameters<Parameters<typeof withWorkingDiff>[2]>[0]): Buffer {
  return Buffer.from(writeChangeset('changeset', diff.changes()));
}

describe('comparing only the tables whose pages changed', () => {
  it('gives the full comparison’s changeset, byte for byte', () => {
    let narrowed = 0;
    let mapsChecked = 0;
    let walked = 0;
    let ranged = 0;
    let counted = 0;
    let rounds = 0;
    fc.assert(
      fc.property(runArb, (run) => {
        const path = join(tempDir(), 'live.db');
        const db = new DatabaseSync(path);
        db.exec(`PRAGMA page_size = 512; PRAGMA auto_vacuum = ${run.autoVacuum}; PRAGMA journal_mode = ${run.wal ? 'wal' : 'delete'}; PRAGMA wal_autocheckpoint = 20`);
        run.keys.forEach((k, i) => db.exec(ddl(i, k)));
        run.keys.forEach((_, i) => db.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${run.rows})
          INSERT INTO t${i} SELECT printf('%05d', i * 3), printf('%08d', i), zeroblob(CASE WHEN i % 7 = 0 THEN 600 ELSE 10 END) FROM s WHERE ${run.rows} > 0`));
        for (const o of run.seed) apply(db, run.keys.length, o);
        const replica = Replica.init(path);
        if (mapIsAsDbstatSees(replica, path)) mapsChecked++; // the genesis's, walked from its pages
        commit(replica);
        for (const ops of run.rounds) {
          for (const o of ops) apply(db, run.keys.length, o);
          replica.withLock(() => {
            const fast = withUncommittedDiff(replica.paths, (d) => ({ bytes: changeset(d), schema: d.schema.statements, tables: d.compared.tables, ranges: d.compared.ranges, why: d.compared.why }));
            const full = withWorkingDiff(replica.paths.db, replica.paths.base, (d) => ({ bytes: changeset(d), schema: d.schema.statements }));
            expect(fast.schema).toEqual(full.schema);
            expect(fast.bytes.equals(full.bytes), fast.why).toBe(true);
            rounds++;
            if (fast.tables !== 'all' && fast.tables.size < run.keys.length) narrowed++;
            if (fast.tables !== 'all' && fast.tables.size > 0 && !fast.why.includes('walked with dbstat')) walked++;
            if ([...(fast.ranges?.values() ?? [])].some((r) => r.ranges.length > 0 && r.ranges.every(([lo, hi]) => hi - lo < 1000n))) ranged++;
            // The rows the appended rows' proof takes from the maps (appended-rows.ts): base.db's and the live database's.
            db.exec(`ATTACH '${replica.paths.base}' AS base`);
            for (const [t, r] of fast.ranges ?? []) {
              if (r.rows === undefined) continue;
              expect(r.rows, t).toEqual({ base: rowsIn(db, t, 'base'), live: rowsIn(db, t) });
              counted++;
            }
            db.exec('DETACH base');
          });
          commit(replica);
          if (mapIsAsDbstatSees(replica, path)) mapsChecked++;
        }
        db.close();
        expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
      }),
      { numRuns: 25 },
    );
    expect(narrowed).toBeGreaterThan(rounds / 4); // the fast path was taken, not always skipped
    expect(mapsChecked).toBeGreaterThan(rounds / 2);
    expect(walked).toBeGreaterThan(rounds / 8); // changed tables walked from the last map, not with dbstat
    expect(ranged).toBeGreaterThan(rounds / 8); // and some table was read only within key ranges
    expect(counted).toBeGreaterThan(rounds / 8); // and its rows known from the maps
    expect(rowsCounted).toBeGreaterThan(mapsChecked / 2);
  });

  for (const mode of ['delete', 'wal']) {
    it(`loses nothing an application writes during commits (journal_mode=${mode})`, async () => {
      const path = join(tempDir(), `app-${mode}.db`);
      sqlite3(path, `PRAGMA journal_mode = ${mode}; CREATE TABLE a(id INTEGER PRIMARY KEY, n TEXT); CREATE TABLE b(id INTEGER PRIMARY KEY, n TEXT); INSERT INTO a VALUES (1, '00000000'); INSERT INTO b VALUES (1, '00000000');`);
      const replica = Replica.init(path);
      commit(replica);
      const script = ['.timeout 20000', 'PRAGMA synchronous = OFF;'];
      for (let i = 1; i <= 4000; i++) script.push(`UPDATE ${i % 3 === 0 ? 'b' : 'a'} SET n = printf('%08d', ${i}) WHERE id = 1;`, i % 50 === 0 ? `INSERT INTO b(n) VALUES ('${i}');` : '');
      const app = spawn('/usr/bin/sqlite3', [path], { stdio: ['pipe', 'ignore', 'inherit'] });
      const exited = new Promise<number>((resolve) => app.on('exit', (code) => resolve(code ?? -1)));
      app.stdin.end(script.join('\n') + '\n');
      let done = false;
      void exited.then(() => (done = true));
      const ways: string[] = [];
      while (!done) {
        commit(replica, { explain: (line) => ways.push(line) });
        await new Promise((r) => setTimeout(r, 3));
      }
      expect(ways.length).toBeGreaterThan(1);
      expect(await exited).toBe(0);
      commit(replica);
      expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
    });
  }
});
