// The digest read from a file's pages (digest-pages.ts) equals the SQL scan's (digest-scan.ts)
// bit for bit, on random tables: an INTEGER PRIMARY KEY anywhere, a table tracked by its rowid,
// columns of every affinity holding every type (integral reals in REAL columns, -0.0, NULLs,
// text that is not UTF-8, values that overflow their page), rowids of either sign, rows deleted
// and their pages reused, page sizes 512 to 65536, rollback or WAL, STRICT or not; and a third table the walk
// must leave to SQL (a column added by ALTER TABLE, WITHOUT ROWID, a composite key, ...).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TableDigests } from '../../src/changeset/digest.ts';
import { scanDigests } from '../../src/repo/digest-scan.ts';
import { digestsFromPages } from '../../src/repo/digest-pages.ts';

const dir = mkdtempSync(join(tmpdir(), 'digest-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Value = { sql: string; param?: unknown };
const big = fc.record({ byte: fc.integer({ min: 32, max: 126 }), length: fc.oneof({ arbitrary: fc.integer({ min: 300, max: 5000 }), weight: 4 }, fc.integer({ min: 65_000, max: 70_000 })), text: fc.boolean() }).map(({ byte, length, text }): Value => {
  const bytes = Buffer.alloc(length, byte);
  return { sql: '?', param: text ? bytes.toString('latin1') : bytes };
});
const value: fc.Arbitrary<Value> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ sql: '?', param: v })),
  fc.integer({ min: -300, max: 300 }).map((v) => ({ sql: '?', param: BigInt(v) })),
  fc.constantFrom(0, -0, 1, 3, 1.5, -1e300, Number.MIN_VALUE, 2 ** 53, 2 ** 63).map((v) => ({ sql: '?', param: v })),
  fc.string({ maxLength: 8 }).map((v) => ({ sql: '?', param: v })),
  fc.uint8Array({ maxLength: 40 }).map((v) => ({ sql: '?', param: v })),
  fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => ({ sql: `CAST(X'ff${Buffer.from(b).toString('hex')}' AS TEXT)` })),
  fc.constant({ sql: 'NULL' }),
  big,
);
const rowid = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -50n, max: 500n }));
const row = fc.record({ id: fc.option(rowid, { nil: null }), values: fc.array(value, { minLength: 6, maxLength: 6 }) });
const refused = fc.constantFrom('altered', 'without rowid', 'composite', 'desc', 'generated', 'not integer');

const database = fc.record({
  pageSize: fc.constantFrom(512, 1024, 4096, 65536),
  wal: fc.boolean(),
  strict: fc.boolean(),
  types: fc.array(fc.constantFrom('', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC', 'DOUBLE PRECISION', 'FLOAT', 'ANY'), { minLength: 1, maxLength: 5 }),
  keyAt: fc.nat(5),
  refused,
  first: fc.array(row, { maxLength: 40 }),
  deleted: fc.array(fc.nat(), { maxLength: 20 }),
  then: fc.array(row, { maxLength: 15 }),
});

type Database = typeof database extends fc.Arbitrary<infer T> ? T : never;

/** The database, and whether its table b has every row as long as the table (only a column added to an empty table). */
function build(path: string, d: Database): { db: DatabaseSync; bWhole: boolean } {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA page_size = ${d.pageSize}; PRAGMA journal_mode = ${d.wal ? 'WAL' : 'DELETE'}; PRAGMA wal_autocheckpoint = 0`);
  const strictType: Record<string, string> = { '': 'ANY', NUMERIC: 'INTEGER', 'DOUBLE PRECISION': 'REAL', FLOAT: 'REAL' };
  const cols = d.types.map((t, i) => `c${i} ${d.strict ? (strictType[t] ?? t) : t}`.trim());
  const strict = d.strict ? ' STRICT' : '';
  const keyAt = d.keyAt % (cols.length + 1);
  const keyed = [...cols.slice(0, keyAt), 'id INTEGER PRIMARY KEY', ...cols.slice(keyAt)];
  db.exec(`CREATE TABLE a(${keyed.join(', ')})${strict}`);
  db.exec(`CREATE TABLE r(${cols.join(', ')})${strict}`);
  const third: Record<string, string> = {
    altered: `CREATE TABLE b(${keyed.join(', ')})`,
    'without rowid': `CREATE TABLE b(id INTEGER PRIMARY KEY, ${cols.join(', ')}) WITHOUT ROWID`,
    composite: `CREATE TABLE b(id INTEGER, ${cols.join(', ')}, PRIMARY KEY (id, c0))`,
    desc: `CREATE TABLE b(id INTEGER PRIMARY KEY DESC, ${cols.join(', ')})`,
    generated: `CREATE TABLE b(id INTEGER PRIMARY KEY, ${cols.join(', ')}, g INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL)`,
    'not integer': `CREATE TABLE b(id INT PRIMARY KEY, ${cols.join(', ')})`,
  };
  db.exec(third[d.refused]!);
  const insert = (table: string, key: string, rows: Database['first']): void => {
    for (const r of rows) {
      const vs = r.values.slice(0, cols.length);
      const params = vs.filter((v) => v.param !== undefined).map((v) => v.param as never);
      try {
        db.prepare(`INSERT INTO ${table}(${key}, ${cols.map((_, i) => `c${i}`).join(', ')}) VALUES (${r.id === null ? 'NULL' : '?'}, ${vs.map((v) => v.sql).join(', ')})`).run(...(r.id === null ? [] : [r.id as never]), ...params);
      } catch (err) {
        if (!/UNIQUE|NOT NULL|datatype|cannot store|integer overflow|too big|full/i.test(String(err))) throw err; // a rowid taken, a key of the wrong type
      }
    }
  };
  for (const [table, key] of [['a', 'id'], ['r', 'rowid'], ['b', 'id']] as const) insert(table, key, d.first);
  const bWhole = d.refused === 'altered' && db.prepare('SELECT 1 FROM b').get() === undefined;
  if (d.refused === 'altered') db.exec(`ALTER TABLE b ADD COLUMN added REAL DEFAULT 2`);
  for (const table of ['a', 'r', 'b']) {
    if (table === 'b') continue;
    const select = db.prepare(`SELECT rowid AS id FROM ${table}`);
    select.setReadBigInts(true);
    const ids = (select.all() as Array<{ id: unknown }>).map((x) => x.id);
    for (const n of d.deleted) if (ids.length > 0) db.prepare(`DELETE FROM ${table} WHERE rowid = ?`).run(ids[n % ids.length] as never);
  }
  for (const [table, key] of [['a', 'id'], ['r', 'rowid'], ['b', 'id']] as const) insert(table, key, d.then);
  return { db, bWhole };
}

function bits(digests: TableDigests): Array<[string, string]> {
  return [...digests].map(([name, lanes]) => [name, Buffer.from(lanes.buffer, lanes.byteOffset, lanes.byteLength).toString('hex')]);
}

describe('the digest read from pages', () => {
  it('equals the SQL scan bit for bit, and reads the tables keyed by rowid from their pages', () => {
    let n = 0;
    fc.assert(
      fc.property(database, (d) => {
        const path = join(dir, `db${n++}.sqlite`);
        const { db, bWhole } = build(path, d);
        try {
          const fromPages = digestsFromPages(db, path);
          expect(bits(fromPages.digests)).toEqual(bits(scanDigests(db)));
          expect(fromPages.walked).toEqual(bWhole ? ['a', 'r', 'b'] : ['a', 'r']);
          const only = digestsFromPages(db, path, new Set(['r']));
          expect(bits(only.digests)).toEqual(bits(scanDigests(db, new Set(['r']))));
        } finally {
          db.close();
          for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** A database of 512-byte pages, its tables a few levels deep, with values on overflow chains. */
function sound(path: string): Buffer {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA page_size = 512; BEGIN; CREATE TABLE a(v TEXT, id INTEGER PRIMARY KEY, w REAL); CREATE TABLE r(x, y)`);
  for (let i = 1; i <= 1500; i++) {
    const v = i % 97 === 0 ? 'x'.repeat(1500 + i) : `value ${i}`;
    db.prepare('INSERT INTO a VALUES (?, ?, ?)').run(v, i * 7 - 1000, i % 3 === 0 ? i : i / 4);
    db.prepare('INSERT INTO r(rowid, x, y) VALUES (?, ?, ?)').run(i * 3, i % 101 === 0 ? Buffer.alloc(900 + (i % 1000), 0x78) : BigInt(i), null);
  }
  db.exec('COMMIT');
  db.close();
  return readFileSync(path);
}

/** The page numbers (1-based) whose first byte is `type`, and overflow pages (a run of 'x' after their link). */
function pagesOf(file: Buffer, type: number | 'overflow'): number[] {
  const out: number[] = [];
  for (let p = 2; p <= file.length / 512; p++) {
    const at = (p - 1) * 512;
    if (type === 'overflow' ? file.subarray(at + 4, at + 36).every((b) => b === 0x78) : file[at] === type) out.push(p);
  }
  return out;
}

const damage = fc.record({
  kind: fc.constantFrom('bytes', 'duplicated child', 'child is the root', 'rightmost child', 'overflow loop', 'overflow elsewhere', 'cell count'),
  a: fc.nat(),
  b: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
});

/** `file` with one part made wrong, as a hostile or broken hub could send it; `refused`: the walk must leave the table it hits to SQL (a page reached twice, a chain that loops). */
function damaged(file: Buffer, d: typeof damage extends fc.Arbitrary<infer T> ? T : never): { bytes: Buffer; refused: boolean } {
  const out = Buffer.from(file);
  const pick = (list: number[], n: number): number => list[n % list.length]!;
  const interior = pagesOf(file, 0x05);
  const at = (p: number): number => (p - 1) * 512;
  const childAt = (p: number, i: number): number => at(p) + out.readUInt16BE(at(p) + 12 + 2 * (i % out.readUInt16BE(at(p) + 3)));
  let refused = false;
  switch (d.kind) {
    case 'bytes':
      out.set(d.bytes, 512 + (d.a % (file.length - 512 - 4)));
      break;
    case 'duplicated child': {
      const p = pick(interior, d.a);
      out.writeUInt32BE(out.readUInt32BE(childAt(p, d.b)), childAt(p, d.b + 1));
      refused = out.readUInt16BE(at(p) + 3) > 1;
      break;
    }
    case 'child is the root':
      out.writeUInt32BE(pick(interior, d.b), childAt(pick(interior, d.a), d.b));
      break;
    case 'rightmost child':
      out.writeUInt32BE(pick(interior, d.b) + (d.b % 3) - 1, at(pick(interior, d.a)) + 8);
      break;
    case 'overflow loop': {
      const p = pick(pagesOf(file, 'overflow'), d.a);
      out.writeUInt32BE(p, at(p));
      refused = true;
      break;
    }
    case 'overflow elsewhere': {
      const p = pick(pagesOf(file, 'overflow'), d.a);
      out.writeUInt32BE(1 + (d.b % (file.length / 512)), at(p));
      break;
    }
    case 'cell count': {
      const p = pick([...interior, ...pagesOf(file, 0x0d)], d.a);
      out.writeUInt16BE(d.b % 200, at(p) + 3);
      break;
    }
  }
  return { bytes: out, refused };
}

/** The digests `read` gives, or that it threw (SQLite found the file damaged). */
function outcome(read: () => TableDigests): Array<[string, string]> | 'damaged' {
  try {
    return bits(read());
  } catch {
    return 'damaged';
  }
}

describe('the digest read from the pages of a damaged file', () => {
  it('is the SQL scan\'s, or the same refusal: never rows SQLite would not read, never a crash or a hang', () => {
    const file = sound(join(dir, 'sound.sqlite'));
    expect(pagesOf(file, 0x05).length).toBeGreaterThan(2);
    expect(pagesOf(file, 'overflow').length).toBeGreaterThan(2);
    let n = 0;
    let walked = 0;
    fc.assert(
      fc.property(damage, (d) => {
        const path = join(dir, `damaged${n++}.sqlite`);
        const { bytes, refused } = damaged(file, d);
        writeFileSync(path, bytes);
        const db = new DatabaseSync(path);
        try {
          let fromPages: ReturnType<typeof digestsFromPages> | undefined;
          const got = outcome(() => (fromPages = digestsFromPages(db, path)).digests);
          expect(got).toEqual(outcome(() => scanDigests(db)));
          walked += fromPages?.walked.length ?? 0;
          if (refused) expect(fromPages?.walked.length ?? 0).toBeLessThan(2);
        } finally {
          db.close();
          rmSync(path, { force: true });
        }
      }),
      { numRuns: 80 },
    );
    expect(walked).toBeGreaterThan(0); // most damage leaves a table whole
  });
});
