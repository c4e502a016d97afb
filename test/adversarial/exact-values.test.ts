// Values that are easy to bend, through the whole round trip: written by an application on a,
// committed, pushed, pulled on b, edited there (other columns), pushed back and pulled on a.
// Every replica, and a fresh clone, must hold them bit for bit (type and bytes per column).
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { dumpTables } from '../repo/helpers.ts';
import { cli, ok, sqlite3, tempDir } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE v(id INTEGER PRIMARY KEY, x ANY, note TEXT);
  CREATE TABLE bk(k BLOB PRIMARY KEY, x, note TEXT) WITHOUT ROWID;
  CREATE TABLE tk(k TEXT PRIMARY KEY, x, note TEXT);
  CREATE TABLE ik(k INTEGER, j INTEGER, x REAL, note TEXT, PRIMARY KEY (k, j));`;

const bytes = (...b: number[]) => new Uint8Array(b);
const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

/** Values bound through node:sqlite; a few more through SQL, where binding cannot express them. */
const BOUND: SQLInputValue[] = [
  MAX, MIN, MAX - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n, -0, 0.1, 5e-324, 2.2250738585072014e-308 / 3, Number.MAX_VALUE, -Number.MAX_VALUE,
  Infinity, -Infinity, NaN, 1.0, 2 ** 63, '', bytes(), null, 'a\u0000b', '\u0000', 'é', 'e\u0301', '\u{1F600}', '\uD800x',
  bytes(0), bytes(0xff, 0xfe, 0), '1', '1.0', ' 1', 'x'.repeat(300_000),
];

describe('exact values through push, pull and a second commit', () => {
  it('keeps every type and byte on every replica and in a fresh clone', { timeout: 180_000 }, () => {
    const dir = tempDir();
    ok(cli(dir, 'init', '--bare', 'hub'));
    const a = join(dir, 'a.db');
    sqlite3(a, SCHEMA);
    ok(cli(dir, 'init', 'a.db'));
    ok(cli(dir, '--db', 'a.db', 'remote', 'add', 'origin', join(dir, 'hub')));
    ok(cli(dir, '--db', 'a.db', 'sync'));
    ok(cli(dir, 'clone', join(dir, 'hub'), 'b.db'));

    const app = new DatabaseSync(a);
    BOUND.forEach((x, i) => app.prepare('INSERT INTO v VALUES (?, ?, ?)').run(i + 1, x, `n${i}`));
    // Blob keys, including the empty blob and one with NULs; text keys with invalid UTF-8 and NULs.
    [bytes(), bytes(0), bytes(0, 0), bytes(0xff), new Uint8Array(2000).fill(7)].forEach((k, i) => app.prepare('INSERT INTO bk VALUES (?, ?, ?)').run(k, BOUND[i % BOUND.length]!, `n${i}`));
    app.exec(`
      INSERT INTO v VALUES (1000, CAST(X'C328FFFE00' AS TEXT), 'invalid utf-8 with a NUL'), (1001, CAST(X'' AS TEXT), 'empty text from a blob'),
        (1002, -0.0, 'negative zero in SQL'), (1003, 9223372036854775807 + 1, 'integer overflow to real'), (1004, zeroblob(0), 'zeroblob(0)');
      INSERT INTO tk VALUES (CAST(X'C328' AS TEXT), 1, 'invalid key'), (CAST(X'6100' AS TEXT), 2, 'key with NUL'), ('a', 3, 'a'), ('A', 4, 'A'), ('', 5, 'empty key');
      INSERT INTO ik VALUES (9223372036854775807, -9223372036854775808, 4.9e-324, 'extreme keys'), (-1, 0, -0.0, 'neg zero real'), (0, 0, 1e308 * 10, 'inf');`);
    app.close();
    const written = dumpTables(a);
    expect(written.v!.length).toBe(BOUND.length + 5);
    // The reference: the same edits made on a plain copy, no sqlferry involved.
    const ref = join(dir, 'ref.db');
    sqlite3(a, `VACUUM INTO '${ref}';`);

    ok(cli(dir, '--db', 'a.db', 'sync'));
    ok(cli(dir, '--db', 'b.db', 'sync'));
    expect(dumpTables(join(dir, 'b.db'))).toEqual(written);
    // b edits another column of every row: the unchanged values ride along as old.* and must still match.
    const bEdit = "UPDATE v SET note = note || '!'; UPDATE bk SET note = note || '!'; UPDATE tk SET note = note || '!'; UPDATE ik SET note = note || '!';";
    sqlite3(join(dir, 'b.db'), bEdit);
    sqlite3(ref, bEdit);
    ok(cli(dir, '--db', 'b.db', 'sync'));
    // a, not having pulled b's edit, copies every odd value into new rows and edits one note b
    // edited too: that conflict sends a's whole rebase down the change-by-change path, where
    // sqlferry reads and writes the rows itself. The hub's note wins (the default).
    const aEdit = "INSERT INTO v SELECT id + 5000, x, 'copy' FROM v; INSERT INTO bk SELECT k || X'01', x, 'copy' FROM bk; INSERT INTO tk SELECT k || CAST(X'FF' AS TEXT), x, 'copy' FROM tk; UPDATE v SET x = CAST(X'80' AS TEXT) WHERE id = 1001;";
    sqlite3(a, `${aEdit} UPDATE v SET note = 'a' WHERE id = 1;`);
    sqlite3(ref, aEdit);
    ok(cli(dir, '--db', 'a.db', 'sync'), 3);
    ok(cli(dir, '--db', 'b.db', 'sync'));
    ok(cli(dir, 'clone', join(dir, 'hub'), 'c.db'));

    const final = dumpTables(a);
    expect(dumpTables(join(dir, 'b.db'))).toEqual(final);
    expect(dumpTables(join(dir, 'c.db'))).toEqual(final);
    expect(final).toEqual(dumpTables(ref));
    for (const db of ['a.db', 'b.db', 'c.db']) ok(cli(dir, '--db', db, 'verify'));
  });
});
