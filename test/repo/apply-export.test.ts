// `apply FILE` and `export N..M`: raw changeset files in and out, for other tools.
import { describe, it, expect } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { chinookCopy, cli, dumpTables, sqlite3, tempDir } from './helpers.ts';

describe('sqlferry apply', () => {
  it('applies a sqldiff changeset once, with triggers suspended, and commits what it changed', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    // An app trigger: its effect must not be added on top of what the file brings.
    sqlite3(db, "CREATE TABLE audit(id INTEGER PRIMARY KEY, what TEXT); CREATE TRIGGER artist_audit AFTER UPDATE ON Artist BEGIN INSERT INTO audit(what) VALUES ('artist ' || new.ArtistId); END;");
    const fixed = join(dir, 'fixed.db');
    copyFileSync(db, fixed);
    sqlite3(fixed, "UPDATE Artist SET Name = 'Fixed' WHERE ArtistId = 2; DELETE FROM InvoiceLine WHERE InvoiceLineId = 1; INSERT INTO Genre VALUES (40, 'New');");
    expect(spawnSync('sqldiff', ['--changeset', join(dir, 'fix.changeset'), db, fixed]).status).toBe(0);
    expect(cli(dir, 'init', 'chinook.db').status).toBe(0);

    const applied = cli(dir, 'apply', 'fix.changeset', '-m', 'fix from sqldiff');
    expect(applied.status).toBe(0);
    expect(applied.stdout).toMatch(/^Committed 1 \(\d+ bytes\)\n$/);
    expect(dumpTables(db)).toEqual(dumpTables(fixed)); // the audit table included: the trigger did not fire
    expect(JSON.parse(cli(dir, 'log', '--json').stdout)[0]).toMatchObject({ seq: 1, message: 'fix from sqldiff' });
    expect(cli(dir, 'status', '--json').stdout).toContain('"clean": true');

    // Applied twice, it conflicts: nothing changes, one sentence, exit 1.
    const again = cli(dir, 'apply', 'fix.changeset');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^error: the file does not apply to this database: .*nothing was changed\n/);
    expect(dumpTables(db)).toEqual(dumpTables(fixed));
    expect(cli(dir, 'verify').status).toBe(0);
  });

  it('refuses a corrupt file with the byte offset and exit code 6', () => {
    const dir = tempDir();
    chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    sqlite3(join(dir, 'x.db'), 'CREATE TABLE t(a);');
    const r = cli(dir, 'apply', 'x.db');
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/^error: x\.db: .* at byte offset \d+/);
  });
});

describe('sqlferry export', () => {
  it('writes commits N..M as one changeset that turns checkout N-1 into checkout M', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    sqlite3(db, "UPDATE Track SET UnitPrice = 2 WHERE TrackId <= 3;");
    cli(dir, 'commit', '-m', 'one');
    sqlite3(db, "UPDATE Track SET UnitPrice = 3 WHERE TrackId = 1; DELETE FROM PlaylistTrack WHERE TrackId = 2; INSERT INTO Genre VALUES (41, 'x');");
    cli(dir, 'commit', '-m', 'two');
    sqlite3(db, 'DELETE FROM Genre WHERE GenreId = 41;');
    cli(dir, 'commit', '-m', 'three');

    expect(cli(dir, 'export', '2..3', '-o', 'range.changeset').status).toBe(0);
    expect(cli(dir, 'checkout', '1', '-o', 'at1.db').status).toBe(0);
    expect(cli(dir, 'checkout', '3', '-o', 'at3.db').status).toBe(0);
    const target = new DatabaseSync(join(dir, 'at1.db'));
    expect(target.applyChangeset(readFileSync(join(dir, 'range.changeset')))).toBe(true);
    target.close();
    expect(dumpTables(join(dir, 'at1.db'))).toEqual(dumpTables(join(dir, 'at3.db')));

    expect(cli(dir, 'export', '2', '--patchset', '-o', 'two.patchset').status).toBe(0);
    expect(cli(dir, 'changeset', 'stats', 'two.patchset').stdout).toMatch(/^two\.patchset \(patchset\): 5 changes \(1 inserts, 1 updates, 3 deletes\)/);
    expect(cli(dir, 'export', '4').stderr).toMatch(/^error: there is no commit range 4\.\.4 in this log \(it holds 1\.\.3\)/);
  });
});
