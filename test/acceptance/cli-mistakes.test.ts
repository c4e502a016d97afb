// Acceptance review: a user's mistakes and damaged files, through the real CLI on copies of
// Chinook. Each must end in one `error: …` sentence (maybe a `hint:`), a documented exit
// code, no stack trace and no "bug in sqlferry" hint, and nothing half-done left behind.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/errors/index.ts';
import { Replica } from '../../src/repo/replica.ts';
import { chinookCopy, cli, sqlite3, tempDir } from '../repo/helpers.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pushedReplica, syncEach } from '../sync/helpers.ts';

/** A copy of Chinook made a replica in-process (`init` is setup here, not what is tested); its path. */
function chinookReplica(dir: string): string {
  const db = chinookCopy(dir);
  Replica.init(db);
  return db;
}

type Run = { status: number; stdout: string; stderr: string };

/** One clear sentence on stderr: `error: …`, at most a `hint: …` after it, never a stack or a bug report. */
function expectOneSentence(r: Run, code: number, message: RegExp): void {
  expect(r.status, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
  expect(r.stderr).not.toMatch(/looks like a bug|\n\s+at /);
}

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(path, bytes);
}

/** A hub with Chinook pushed from a.db, and b.db cloned from it: made in-process, the mistakes after it are the CLI's (a's syncs that set a scene are in-process too). */
async function hubWithTwoReplicas(): Promise<{ dir: string; a: string; b: string }> {
  const dir = tempDir();
  const a = chinookCopy(dir, 'a.db');
  const hub = await newHub(dir);
  await pushedReplica(dir, hub, 'a');
  await cloneReplica(dir, hub, 'b');
  return { dir, a, b: join(dir, 'b.db') };
}

describe('conflicts restore', () => {
  it('restores the losing version of a row other rows refer to, chosen with --side', async () => {
    const { dir, a, b } = await hubWithTwoReplicas();
    // Artist 1 (AC/DC) has albums pointing at it: the row cannot be deleted and re-inserted.
    sqlite3(a, "UPDATE Artist SET Name = 'AC/DC (a)' WHERE ArtistId = 1;");
    sqlite3(b, "UPDATE Artist SET Name = 'AC/DC (b)' WHERE ArtistId = 1;");
    await syncEach(join(dir, 'hub'), [a]);
    expect(cli(dir, '--db', b, 'sync').status).toBe(EXIT.conflicts);
    expect(sqlite3(b, 'SELECT Name FROM Artist WHERE ArtistId = 1;').trim()).toBe('AC/DC (a)');

    const bad = cli(dir, '--db', b, 'conflicts', 'restore', '1', '--side', 'mine');
    expectOneSentence(bad, EXIT.usage, /--side must be local or remote/);

    const restored = cli(dir, '--db', b, 'conflicts', 'restore', '1', '--side', 'local');
    expect(restored.stderr).toBe('');
    expect(restored.stdout).toMatch(/^Restored conflict #1 into Artist/);
    expect(sqlite3(b, 'SELECT Name FROM Artist WHERE ArtistId = 1; SELECT count(*) FROM Album WHERE ArtistId = 1;').trim()).toBe('AC/DC (b)\n2');
    expect(sqlite3(b, 'PRAGMA foreign_key_check;')).toBe('');
    expect(JSON.parse(cli(dir, '--db', b, 'status', '--json').stdout).tables).toEqual([{ table: 'Artist', inserted: 0, updated: 1, deleted: 0 }]);
  });

  it('says a foreign key is in the way (not a collision) when the restored delete would orphan rows', async () => {
    const { dir, a, b } = await hubWithTwoReplicas();
    // b deletes artist 1 (sqlite3 leaves foreign keys off); a edits it; the hub keeps a's row.
    sqlite3(a, "UPDATE Artist SET Name = 'kept' WHERE ArtistId = 1;");
    sqlite3(b, 'DELETE FROM Artist WHERE ArtistId = 1;');
    await syncEach(join(dir, 'hub'), [a]);
    expect(cli(dir, '--db', b, 'sync').status).toBe(EXIT.conflicts);
    const list = JSON.parse(cli(dir, '--db', b, 'conflicts', 'list', '--json').stdout) as Array<{ id: number; local: unknown }>;
    const deletion = list.find((c) => c.local === null)!;
    const r = cli(dir, '--db', b, 'conflicts', 'restore', String(deletion.id));
    expectOneSentence(r, EXIT.failure, /cannot be restored: a foreign key would be left dangling/);
    expect(sqlite3(b, 'SELECT Name FROM Artist WHERE ArtistId = 1;').trim()).toBe('kept');
  });
});

describe('damaged and busy files', () => {
  it('verify waits for a database another program holds, then says so with exit code 5', async () => {
    const dir = tempDir();
    const db = chinookReplica(dir);
    const holder = spawn('/usr/bin/sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
    holder.stdin.write("BEGIN EXCLUSIVE; UPDATE Genre SET Name = 'held' WHERE GenreId = 1; SELECT 'locked';\n");
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    try {
      process.env.SQLFERRY_BUSY_TIMEOUT_MS = '200';
      expectOneSentence(cli(dir, 'verify'), EXIT.locked, /chinook\.db is locked by another program/);
    } finally {
      delete process.env.SQLFERRY_BUSY_TIMEOUT_MS;
      holder.stdin.end('ROLLBACK;\n');
      await new Promise((r) => holder.on('exit', r));
    }
  });

  it('a damaged base or genesis snapshot is exit code 6 naming the file, not a bug report', () => {
    const dir = tempDir();
    chinookReplica(dir);
    const sidecar = join(dir, 'chinook.db.sqlferry');
    flipByte(join(sidecar, 'genesis.db'), 0);
    const verify = cli(dir, 'verify');
    expect(verify.status).toBe(EXIT.corrupt);
    expect(verify.stderr).toMatch(/^problem: the genesis snapshot \(.*genesis\.db\) cannot be read: file is not a database\nerror: verify found 1 problem/);
    flipByte(join(sidecar, 'base.db'), 0);
    for (const command of ['status', 'commit']) {
      expectOneSentence(cli(dir, command), EXIT.corrupt, /base\.db is damaged/);
    }
    const both = cli(dir, 'verify');
    expect(both.status).toBe(EXIT.corrupt);
    expect(both.stderr).toMatch(/^problem: the base snapshot \(.*base\.db\) cannot be read: file is not a database\nproblem: the genesis snapshot .*\nerror: verify found 2 problem\(s\)\n$/);
  });

  it('verify finds a flipped byte in a log file; log, show and checkout refuse it', () => {
    const dir = tempDir();
    const db = chinookReplica(dir);
    sqlite3(db, "UPDATE Track SET Name = 'x' WHERE TrackId = 1;");
    commitAll(Replica.open(db));
    flipByte(join(dir, 'chinook.db.sqlferry', 'log', '0000000001.changeset'), 5);
    const verify = cli(dir, 'verify', '--json');
    expect(verify.status).toBe(EXIT.corrupt);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: false, problems: ['log entry 1 does not match its checksum'] });
    for (const args of [['show', '1'], ['checkout', '1', '-o', 'c.db']]) {
      expectOneSentence(cli(dir, ...args), EXIT.corrupt, /log entry 1 does not match its checksum/);
    }
    expect(existsSync(join(dir, 'c.db'))).toBe(false);
  });

  it('verify names a log entry missing from the middle of the log', () => {
    const dir = tempDir();
    const db = chinookReplica(dir);
    for (const name of ['a', 'b', 'c']) {
      sqlite3(db, `UPDATE Track SET Name = '${name}' WHERE TrackId = 1;`);
      commitAll(Replica.open(db));
    }
    for (const ext of ['json', 'changeset']) rmSync(join(dir, 'chinook.db.sqlferry', 'log', `0000000002.${ext}`));
    const verify = cli(dir, 'verify', '--json');
    expect(verify.status).toBe(EXIT.corrupt);
    expect(JSON.parse(verify.stdout).problems).toEqual(['log entry 2 is missing']);
  });
});

describe('paths and URLs', () => {
  it('checkout into a folder that does not exist names that folder', () => {
    const dir = tempDir();
    chinookReplica(dir);
    expectOneSentence(cli(dir, 'checkout', '0', '-o', join(dir, 'no', 'such', 'x.db')), EXIT.failure, /cannot write .*x\.db: the folder .*no\/such does not exist/);
  });

  it('clone into a missing folder, or from a hub with a damaged entry, leaves nothing behind', async () => {
    const { dir, a } = await hubWithTwoReplicas();
    expectOneSentence(cli(dir, 'clone', 'hub', join(dir, 'nope', 'c.db')), EXIT.failure, /the folder .*nope does not exist/);

    sqlite3(a, "UPDATE Genre SET Name = 'Rock!' WHERE GenreId = 1;");
    await syncEach(join(dir, 'hub'), [a]);
    const entry = join(dir, 'hub', 'log', readdirSync(join(dir, 'hub', 'log')).find((n) => n.endsWith('.changeset'))!);
    const original = readFileSync(entry);
    flipByte(entry, 5);
    expectOneSentence(cli(dir, 'clone', 'hub', 'c.db'), EXIT.corrupt, /hub entry 1 does not match its checksum/);
    expect(readdirSync(dir).filter((n) => n.startsWith('c.db'))).toEqual([]);
    // a pull from the damaged hub changes nothing either
    const b = join(dir, 'b.db');
    expectOneSentence(cli(dir, '--db', b, 'pull'), EXIT.corrupt, /hub entry 1 does not match its checksum/);
    expect(sqlite3(b, 'SELECT Name FROM Genre WHERE GenreId = 1;').trim()).toBe('Rock');
    // once the hub is repaired, the same clone works
    writeFileSync(entry, original);
    expect(cli(dir, 'clone', 'hub', 'c.db').status).toBe(0);
    expect(sqlite3(join(dir, 'c.db'), 'SELECT Name FROM Genre WHERE GenreId = 1;').trim()).toBe('Rock!');
  });

  it('clone from a relative hub path saves it absolute, so the clone syncs from any folder', async () => {
    const dir = tempDir();
    chinookCopy(dir, 'a.db');
    await pushedReplica(dir, await newHub(dir), 'a');
    expect(cli(dir, 'clone', 'hub', 'b.db').status).toBe(0);
    const b = join(dir, 'b.db');
    expect(JSON.parse(cli(dir, '--db', b, 'remote', 'list', '--json').stdout)).toEqual({ origin: join(dir, 'hub') });
    const elsewhere = tempDir();
    expect(cli(elsewhere, '--db', b, 'sync', '-q')).toMatchObject({ status: 0, stderr: '' });
  });

  it('init --bare on an existing file says it is not a folder', () => {
    const dir = tempDir();
    chinookCopy(dir);
    expectOneSentence(cli(dir, 'init', '--bare', 'chinook.db'), EXIT.failure, /chinook\.db is a file, not a folder/);
  });

  it('remote add refuses a URL that cannot work, storing nothing; remote remove forgets one', () => {
    const dir = tempDir();
    chinookReplica(dir);
    for (const url of ['http://', 'https://example.com', 'ssh://host', 'file://relative/path', 'ftp://x/y']) {
      expectOneSentence(cli(dir, 'remote', 'add', 'r', url), EXIT.usage, /not a valid|cannot use/);
    }
    expect(JSON.parse(cli(dir, 'remote', 'list', '--json').stdout)).toEqual({});
    mkdirSync(join(dir, 'hub'));
    expect(cli(dir, 'remote', 'add', 'origin', 'https://hub.example.com/app').status).toBe(0);
    expect(cli(dir, 'remote', 'add', 'backup', 'backup@host.example.com:hubs/app').status).toBe(0);
    expect(cli(dir, 'remote', 'remove', 'origin').status).toBe(0);
    expect(JSON.parse(cli(dir, 'remote', 'list', '--json').stdout)).toEqual({ backup: 'backup@host.example.com:hubs/app' });
    expectOneSentence(cli(dir, 'remote', 'remove', 'origin'), EXIT.usage, /there is no remote named origin/);
  });

  it('sync --attempts, --retry-for, --jitter and pull --recover refuse values they cannot use', async () => {
    // A one-table replica with a hub is enough to tell the options apart: no Chinook needed.
    const dir = tempDir();
    const a = (await firstReplica(dir, await newHub(dir), 'CREATE TABLE t(id INTEGER PRIMARY KEY);')).paths.db;
    for (const n of ['0', 'abc', '-3']) expectOneSentence(cli(dir, '--db', a, 'sync', '--attempts', n), EXIT.usage, /--attempts must be a whole number of at least 1/);
    for (const s of ['abc', '-1', '86401']) expectOneSentence(cli(dir, '--db', a, 'sync', '--retry-for', s), EXIT.usage, /--retry-for must be a number of seconds from 0 to 86400/);
    for (const s of ['abc', '-1', '3601', '1e3']) expectOneSentence(cli(dir, '--db', a, 'sync', '--jitter', s), EXIT.usage, /--jitter must be a number of seconds from 0 to 3600/);
    expect(cli(dir, '--db', a, 'sync', '-q', '--jitter', '0.3').status).toBe(0);
    expectOneSentence(cli(dir, '--db', a, 'pull', '--recover', 'maybe'), EXIT.usage, /--recover must be committed or rolled-back/);
  });
});
