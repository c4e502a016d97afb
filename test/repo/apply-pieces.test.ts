// A large entry applied in pieces (src/repo/apply/apply-pieces.ts) inside one transaction: the same
// database as one call, and a refusal in a later piece leaves the database as it was.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { applyCheckedFile } from '../../src/repo/apply/apply-pieces.ts';
import { fileChecksum } from '../../src/shared/pieces.ts';
import { applyChecked, withApplyTransaction } from '../../src/repo/apply/apply.ts';
import { usePieceBytes } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'sqlferry-apply-pieces-'));
const PIECE = 2048;
usePieceBytes(PIECE);

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL); CREATE TABLE u(id INTEGER PRIMARY KEY, code TEXT UNIQUE, n INT)';
const series = (n: number) => `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;
const U = `INSERT INTO u SELECT value, 'c' || value, 0 FROM ${series(300)}`;

function database(name: string, sql = ''): DatabaseSync {
  const db = new DatabaseSync(join(dir, name));
  db.exec(SCHEMA + ';' + U + ';' + sql);
  return db;
}

/** The changeset of `sql` run on a fresh database holding `before`, written to a file. */
function captured(name: string, before: string, sql: string): { file: string; bytes: Uint8Array } {
  const db = new DatabaseSync(':memory:');
  db.exec(SCHEMA + ';' + U + ';' + before);
  const session = db.createSession();
  db.exec(sql);
  const bytes = session.changeset();
  db.close();
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return { file, bytes };
}

const dump = (db: DatabaseSync) => [...db.prepare('SELECT * FROM t ORDER BY id').all(), ...db.prepare('SELECT * FROM u ORDER BY id').all()];
const BULK = `INSERT INTO t SELECT value, 'name ' || value, value * 0.25 FROM ${series(3000)}`;

describe('applying a changeset file in pieces', () => {
  it('gives the database one call gives', () => {
    const { file, bytes } = captured('bulk.changeset', '', `${BULK}; UPDATE u SET n = id WHERE id % 2 = 0`);
    expect(bytes.length).toBeGreaterThan(20 * PIECE);
    const pieces = database('pieces.db');
    const whole = database('whole.db');
    withApplyTransaction(pieces, 'pieces.db', () => applyCheckedFile(pieces, file, 'changeset'));
    withApplyTransaction(whole, 'whole.db', () => applyChecked(whole, bytes, 'changeset'));
    expect(dump(pieces)).toEqual(dump(whole));
    expect(dump(pieces).length).toBe(3300);
  });

  it('applies a UNIQUE value handed from row to row across pieces, as one call does', () => {
    // Row 1 takes row 300's code in the first piece; row 300 gives it up pieces later.
    const first = captured('take.changeset', "UPDATE u SET code = 'free' WHERE id = 300", "UPDATE u SET code = 'c300' WHERE id = 1; UPDATE u SET n = n + 1 WHERE id > 1 AND id < 300");
    const second = captured('give.changeset', '', "UPDATE u SET code = 'free' WHERE id = 300");
    const file = join(dir, 'hand-over.changeset');
    writeFileSync(file, Buffer.concat([first.bytes, second.bytes]));
    const db = database('hand-over.db');
    withApplyTransaction(db, 'hand-over.db', () => applyCheckedFile(db, file, 'changeset'));
    expect(db.prepare('SELECT code FROM u WHERE id IN (1, 300) ORDER BY id').all().map((r) => r.code)).toEqual(['c300', 'free']);
  });

  it('leaves the database as it was when a later piece conflicts', () => {
    const { file } = captured('conflict.changeset', '', BULK);
    const db = database('conflict.db', "INSERT INTO t VALUES (2900, 'already here', 0)");
    const before = dump(db);
    expect(() => withApplyTransaction(db, 'conflict.db', () => applyCheckedFile(db, file, 'changeset'))).toThrow(expect.objectContaining({ code: 'APPLY_CONFLICT' }));
    expect(dump(db)).toEqual(before);
    expect(db.isTransaction).toBe(false);
  });

  it('refuses a file damaged in its last piece before applying any piece', () => {
    const { bytes } = captured('damaged-source.changeset', '', BULK);
    const damaged = bytes.subarray(0, bytes.length - 5); // the last record cut short
    const file = join(dir, 'damaged.changeset');
    writeFileSync(file, damaged);
    const db = database('damaged.db');
    const before = dump(db);
    expect(() => withApplyTransaction(db, 'damaged.db', () => applyCheckedFile(db, file, 'changeset'))).toThrow(expect.objectContaining({ code: 'CHANGESET_MALFORMED' }));
    expect(dump(db)).toEqual(before);
  });

  it('refuses a table missing here, named only in a later piece, before applying any piece', () => {
    const { bytes } = captured('t.changeset', '', BULK);
    const other = new DatabaseSync(':memory:');
    other.exec('CREATE TABLE elsewhere(id INTEGER PRIMARY KEY)');
    const session = other.createSession();
    other.exec('INSERT INTO elsewhere VALUES (1)');
    const file = join(dir, 'missing-table.changeset');
    writeFileSync(file, Buffer.concat([bytes, session.changeset()]));
    other.close();
    const db = database('missing-table.db');
    expect(() => withApplyTransaction(db, 'missing-table.db', () => applyCheckedFile(db, file, 'changeset'))).toThrow(expect.objectContaining({ code: 'SCHEMA_MISMATCH' }));
    expect(dump(db).length).toBe(300);
  });
});

describe('fileChecksum', () => {
  it('gives the whole file\'s sha256 and size, read a piece at a time (empty, one piece, across pieces)', () => {
    for (const size of [0, 1, PIECE - 1, PIECE, PIECE + 1, 5 * PIECE + 17]) {
      const bytes = randomBytes(size);
      const file = join(dir, `checksum-${size}`);
      writeFileSync(file, bytes);
      expect(fileChecksum(file)).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), size });
    }
  });
});
