// `apply FILE` and `export N..M`: raw changeset files in and out, for other tools.
import { describe, it, expect } from 'vitest';
import { copyFileSync, lstatSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
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

  it('says what it wrote, and refuses an output folder that does not exist in one sentence', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    sqlite3(db, "UPDATE Track SET UnitPrice = 2 WHERE TrackId = 1;");
    cli(dir, 'commit', '-m', 'one');
    const wrote = cli(dir, 'export', '1', '-o', 'one.changeset');
    expect(wrote.stdout).toBe(`Wrote commit 1 to one.changeset as a changeset (${statSync(join(dir, 'one.changeset')).size} bytes)\n`);
    expect(cli(dir, 'export', '1', '-q', '-o', 'one.changeset').stdout).toBe('');
    const lost = cli(dir, 'export', '1', '-o', 'no/such/one.changeset');
    expect(lost).toMatchObject({ status: 1, stderr: 'error: cannot write no/such/one.changeset: no such folder\n' });
  });

  // -o /dev/null, as people do to time a command: renaming over it would replace the device.
  it('writes into a device, a FIFO and a symlink\'s target, never renaming over them', async () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    sqlite3(db, "UPDATE Track SET UnitPrice = 2 WHERE TrackId <= 3;");
    cli(dir, 'commit', '-m', 'one');
    expect(cli(dir, 'export', '1', '-o', 'one.changeset').status).toBe(0);
    const expected = readFileSync(join(dir, 'one.changeset'));

    const device = join(dir, 'null');
    expect(spawnSync('mknod', [device, 'c', '1', '3']).status, 'mknod needs root').toBe(0);
    expect(cli(dir, 'export', '1', '-o', 'null').status).toBe(0);
    const after = statSync(device);
    expect(after.isCharacterDevice()).toBe(true);
    expect([after.rdev >> 8, after.rdev & 0xff]).toEqual([1, 3]);

    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The reader is another process: this one blocks in spawnSync while the CLI writes.
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => chunks.push(c));
    const done = once(reader, 'close');
    expect(cli(dir, 'export', '1', '-o', 'pipe').status).toBe(0);
    await done;
    expect(Buffer.concat(chunks)).toEqual(expected);
    expect(lstatSync(fifo).isFIFO()).toBe(true);

    writeFileSync(join(dir, 'target.changeset'), 'old');
    symlinkSync('target.changeset', join(dir, 'link'));
    expect(cli(dir, 'export', '1', '-o', 'link').status).toBe(0);
    expect(readlinkSync(join(dir, 'link'))).toBe('target.changeset');
    expect(readFileSync(join(dir, 'target.changeset'))).toEqual(expected);
  });
});
