// The content digest kept incrementally from changesets equals one computed from scratch,
// for random schemas and edits recorded by SQLite's own session extension (and, for a table
// without a PRIMARY KEY, by rowid as sqlferry records it).
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addChangesetDelta, copyDigests, digestClaims } from '../../src/changeset/digest.ts';
import { scanDigests } from '../../src/repo/digest-scan.ts';
import { ChangeRecorder } from '../../src/repo/apply/recorder.ts';

const value = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0, -0, 1.5, -1e300, Number.MIN_VALUE),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 6 }),
  fc.uint8Array({ maxLength: 6 }),
  fc.constant(null),
  fc.oneof(fc.string({ minLength: 120, maxLength: 200 }), fc.uint8Array({ minLength: 120, maxLength: 20_000 })), // lengths of 2 and 3 varint bytes
);
// TEXT that is not valid UTF-8, written as SQLite stores it (CAST of a blob).
const badText = fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => ({ badText: Buffer.from([0xff, ...b]) }));
const cell = fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: badText });

const edit = fc.record({
  op: fc.constantFrom('insert', 'update', 'delete'),
  key: fc.integer({ min: 0, max: 12 }),
  key2: fc.constantFrom('a', 'b', null),
  col: fc.integer({ min: 0, max: 2 }),
  v: cell,
});

function bind(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'badText' in v) return `CAST(X'${(v as { badText: Buffer }).badText.toString('hex')}' AS TEXT)`;
  return '?';
}

describe('the content digest', () => {
  it('kept from session changesets equals a scan from scratch', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 25 }), fc.array(edit, { maxLength: 25 }), fc.constantFrom('', 'WITHOUT ROWID'), (setup, edits, rowid) => {
        const db = new DatabaseSync(':memory:');
        db.exec(`CREATE TABLE one(id INTEGER PRIMARY KEY, a, b REAL, c TEXT);
                 CREATE TABLE two(k1 INTEGER NOT NULL, k2 TEXT, x, y, z, PRIMARY KEY (k2, k1)) ${rowid};
                 CREATE TABLE nopk(p, q)`);
        const run = (list: typeof edits) => {
          for (const e of list) {
            const v = 'badText' in Object(e.v) ? undefined : e.v;
            const params = v === undefined ? [] : [v as never];
            const expr = bind(e.v);
            try {
              if (e.op === 'insert') {
                db.prepare(`INSERT OR REPLACE INTO one VALUES (?, ${expr}, 1.0, 'x')`).run(e.key, ...params);
                db.prepare(`INSERT OR REPLACE INTO two VALUES (?, ?, ${expr}, NULL, 2)`).run(e.key, e.key2, ...params);
                db.prepare(`INSERT INTO nopk VALUES (?, ${expr})`).run(e.key, ...params);
              } else if (e.op === 'update') {
                db.prepare(`UPDATE one SET ${['a', 'b', 'c'][e.col]} = ${expr} WHERE id = ?`).run(...params, e.key);
                db.prepare(`UPDATE two SET ${['x', 'y', 'z'][e.col]} = ${expr} WHERE k1 = ?`).run(...params, e.key);
                db.prepare(`UPDATE nopk SET q = ${expr} WHERE p = ?`).run(...params, e.key);
              } else {
                db.prepare('DELETE FROM one WHERE id = ?').run(e.key);
                db.prepare('DELETE FROM two WHERE k1 = ?').run(e.key);
                db.prepare('DELETE FROM nopk WHERE rowid = ? + 1').run(e.key);
              }
            } catch {
              // a constraint the edit broke: SQLite refused it, nothing changed
            }
          }
        };
        run(setup);
        // The changeset is applied to a copy: a session records 0.0 -> -0.0 as no change, so
        // the database it watched can differ from what its changeset describes.
        const copy = new DatabaseSync(':memory:');
        copy.deserialize(db.serialize());
        const before = scanDigests(copy);
        // What sqlferry records: a session, plus the table without a PRIMARY KEY by rowid.
        const session = new ChangeRecorder(db);
        run(edits);
        const changeset = session.changeset();
        session.close();
        expect(copy.applyChangeset(changeset)).toBe(true);
        const kept = copyDigests(before);
        addChangesetDelta(changeset, kept);
        expect(digestClaims(kept)).toEqual(digestClaims(scanDigests(copy)));
        const nopk = (d: DatabaseSync) => d.prepare("SELECT rowid, quote(p), quote(q) FROM nopk ORDER BY rowid").all();
        expect(nopk(copy)).toEqual(nopk(db));
      }),
      { numRuns: 150 },
    );
  });

  it('tells apart what a looser comparison would merge', () => {
    const digestOf = (sql: string) => {
      const db = new DatabaseSync(':memory:');
      db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v); ${sql}`);
      return digestClaims(scanDigests(db)).t;
    };
    const variants = ["INSERT INTO t VALUES (1, 1)", 'INSERT INTO t VALUES (1, 1.0)', "INSERT INTO t VALUES (1, '1')", "INSERT INTO t VALUES (1, X'31')",
      'INSERT INTO t VALUES (1, 0.0)', 'INSERT INTO t VALUES (1, -0.0)', "INSERT INTO t VALUES (1, CAST(X'ff' AS TEXT))", "INSERT INTO t VALUES (1, CAST(X'fe' AS TEXT))",
      'INSERT INTO t VALUES (2, 1)', 'INSERT INTO t VALUES (1, 1), (2, 2)', 'INSERT INTO t VALUES (1, 2), (2, 1)'];
    const digests = variants.map(digestOf);
    expect(new Set(digests).size).toBe(variants.length);
    // A NULL cell counts as absent; the row is still there through its key.
    expect(digestOf('INSERT INTO t VALUES (1, NULL)')).not.toBe(digestOf(''));
    expect(digestOf('')).toBeUndefined();
  });

  it('claims what every earlier sqlferry claimed for the same table (hubs keep the claims)', () => {
    const db = new DatabaseSync(':memory:');
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price REAL, photo BLOB); INSERT INTO t VALUES (1, 'one', 1.5, x'00ff'), (2, 'deux', -0.0, NULL), (9007199254740993, 'big', 1e300, x'')");
    expect(digestClaims(scanDigests(db))).toEqual({ t: '7e336eed26a9b0903ddd5d580e4058331896862908e9dd70c6d678fc3f0878ed' });
  });
});
