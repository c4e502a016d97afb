// The content digest kept incrementally equals a scan from scratch on random table shapes —
// any number of columns, any of them (in any order) the primary key or none (tracked by rowid),
// WITHOUT ROWID or not, any declared type — and random edits of every value type, both ways a
// pull counts: from a changeset's bytes, and for a patchset from the rows it touches.
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addChangesetDelta, addPatchsetInsertsDelta, copyDigests, digestClaims } from '../../src/changeset/digest.ts';
import { changesetToPatchset } from '../../src/changeset/index.ts';
import { scanDigests } from '../../src/repo/digest-scan.ts';
import { ChangeRecorder } from '../../src/repo/apply/recorder.ts';
import { addTouchedRows } from '../../src/sync/touched-digest.ts';

const shape = fc.record({
  types: fc.array(fc.constantFrom('', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC'), { minLength: 1, maxLength: 5 }),
  pkOrder: fc.array(fc.nat(), { maxLength: 3 }),
  withoutRowid: fc.boolean(),
});

// A value as SQL with its parameter: TEXT that is not UTF-8 can only be written by a CAST.
const value = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ sql: '?', param: v as unknown })),
  fc.constantFrom(0, -0, 1, 1.5, -1e300, Number.MIN_VALUE, 2 ** 53).map((v) => ({ sql: '?', param: v as unknown })),
  fc.oneof(fc.string({ maxLength: 5 }), fc.string({ minLength: 130, maxLength: 140 })).map((v) => ({ sql: '?', param: v as unknown })),
  fc.uint8Array({ maxLength: 200 }).map((v) => ({ sql: '?', param: v as unknown })),
  fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => ({ sql: `CAST(X'ff${Buffer.from(b).toString('hex')}' AS TEXT)`, param: undefined })),
  fc.constant({ sql: 'NULL', param: undefined }),
);
const edit = fc.record({ op: fc.constantFrom('insert', 'insert', 'update', 'delete'), row: fc.nat(20), col: fc.nat(), values: fc.array(value, { minLength: 5, maxLength: 5 }) });

type Shape = { types: string[]; pkOrder: number[]; withoutRowid: boolean };
type Edit = { op: string; row: number; col: number; values: Array<{ sql: string; param: unknown }> };

function create(db: DatabaseSync, s: Shape): { cols: string[]; pk: string[]; byRowid: boolean; untypedKeys: Set<number> } {
  const cols = s.types.map((_, i) => `c${i}`);
  const pk = [...new Set(s.pkOrder.map((i) => cols[i % cols.length]!))];
  const byRowid = pk.length === 0 || !s.withoutRowid;
  // A key column of REAL or NUMERIC affinity is left untyped: given an integer, the session
  // records its INSERT and a later DELETE under two keys (1 and 1.0), so the changeset of that
  // pair deletes a row that never was, and SQLite's own apply refuses it — not the digest's doing.
  const defs = cols.map((c, i) => (pk.includes(c) && ['REAL', 'NUMERIC'].includes(s.types[i]!) ? c : `${c} ${s.types[i]}`.trim()));
  const key = pk.length > 0 ? `, PRIMARY KEY (${pk.join(', ')})` : '';
  db.exec(`CREATE TABLE t(${defs.join(', ')}${key})${byRowid ? '' : ' WITHOUT ROWID'}`);
  const untypedKeys = new Set(cols.flatMap((c, i) => (pk.includes(c) && !defs[i]!.includes(' ') ? [i] : [])));
  return { cols, pk, byRowid, untypedKeys };
}

function run(db: DatabaseSync, table: ReturnType<typeof create>, edits: Edit[]): void {
  const { cols, pk, byRowid, untypedKeys } = table;
  const params = (vs: Edit['values']) => vs.filter((v) => v.param !== undefined).map((v) => v.param as never);
  // A key that goes from INTEGER to an equal REAL (1 to 1.0) in an untyped key column within one
  // session is recorded as a DELETE and an INSERT of two keys that SQLite's own apply sees as one,
  // and refuses: SQLite's limit, not the digest's. Such a key is written as the INTEGER it equals.
  const keyed = (vs: Edit['values']) =>
    vs.map((v, j) => (untypedKeys.has(j) && typeof v.param === 'number' && Number.isInteger(v.param) ? { ...v, param: BigInt(v.param) } : v));
  for (const e of edits) {
    const vs = keyed(e.values.slice(0, cols.length));
    // The edited row: the e.row-th in key order, named by rowid or by its key.
    const which = byRowid ? 'rowid' : pk.join(', ');
    const pick = db.prepare(`SELECT ${which} FROM t ORDER BY ${which} LIMIT 1 OFFSET ?`);
    pick.setReadBigInts(true);
    const target = pick.get(e.row) as Record<string, unknown> | undefined;
    const where = byRowid ? 'rowid IS ?' : pk.map((c) => `${c} IS ?`).join(' AND ');
    const whereParams = (target === undefined ? [] : byRowid ? [target.rowid] : pk.map((c) => target[c])) as never[];
    try {
      // OR REPLACE only where a key can clash: on a table tracked by rowid it overrides the
      // recorder's own conflict clauses and loses a reused rowid's DELETE (a capture bug, not the digest's).
      if (e.op === 'insert') db.prepare(`INSERT ${pk.length > 0 ? 'OR REPLACE ' : ''}INTO t VALUES (${vs.map((v) => v.sql).join(', ')})`).run(...params(vs));
      else if (target !== undefined && e.op === 'update') {
        const v = vs[e.col % cols.length]!; // already keyed: vs covers every column from 0
        db.prepare(`UPDATE t SET ${cols[e.col % cols.length]} = ${v.sql} WHERE ${where}`).run(...params([v]), ...whereParams);
      } else if (target !== undefined) db.prepare(`DELETE FROM t WHERE ${where}`).run(...whereParams);
    } catch {
      // a constraint the edit broke (a NULL in a WITHOUT ROWID key, a duplicate key): nothing changed
    }
  }
}

const copyOf = (db: DatabaseSync) => {
  const copy = new DatabaseSync(':memory:');
  copy.deserialize(db.serialize());
  return copy;
};

describe('the content digest on random tables', () => {
  it('kept from changesets and from patchsets (INSERTs from the bytes, the rest from the rows) equals a scan from scratch', () => {
    fc.assert(
      fc.property(shape, fc.array(edit, { maxLength: 20 }), fc.array(edit, { maxLength: 20 }), (s, setup, edits) => {
        const db = new DatabaseSync(':memory:');
        const table = create(db, s);
        run(db, table, setup);
        const viaChangeset = copyOf(db);
        const viaPatchset = copyOf(db);
        const before = scanDigests(viaChangeset);
        const session = new ChangeRecorder(db);
        run(db, table, edits);
        const changeset = session.changeset();
        session.close();

        expect(viaChangeset.applyChangeset(changeset)).toBe(true);
        const kept = copyDigests(before);
        addChangesetDelta(changeset, kept);
        expect(digestClaims(kept)).toEqual(digestClaims(scanDigests(viaChangeset)));

        const patchset = changesetToPatchset(changeset);
        const fromRows = copyDigests(before);
        addTouchedRows(viaPatchset, patchset, fromRows, -1);
        expect(viaPatchset.applyChangeset(patchset)).toBe(true);
        addTouchedRows(viaPatchset, patchset, fromRows, 1);
        addPatchsetInsertsDelta(patchset, fromRows); // its INSERTs from the bytes, the rest from the rows
        expect(digestClaims(fromRows)).toEqual(digestClaims(scanDigests(viaPatchset)));
      }),
      { numRuns: 300 },
    );
  });
});
