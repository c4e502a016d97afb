// The replica commands end to end on the Chinook database, as a user runs them.
import { describe, it, expect } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chinookCopy, cli, dumpTables, sqlite3, tempDir } from './helpers.ts';

describe('sqlferry on Chinook', () => {
  it('init, edit with sqlite3, status, diff, commit, log, show, revert, checkout, verify', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    expect(cli(dir, 'init', 'chinook.db').status).toBe(0);
    const original = join(dir, 'original.db');
    sqlite3(db, `VACUUM INTO '${original}';`);

    sqlite3(db, `UPDATE Artist SET Name = 'AC/DC (live)' WHERE ArtistId = 1;
      DELETE FROM PlaylistTrack WHERE PlaylistId = 18; INSERT INTO Genre VALUES (26, 'Polka');
      CREATE TABLE scratch(note TEXT); INSERT INTO scratch VALUES ('no key');`);
    const status = cli(dir, 'status');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('Artist');
    expect(status.stdout).toMatch(/PlaylistTrack\s+0 inserted, 0 updated, 1 deleted/);
    expect(status.stdout).toContain('CREATE TABLE scratch(note TEXT)');
    expect(status.stdout).toMatch(/scratch\s+1 inserted, 0 updated, 0 deleted/); // no PRIMARY KEY: tracked by rowid
    expect(status.stdout).not.toContain('Not tracked');
    const json = JSON.parse(cli(dir, 'status', '--json').stdout);
    expect(json.tables).toContainEqual({ table: 'Genre', inserted: 1, updated: 0, deleted: 0 });
    expect(json.clean).toBe(false);
    expect(cli(dir, 'diff').stdout).toContain(`UPDATE "Artist" SET "Name" = 'AC/DC (live)' WHERE "ArtistId" = 1;`);
    expect(cli(dir, 'diff').stdout).toContain(`INSERT INTO "scratch"("rowid", "note") VALUES(1, 'no key');`);

    const first = cli(dir, 'commit', '-m', 'first edits');
    expect(first.stdout).toMatch(/^Committed 1 /);
    expect(cli(dir, 'commit').stdout.trim()).toBe('Nothing to commit.');

    sqlite3(db, `UPDATE Track SET UnitPrice = 1.49 WHERE AlbumId = 1;`);
    expect(cli(dir, 'commit', '-m', 'prices').status).toBe(0);
    const log = JSON.parse(cli(dir, 'log', '--json').stdout);
    expect(log.map((e: { seq: number; message: string }) => [e.seq, e.message])).toEqual([[2, 'prices'], [1, 'first edits']]);
    expect(cli(dir, 'show', '2', '--stat').stdout).toContain('Track  0 inserted, 10 updated, 0 deleted');
    expect(cli(dir, 'show', '1', '--sql').stdout).toContain('INSERT INTO "Genre"("GenreId", "Name") VALUES(26, \'Polka\');');
    expect(JSON.parse(cli(dir, 'show', '2', '--json').stdout).changes).toHaveLength(10);

    const revert = cli(dir, 'revert', '2');
    expect(revert.stdout).toContain('Committed 3: Revert commit 2: prices');
    expect(sqlite3(db, 'SELECT DISTINCT UnitPrice FROM Track WHERE AlbumId = 1;').trim()).toBe('0.99');
    const refused = cli(dir, 'revert', '1');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error: commit 1 changed the schema/);

    expect(cli(dir, 'checkout', '0', '-o', 'at0.db').status).toBe(0);
    expect(dumpTables(join(dir, 'at0.db'))).toEqual(dumpTables(original));
    expect(cli(dir, 'checkout', '3', '-o', 'at3.db').status).toBe(0);
    expect(dumpTables(join(dir, 'at3.db'))).toEqual(dumpTables(db));

    expect(cli(dir, 'exec', "UPDATE Genre SET Name = 'Oompah' WHERE GenreId = 26").stdout).toContain('Committed 4');
    const verify = cli(dir, 'verify');
    expect(verify.stdout).toContain('OK: 4 log entries');
    // and after one more ordinary commit
    sqlite3(db, `UPDATE Artist SET Name = 'again' WHERE ArtistId = 1;`);
    cli(dir, 'commit');
    expect(cli(dir, 'verify').status).toBe(0);
  });

  it('finds the replica from a subfolder, and answers mistakes with one sentence', () => {
    const dir = tempDir();
    chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    const sub = join(dir, 'a', 'b');
    mkdirSync(sub, { recursive: true });
    expect(cli(sub, 'status').stdout).toContain(`On commit 0 of ${join(dir, 'chinook.db')}`);

    writeFileSync(join(dir, 'notes.txt'), 'hello, not a database\n'.repeat(100));
    const notDb = cli(dir, 'init', 'notes.txt');
    expect(notDb.status).toBe(1);
    expect(notDb.stderr.split('\n')[0]).toBe(`error: ${join(dir, 'notes.txt')} is not a SQLite database`);
    const nowhere = cli(tempDir(), 'log');
    expect(nowhere.stderr).toMatch(/^error: no sqlferry replica in this folder or any parent folder\n/);
    expect(cli(dir, 'show', '9').stderr).toMatch(/^error: there is no commit 9\n/);
    expect(cli(dir, 'init', 'chinook.db').stderr).toMatch(/already a sqlferry replica/);
  });

  it('refuses to revert a commit whose rows a later commit changed, changing nothing', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    cli(dir, 'exec', "UPDATE Artist SET Name = 'one' WHERE ArtistId = 2");
    cli(dir, 'exec', "UPDATE Artist SET Name = 'two' WHERE ArtistId = 2");
    const r = cli(dir, '--db', db, 'revert', '1');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot revert commit 1: rows it changed were changed again later; nothing was changed/);
    expect(sqlite3(db, 'SELECT Name FROM Artist WHERE ArtistId = 2;').trim()).toBe('two');
    expect(JSON.parse(cli(dir, 'log', '--json').stdout)).toHaveLength(2);
  });
  it('show --stat puts table names and counts in columns', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    sqlite3(db, "UPDATE Track SET UnitPrice = 1.59 WHERE AlbumId = 1; INSERT INTO Genre VALUES (27, 'x'); DELETE FROM PlaylistTrack WHERE TrackId <= 2;");
    expect(cli(dir, 'commit', '-q').status).toBe(0);
    expect(cli(dir, 'show', '1', '--stat').stdout).toBe([
      'Genre          1 inserted,  0 updated, 0 deleted',
      'PlaylistTrack  0 inserted,  0 updated, 6 deleted',
      'Track          0 inserted, 10 updated, 0 deleted',
      '17 change(s) in 3 table(s)',
      '',
    ].join('\n'));
  });
});
