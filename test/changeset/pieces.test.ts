import { describe, it, expect } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { PieceCutter } from '../../src/changeset/pieces.ts';
import { changesetToPatchset, validateChangeset } from '../../src/changeset/index.ts';
import { ChangesetFormatError } from '../../src/errors/index.ts';

/** A changeset over three tables (one changed twice, in two groups), with text and blobs of many sizes. */
const series = (n: number) => `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;

function sample(): Uint8Array {
  const db = new DatabaseSync(':memory:');
  db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY, s TEXT, b BLOB); CREATE TABLE b(k TEXT, n INT, PRIMARY KEY(k, n)); CREATE TABLE c(id INTEGER PRIMARY KEY, v REAL)');
  db.exec(`INSERT INTO a SELECT value, printf('%.*c', value % 300, 'x'), randomblob(value % 700) FROM ${series(400)}`);
  db.exec(`INSERT INTO c SELECT value, value * 0.5 FROM ${series(100)}`);
  const session = db.createSession();
  db.exec("UPDATE a SET s = s || 'y' WHERE id % 3 = 0; DELETE FROM a WHERE id % 7 = 0; INSERT INTO a VALUES (1000, 'new', x'00ff')");
  db.exec(`INSERT INTO b SELECT 'k' || value, value FROM ${series(300)}`);
  db.exec('DELETE FROM c WHERE id > 50; UPDATE c SET v = NULL WHERE id < 10');
  const bytes = session.changeset();
  db.close();
  return bytes;
}

/** Every piece the cutter makes of `bytes` given `chunk` bytes at a time. */
function cut(bytes: Uint8Array, pieceBytes: number, chunk: number): { pieces: Uint8Array[]; cutter: PieceCutter } {
  const cutter = new PieceCutter(pieceBytes);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunk) pieces.push(...cutter.push(bytes.subarray(at, at + chunk)));
  pieces.push(...cutter.end());
  return { pieces, cutter };
}

/**
 * cut() by a cutter that reuses its buffers, fed as a file is read in place: each chunk in one
 * buffer, overwritten once pushed; each piece copied as it comes, before the next push.
 */
function cutReusing(bytes: Uint8Array, pieceBytes: number, chunk: number): Uint8Array[] {
  const cutter = new PieceCutter(pieceBytes, undefined, true);
  const pieces: Uint8Array[] = [];
  const buffer = Buffer.alloc(chunk);
  for (let at = 0; at < bytes.length; at += chunk) {
    const part = bytes.subarray(at, at + chunk);
    buffer.set(part);
    pieces.push(...cutter.push(buffer.subarray(0, part.length)).map((p) => Buffer.from(p)));
    buffer.fill(0xee);
  }
  pieces.push(...cutter.end().map((p) => Buffer.from(p)));
  return pieces;
}

const headerLength = (piece: Uint8Array) => piece.indexOf(0, 2 + piece[1]!) + 1; // one-byte column count here

describe('cutting a changeset into pieces', () => {
  const bytes = sample();

  it('gives valid pieces whose records, copied headers aside, are the file in order', () => {
    for (const [pieceBytes, chunk] of [[64, 1], [500, 37], [4096, 4096], [1 << 20, 999]] as const) {
      const { pieces, cutter } = cut(bytes, pieceBytes, chunk);
      if (pieceBytes < 1000) expect(pieces.length).toBeGreaterThan(10);
      let rebuilt = Buffer.alloc(0);
      for (const piece of pieces) {
        validateChangeset(piece);
        const starts = rebuilt.length === 0 || Buffer.from(piece.subarray(0, headerLength(piece))).equals(bytes.subarray(rebuilt.length, rebuilt.length + headerLength(piece))) ? 0 : headerLength(piece);
        rebuilt = Buffer.concat([rebuilt, piece.subarray(starts)]);
      }
      expect(Buffer.compare(rebuilt, bytes)).toBe(0);
      expect(cutter.tables()).toEqual(validateChangeset(bytes));
    }
  });

  it('gives the same pieces when it reuses its buffers, whatever the chunks and the records larger than a piece', () => {
    for (const file of [bytes, changesetToPatchset(bytes)]) {
      for (const [pieceBytes, chunk] of [[64, 1], [64, 1000], [500, 37], [4096, 4096], [4096, 10_000], [1 << 20, 999]] as const) {
        const hex = (pieces: Uint8Array[]) => pieces.map((p) => Buffer.from(p).toString('hex'));
        expect(hex(cutReusing(file, pieceBytes, chunk)), `pieces of ${pieceBytes}, chunks of ${chunk}`).toEqual(hex(cut(file, pieceBytes, chunk).pieces));
      }
    }
  });

  it('cuts where the records end when a chunk ends after the next table\'s header', () => {
    // What is held after a cut is measured again with the next chunk, under the header in force
    // where it starts: measured under the header that follows it, table a's records were cut short.
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY, s TEXT, b BLOB); CREATE TABLE b(k TEXT, n INT, PRIMARY KEY(k, n))');
    const session = db.createSession();
    // Bytes of all values (a fixed sequence): read under the wrong header, some are read as long lengths that run past that header.
    const insert = db.prepare('INSERT INTO a VALUES (?, ?, ?)');
    let x = 1;
    for (let id = 1; id <= 400; id++) insert.run(id, 'x'.repeat(id % 300), Uint8Array.from({ length: id % 700 }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24));
    db.exec(`INSERT INTO b SELECT 'k' || value, value FROM ${series(300)}`);
    const two = session.changeset();
    db.close();
    for (const chunk of [1, 97, 4096]) {
      const { pieces } = cut(two, 4096, chunk);
      expect(Buffer.concat(pieces.map((p) => changesetToPatchset(p))).length).toBeGreaterThan(0);
    }
  });

  it('cuts a patchset the same way', () => {
    const patch = changesetToPatchset(bytes);
    const { pieces } = cut(patch, 300, 100);
    expect(pieces.length).toBeGreaterThan(5);
    for (const piece of pieces) expect(validateChangeset(piece, 'patchset').length).toBeGreaterThan(0);
  });

  it('refuses damage where validateChangeset does, at the same offset of the whole file', () => {
    const positions = [0, 1, 5, 77, 1500, 4000, bytes.length - 30, bytes.length - 1];
    for (const at of positions) {
      for (const damaged of [bytes.subarray(0, at), Buffer.concat([bytes.subarray(0, at), Buffer.from([0x07]), bytes.subarray(at + 1)])]) {
        let whole: ChangesetFormatError | undefined;
        try {
          validateChangeset(damaged);
        } catch (err) {
          whole = err as ChangesetFormatError;
        }
        for (const cutter of [cut, cutReusing]) {
          let inPieces: ChangesetFormatError | undefined;
          try {
            cutter(damaged, 256, 100);
          } catch (err) {
            inPieces = err as ChangesetFormatError;
          }
          expect(inPieces?.message, `damage at ${at} of ${damaged.length}`).toBe(whole?.message);
        }
      }
    }
  });

  it('refuses a table named again with other columns across pieces', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    const s1 = db.createSession();
    db.exec(`INSERT INTO t SELECT value, 'v' FROM ${series(50)}`);
    const first = s1.changeset();
    db.exec('ALTER TABLE t ADD COLUMN w INT');
    const s2 = db.createSession();
    db.exec("INSERT INTO t VALUES (100, 'v', 1)");
    const second = s2.changeset();
    db.close();
    const both = Buffer.concat([first, second]);
    expect(() => validateChangeset(both)).toThrow(/appears again with 3 columns, after 2 at byte offset/);
    expect(() => cut(both, 64, 50)).toThrow(`table "t" appears again with 3 columns, after 2 at byte offset ${first.length}`);
  });
});
