// Files written by other SQLite programs: Debian's sqlite3 shell (.session) and sqldiff --changeset.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { detectKind, invertChangeset, iterateChanges, writeChangeset } from '../../src/changeset/index.ts';
import { applyStrict, contents } from './helpers/sqlite.ts';
import { expectSameBytes } from './helpers/bytes.ts';

const SCHEMA = `
CREATE TABLE track(id INTEGER PRIMARY KEY, name TEXT, data BLOB, price REAL, n);
CREATE TABLE tag(label TEXT, track INTEGER, weight, PRIMARY KEY(track, label)) WITHOUT ROWID;
CREATE TABLE untouched(k TEXT PRIMARY KEY, v);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO track SELECT i, 'trąck ' || i || ' 日本', randomblob(i * 7), i * 1.25, i * 4611686018427387 FROM n;
INSERT INTO tag SELECT 'tag' || (id % 5), id, id % 3 FROM track;
INSERT INTO untouched VALUES('a', 1);`;

const WRITES = `
UPDATE track SET price = price * 2, n = NULL WHERE id % 7 = 0;
UPDATE track SET name = 'it''s ' || name WHERE id % 11 = 0;
DELETE FROM track WHERE id % 13 = 0;
INSERT INTO track VALUES(1000, 'new', zeroblob(70000), -0.5, 9223372036854775807), (-9223372036854775808, '', X'', 1e308, -1);
UPDATE tag SET weight = 'héavy' WHERE track % 4 = 0;
DELETE FROM tag WHERE track % 9 = 0;
INSERT INTO tag VALUES('zz', 1000, NULL);`;

const sqlite3 = (db: string, script: string): void => void execFileSync('/usr/bin/sqlite3', [db], { input: script });

let dir: string;
let before: string;
let after: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlferry-interop-'));
  before = join(dir, 'before.db');
  after = join(dir, 'after.db');
  sqlite3(before, SCHEMA);
  copyFileSync(before, after);
  sqlite3(after, `.session open main s\n.session attach *\n${WRITES}\n.session changeset ${join(dir, 'shell.changeset')}\n.session patchset ${join(dir, 'shell.patchset')}\n`);
  execFileSync('/usr/bin/sqldiff', ['--changeset', join(dir, 'sqldiff.changeset'), before, after]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function applyToCopyOfBefore(bytes: Uint8Array): string {
  const target = join(dir, `target-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(before, target);
  const db = new DatabaseSync(target);
  try {
    applyStrict(db, bytes);
    return contents(db);
  } finally {
    db.close();
  }
}

const contentsOf = (path: string): string => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return contents(db);
  } finally {
    db.close();
  }
};

describe.each(['shell.changeset', 'shell.patchset', 'sqldiff.changeset'])('%s', (file) => {
  it('parses, rewrites byte for byte, and applies to give the expected database', () => {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    expect(detectKind(bytes)).toBe(file.endsWith('patchset') ? 'patchset' : 'changeset');
    const changes = [...iterateChanges(bytes)];
    expect(changes.length).toBeGreaterThan(100);
    const rewritten = writeChangeset(detectKind(bytes), changes);
    expectSameBytes(rewritten, bytes);
    expect(applyToCopyOfBefore(rewritten)).toBe(contentsOf(after));
  });
});

describe('an inverted shell changeset', () => {
  it('restores the database the shell started from', () => {
    const target = join(dir, 'undo.db');
    copyFileSync(after, target);
    const db = new DatabaseSync(target);
    applyStrict(db, invertChangeset(readFileSync(join(dir, 'shell.changeset'))));
    expect(contents(db)).toBe(contentsOf(before));
    db.close();
  });
});
