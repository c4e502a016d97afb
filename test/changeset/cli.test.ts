// `sqlferry changeset …` as a user runs it, on a changeset made from the Chinook database.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { applyStrict, contents } from './helpers/sqlite.ts';
import { BIN as bin } from '../cli-bin.ts';

const chinook = fileURLToPath(new URL('../../fixtures/Chinook_Sqlite.sqlite', import.meta.url));

let dir: string;
let original: string; // an untouched copy of Chinook
let edited: string; // the copy the session recorded
let changeset: string;

function sqlferry(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function snapshot(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return contents(db);
  } finally {
    db.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlferry-cli-'));
  original = join(dir, 'original.db');
  edited = join(dir, 'edited.db');
  changeset = join(dir, 'edit.changeset');
  copyFileSync(chinook, original);
  copyFileSync(chinook, edited);
  const db = new DatabaseSync(edited);
  const session = db.createSession();
  db.exec(`UPDATE Track SET UnitPrice = 1.29 WHERE TrackId <= 40;
           DELETE FROM PlaylistTrack WHERE PlaylistId = 18;
           INSERT INTO Genre(GenreId, Name) VALUES(26, 'Polka ''n'' Ländler');`);
  writeFileSync(changeset, session.changeset());
  db.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlferry changeset', () => {
  it('stats counts the changes per table, as text and as JSON', () => {
    const text = sqlferry('changeset', 'stats', changeset);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Track: 40 changes (0 inserts, 40 updates, 0 deletes)');
    expect(text.stdout).toContain('Genre: 1 changes (1 inserts, 0 updates, 0 deletes)');
    const json = sqlferry('changeset', 'stats', '--json', changeset);
    const [stats] = JSON.parse(json.stdout);
    expect(stats.kind).toBe('changeset');
    expect(stats.total).toEqual({ inserts: 1, updates: 40, deletes: 1, total: 42 });
  });

  it('dump prints one JSON object per change', () => {
    const r = sqlferry('changeset', 'dump', changeset);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(42);
    expect(lines).toContainEqual({
      table: 'Genre', op: 'INSERT', indirect: false, pk: [1, 0], old: null,
      new: [{ type: 'integer', value: 26 }, { type: 'text', value: "Polka 'n' Ländler" }],
    });
  });

  it('sql with --db prints statements that turn the original database into the edited one', () => {
    const r = sqlferry('--db', original, 'changeset', 'sql', changeset);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`UPDATE "Track" SET "UnitPrice" = 1.29 WHERE "TrackId" = 1;`);
    const db = new DatabaseSync(original);
    db.exec(r.stdout);
    db.close();
    expect(snapshot(original)).toBe(snapshot(edited));
    copyFileSync(chinook, original);
  });

  it('sql with --db names the columns of a table without a primary key, its rowid first, as a commit records it', () => {
    const app = join(dir, 'nopk.db');
    const db = new DatabaseSync(app);
    db.exec("CREATE TABLE note(body TEXT, stars INT); INSERT INTO note VALUES ('first', 1);");
    db.close();
    expect(sqlferry('init', app).status).toBe(0);
    const copy = join(dir, 'nopk-before.db');
    copyFileSync(app, copy);
    const edit = new DatabaseSync(app);
    edit.exec("UPDATE note SET stars = 5 WHERE body = 'first'; INSERT INTO note VALUES ('second', 2);");
    edit.close();
    expect(sqlferry('--db', app, 'commit', '-m', 'notes').status).toBe(0);
    const r = sqlferry('--db', app, 'changeset', 'sql', join(`${app}.sqlferry`, 'log', '0000000001.changeset'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`INSERT INTO "note"("rowid", "body", "stars") VALUES(2, 'second', 2);`);
    const before = new DatabaseSync(copy);
    before.exec(r.stdout);
    before.close();
    expect(snapshot(copy)).toBe(snapshot(app));
  });

  it('invert writes a changeset that undoes the edit', () => {
    const undo = join(dir, 'undo.changeset');
    expect(sqlferry('changeset', 'invert', changeset, '-o', undo).status).toBe(0);
    const target = join(dir, 'undo.db');
    copyFileSync(edited, target);
    const db = new DatabaseSync(target);
    applyStrict(db, readFileSync(undo));
    db.close();
    expect(snapshot(target)).toBe(snapshot(original));
  });

  it('concat of a changeset and its inverse is empty', () => {
    const undo = join(dir, 'undo2.changeset');
    const both = join(dir, 'both.changeset');
    sqlferry('changeset', 'invert', changeset, '-o', undo);
    expect(sqlferry('changeset', 'concat', changeset, undo, '-o', both).status).toBe(0);
    expect(readFileSync(both)).toHaveLength(0);
  });

  it('answers a corrupt file with one error line naming the file and offset, and exit code 6', () => {
    const corrupt = join(dir, 'corrupt.changeset');
    writeFileSync(corrupt, readFileSync(changeset).subarray(0, 200));
    for (const command of ['dump', 'sql', 'stats', 'invert']) {
      const r = sqlferry('changeset', command, corrupt);
      expect(r.status).toBe(6);
      const [first, ...rest] = r.stderr.trim().split('\n');
      expect(first).toMatch(new RegExp(`^error: ${corrupt.replaceAll('.', '\\.')}: .* at byte offset \\d+$`));
      expect(rest.join('\n')).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('answers a missing file with one error line and exit code 1', () => {
    const r = sqlferry('changeset', 'stats', join(dir, 'nope.changeset'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot read .*nope\.changeset: no such file\n/);
  });

  it('refuses to write binary output to a terminal', () => {
    // script(1) runs the command with its stdout on a pseudo-terminal.
    const command = [process.execPath, bin, 'changeset', 'invert', changeset].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('error: refusing to write a binary changeset to the terminal');
  });

  it('ends every subcommand’s help with an example', () => {
    for (const command of ['dump', 'sql', 'invert', 'concat', 'stats']) {
      const r = sqlferry('changeset', command, '--help');
      expect(r.stdout.trimEnd()).toMatch(/Example:(\n +\$ sqlferry .*changeset .+)+$/);
    }
  });
});
