import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DatabaseSync } from 'node:sqlite';
import { changesetToPatchset, patchsetPieces } from '../../src/changeset/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';
import { expectSameBytes } from './helpers/bytes.ts';

/** patchsetPieces of `bytes` handed over `chunk` bytes at a time, joined. */
function inPieces(bytes: Uint8Array, pieceBytes: number, chunk: number): Uint8Array {
  const chunks = function* () {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  };
  return Buffer.concat([...patchsetPieces(chunks(), pieceBytes)]);
}

/**
 * Pieces of changesets of three tables: whole changesets of one table each, and a table's header
 * alone (a table without records). Joined in any order they make a valid changeset that names a
 * table again, and tables without records before, between and after the others: the cases where
 * the conversion writes or leaves out a header.
 */
function segments(): Uint8Array[] {
  const db = new DatabaseSync(':memory:');
  db.exec("CREATE TABLE a(id INTEGER PRIMARY KEY, s TEXT, b BLOB); CREATE TABLE b(k TEXT, n INT, v, PRIMARY KEY(k, n)); CREATE TABLE c(id INTEGER PRIMARY KEY, v REAL)");
  db.exec("INSERT INTO a VALUES (1, 'one', x'01'), (2, 'two', NULL), (3, 'three', x'0303'); INSERT INTO b VALUES ('x', 1, 'v'), ('y', 2, 2.5); INSERT INTO c VALUES (1, 0.5), (2, -1)");
  const out: Uint8Array[] = [];
  for (const sql of [
    "UPDATE a SET s = s || '!' WHERE id < 3; DELETE FROM a WHERE id = 3; INSERT INTO a VALUES (9, 'nine', x'09')",
    "UPDATE b SET v = 'w' WHERE k = 'x'; DELETE FROM b WHERE k = 'y'; INSERT INTO b VALUES ('z', 3, NULL)",
    'UPDATE c SET v = v * 2; INSERT INTO c VALUES (5, 5.5)',
    "INSERT INTO a VALUES (10, 'ten', NULL); DELETE FROM a WHERE id = 1",
  ]) {
    db.exec('SAVEPOINT s');
    const session = db.createSession();
    db.exec(sql);
    const bytes = session.changeset();
    session.close();
    db.exec('ROLLBACK TO s; RELEASE s');
    out.push(bytes, bytes.subarray(0, bytes.indexOf(0, 2 + bytes[1]!) + 1));
  }
  db.close();
  return out;
}

describe('changesetToPatchset', () => {
  it("writes exactly the patchset the session itself writes", () => {
    fc.assert(
      fc.property(schemaArb, opsArb(10), opsArb(25), (tables, setup, ops) => {
        const s = record(tables, setup, [ops]);
        try {
          expectSameBytes(changesetToPatchset(s.changesets[0]!), s.patchsets[0]!);
          expectSameBytes(changesetToPatchset(s.patchsets[0]!), s.patchsets[0]!);
        } finally {
          s.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('patchsetPieces (a large entry sent to a patchset hub)', () => {
  const pool = segments();

  it('gives the whole conversion byte for byte, however the file is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 64 }), (picks, pieceBytes, chunk) => {
        const bytes = Buffer.concat(picks.map((i) => pool[i]!));
        expectSameBytes(inPieces(bytes, pieceBytes, chunk), changesetToPatchset(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('writes a text or blob length given in a longer varint than needed as the whole conversion does', () => {
    const int1 = [0x01, 0, 0, 0, 0, 0, 0, 0, 1];
    const bytes = Uint8Array.from([
      0x54, 2, 1, 0, 0x74, 0, // T, 2 columns, the first the key, "t"
      0x12, 0, ...int1, 0x03, 0x80, 0x02, 0x68, 0x69, // INSERT (1, 'hi'), the length as 0x80 0x02
      0x17, 0, ...int1, 0x04, 0x80, 0x80, 0x01, 0x61, 0x00, 0x03, 0x80, 0x01, 0x78, // UPDATE: b = 'x'
      0x09, 0, ...int1, 0x03, 0x80, 0x01, 0x78, // DELETE
    ]);
    const whole = changesetToPatchset(bytes);
    expect(whole.length).toBeLessThan(bytes.length - 10);
    for (let pieceBytes = 1; pieceBytes < 40; pieceBytes++) expectSameBytes(inPieces(bytes, pieceBytes, 7), whole);
  });

  it('gives the session-written patchset of random workloads in pieces', () => {
    fc.assert(
      fc.property(schemaArb, opsArb(10), opsArb(40), fc.integer({ min: 1, max: 300 }), (tables, setup, ops, pieceBytes) => {
        const s = record(tables, setup, [ops]);
        try {
          expectSameBytes(inPieces(s.changesets[0]!, pieceBytes, 97), s.patchsets[0]!);
          expectSameBytes(inPieces(s.patchsets[0]!, pieceBytes, 97), s.patchsets[0]!);
        } finally {
          s.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
