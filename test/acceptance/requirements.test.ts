// Acceptance review: requirements of issues 2–4 that no other test pinned down
// (docs/ACCEPTANCE.md maps every requirement to its test).
import { describe, it, expect, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { colourFor } from '../../src/cli/output.ts';
import { EXIT } from '../../src/errors/index.ts';
import { Replica } from '../../src/repo/replica.ts';
import { chinookCopy, cli, dumpTables, sqlite3, tempDir } from '../repo/helpers.ts';
import { cloneReplica, newHub, pushedReplica, syncEach } from '../sync/helpers.ts';
import { verify } from '../../src/repo/verify.ts';
import { BIN } from '../cli-bin.ts';

/** A copy of Chinook made a replica in-process (`init` is setup here, not what is tested); its path. */
function chinookReplica(dir: string): string {
  const db = chinookCopy(dir);
  Replica.init(db);
  return db;
}

describe('init on an empty database (issue 3)', () => {
  for (const [what, make] of [
    ['a 0-byte file', (path: string) => writeFileSync(path, '')],
    ['a database without tables', (path: string) => sqlite3(path, 'PRAGMA user_version = 1;')],
  ] as const) {
    it(`works on ${what}: the first table and its rows are the first commit`, () => {
      const dir = tempDir();
      make(join(dir, 'e.db'));
      expect(cli(dir, 'init', 'e.db').status).toBe(0);
      expect(cli(dir, 'status').stdout).toContain('Nothing to commit.');
      sqlite3(join(dir, 'e.db'), "CREATE TABLE k(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO k VALUES (1, 'x');");
      expect(cli(dir, 'commit', '-m', 'first').stdout).toMatch(/^Committed 1 .*1 schema statement/);
      expect(verify(Replica.open(join(dir, 'e.db'))).problems).toEqual([]); // in-process: the same checks
      expect(cli(dir, 'checkout', '1', '-o', 'at1.db').status).toBe(0);
      expect(dumpTables(join(dir, 'at1.db'))).toEqual(dumpTables(join(dir, 'e.db')));
    });
  }
});

describe('diff --json and the commit metadata (issue 3)', () => {
  it('diff --json lists the uncommitted changes; the commit beside them records seq, parent, replica, time, message, schema, sha256', () => {
    const dir = tempDir();
    const db = chinookReplica(dir);
    sqlite3(db, "UPDATE Genre SET Name = 'Rock & Roll' WHERE GenreId = 1; CREATE INDEX genre_name ON Genre(Name);");
    const diff = JSON.parse(cli(dir, 'diff', '--json').stdout);
    expect(diff.schema).toEqual(['CREATE INDEX genre_name ON Genre(Name)']);
    expect(diff.changes).toHaveLength(1);
    expect(diff.changes[0]).toMatchObject({ table: 'Genre', op: 'UPDATE' });
    expect(cli(dir, 'commit', '-m', 'one').status).toBe(0);
    sqlite3(db, "INSERT INTO Genre VALUES (26, 'Polka');");
    expect(cli(dir, 'commit', '-m', 'two').status).toBe(0);

    const sidecar = join(dir, 'chinook.db.sqlferry');
    const replicaId = JSON.parse(readFileSync(join(sidecar, 'config.json'), 'utf8')).replicaId;
    const meta = [1, 2].map((n) => JSON.parse(readFileSync(join(sidecar, 'log', `000000000${n}.json`), 'utf8')));
    const bytes = [1, 2].map((n) => readFileSync(join(sidecar, 'log', `000000000${n}.changeset`)));
    expect(meta[0]).toMatchObject({ seq: 1, parent: null, replicaId, message: 'one', schema: ['CREATE INDEX genre_name ON Genre(Name)'] });
    expect(meta[1]).toMatchObject({ seq: 2, parent: meta[0].sha256, replicaId, message: 'two', schema: [] });
    for (const i of [0, 1]) {
      expect(meta[i].sha256).toBe(createHash('sha256').update(bytes[i]!).digest('hex'));
      expect(meta[i].size).toBe(bytes[i]!.length);
      expect(Date.parse(meta[i].time)).toBeGreaterThan(Date.now() - 60_000);
    }
    // The file is a plain SQLite changeset: node:sqlite applies it with no help from sqlferry.
    const copy = join(dir, 'genesis-copy.db');
    sqlite3(join(sidecar, 'genesis.db'), `VACUUM INTO '${copy}';`);
    const target = new DatabaseSync(copy);
    try {
      expect(target.applyChangeset(bytes[1]!, { onConflict: () => 2 /* SQLITE_CHANGESET_ABORT */ })).toBe(true);
      expect(target.prepare('SELECT Name FROM Genre WHERE GenreId = 26').get()).toEqual({ Name: 'Polka' });
    } finally {
      target.close();
    }
  });
});

describe('conflict handler rules from config.json (issue 4)', () => {
  it('a per-table rule in config.json decides, and the command line overrides it', async () => {
    const dir = tempDir();
    const a = chinookCopy(dir, 'a.db');
    // The hub and the two replicas are made in-process: the syncs after it are the CLI's to test.
    const hub = await newHub(dir);
    await pushedReplica(dir, hub, 'a');
    await cloneReplica(dir, hub, 'b');
    const b = join(dir, 'b.db');
    const config = join(dir, 'b.db.sqlferry', 'config.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), conflictHandlers: ['Genre=local'] }));

    // Genre is decided by config.json (local, where the default keeps the hub's row), MediaType by the command line.
    sqlite3(a, "UPDATE Genre SET Name = 'a' WHERE GenreId IN (1, 2); UPDATE MediaType SET Name = 'a' WHERE MediaTypeId = 1;");
    sqlite3(b, "UPDATE Genre SET Name = 'b' WHERE GenreId IN (1, 2); UPDATE MediaType SET Name = 'b' WHERE MediaTypeId = 1;");
    expect(cli(dir, '--db', a, 'sync').status).toBe(0);
    const r = cli(dir, '--db', b, 'sync', '--conflict-handler', 'MediaType=local');
    expect(r.status).toBe(EXIT.conflicts);
    expect(sqlite3(b, 'SELECT Name FROM Genre WHERE GenreId IN (1, 2); SELECT Name FROM MediaType WHERE MediaTypeId = 1;').trim()).toBe('b\nb\nb');
    // A rule on the command line overrides config.json's for the same tables (here a single rule, not a list).
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), conflictHandlers: 'Genre=local' }));
    sqlite3(a, "UPDATE Genre SET Name = 'a2' WHERE GenreId = 3;");
    sqlite3(b, "UPDATE Genre SET Name = 'b2' WHERE GenreId = 3;");
    expect(cli(dir, '--db', a, 'sync').status).toBe(0);
    expect(cli(dir, '--db', b, 'sync', '--conflict-handler', 'Genre=remote').status).toBe(EXIT.conflicts);
    expect(sqlite3(b, 'SELECT Name FROM Genre WHERE GenreId = 3;').trim()).toBe('a2');
    expect(cli(dir, '--db', a, 'sync').status).toBe(0);
    expect(dumpTables(a)).toEqual(dumpTables(b));
  });
});

describe('colour (issue 2)', () => {
  const saved = process.env.NO_COLOR;
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;

  it('is on only on a TTY, and never under NO_COLOR or --no-color', async () => {
    delete process.env.NO_COLOR;
    expect((await colourFor(tty)).red('x')).toBe('\x1b[31mx\x1b[39m');
    expect((await colourFor(tty)).dim('x')).toBe('\x1b[2mx\x1b[22m');
    expect((await colourFor(pipe)).red('x')).toBe('x');
    expect((await colourFor(tty, { color: false })).red('x')).toBe('x');
    process.env.NO_COLOR = '1';
    expect((await colourFor(tty)).red('x')).toBe('x');
  });

  it('the CLI writes no escape codes when its output is not a terminal', () => {
    const dir = tempDir();
    chinookReplica(dir);
    const { NO_COLOR: _omit, ...env } = process.env;
    for (const args of [['status'], ['log'], ['show', '7']]) {
      const r = spawnPlain(dir, env, args);
      expect(r.stdout + r.stderr).not.toMatch(/\x1b\[/);
    }
  });
});

describe('colour on a terminal (issue 2)', () => {
  // util-linux `script` gives the CLI a real pseudo-terminal.
  const onTty = (cwd: string, env: NodeJS.ProcessEnv, args: string[]) =>
    spawnSync('script', ['-qec', [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd, env, encoding: 'utf8' });

  it('colours the error line on a TTY, and not with --no-color or NO_COLOR', () => {
    const dir = tempDir();
    chinookReplica(dir);
    const { NO_COLOR: _omit, ...env } = process.env;
    expect(onTty(dir, env, ['show', '99']).stdout).toMatch(/\x1b\[31merror:/);
    expect(onTty(dir, env, ['--no-color', 'show', '99']).stdout).toMatch(/^error: /);
    expect(onTty(dir, { ...env, NO_COLOR: '1' }, ['show', '99']).stdout).toMatch(/^error: /);
  });
});

describe('output into a reader that stops early', () => {
  it('ends quietly, as `sqlferry show 1 --sql | head -1` expects: no stack trace, exit code 0', async () => {
    const dir = tempDir();
    const db = chinookReplica(dir);
    sqlite3(db, "UPDATE Track SET Name = Name || ' (remastered)';"); // about 3,500 statements to print
    expect(cli(dir, 'commit').status).toBe(0);
    const child = spawn(process.execPath, [BIN, 'show', '1', '--sql'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Like head -1: read the first chunk, then close the pipe while sqlferry still writes.
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((ok) => child.on('close', ok));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

function spawnPlain(cwd: string, env: NodeJS.ProcessEnv, args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8' });
}

describe('sync retries when another replica pushed in between (issue 4)', () => {
  it('four replicas syncing at the same moment all succeed and converge', async () => {
    const dir = tempDir();
    const a = chinookCopy(dir, 'r0.db');
    // The hub and the replicas are made in-process: the syncs that race are the CLI's to test.
    const hub = await newHub(dir);
    await pushedReplica(dir, hub, 'r0');
    const dbs = [a];
    for (const i of [1, 2, 3]) dbs.push((await cloneReplica(dir, hub, `r${i}`)).paths.db);
    dbs.forEach((db, i) => sqlite3(db, `INSERT INTO Genre VALUES (${100 + i}, 'from r${i}');`));
    const runs = await Promise.all(dbs.map((db) => new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--db', db, 'sync', '-q', '--attempts', '20'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? -1, stderr }));
    })));
    expect(runs).toEqual(dbs.map(() => ({ code: 0, stderr: '' })));
    await syncEach(hub, dbs); // the settling round, in-process
    for (const db of dbs.slice(1)) expect(dumpTables(db)).toEqual(dumpTables(a));
    expect(sqlite3(a, 'SELECT count(*) FROM Genre WHERE GenreId >= 100;').trim()).toBe('4');
  });
});
