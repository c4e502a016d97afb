// What a killed command leaves in the sidecar (a whole entry, a whole base.db candidate) is
// removed by the next command that takes the replica lock, and never what a live command
// is still writing, nor a file sqlferry did not name.
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Replica } from '../../src/repo/replica.ts';
import { pullDir } from '../../src/repo/pull-recovery/pending-pull.ts';
import { cli, sqlite3, tempDir } from './helpers.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

/** The pid of a process that runs until the test ends. */
function livePid(): number {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

function plant(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, 'half-written');
  return path;
}

describe('leftovers of a killed command', () => {
  it('are removed by the next command that takes the lock; a live writer\'s and foreign files stay', () => {
    const dir = tempDir();
    const db = join(dir, 'a.db');
    sqlite3(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'one\');');
    const replica = Replica.init(db);
    const dead = deadPid();
    const live = livePid();
    const { paths } = replica;
    const gone = [
      plant(paths.log, `.0000000001.changeset.${dead}.0f3d5a7d.tmp`),
      plant(paths.dir, `.base.db.${dead}.16767ee4.tmp`),
      plant(paths.dir, `.base.db.${dead}.16767ee4.tmp-journal`),
      plant(paths.dir, `.pages.bin.${dead}.00ff00ff.tmp`),
      plant(paths.dir, `.clock.${dead}`),
      plant(pullDir(paths), `.pending.json.${dead}.abcdef01.tmp`),
      plant(paths.dir, 'snapshot-upload.db'), // a killed push's snapshot: a whole database
    ];
    const kept = [
      plant(paths.log, `.0000000001.changeset.${live}.0f3d5a7d.tmp`),
      plant(paths.dir, `.clock.${live}`),
      plant(paths.dir, `notes.${dead}.0f3d5a7d.tmp`), // not a name sqlferry gives (no leading dot)
      plant(paths.dir, `.base.db.${dead}.tmp`), // no random part: not tempPathFor's
    ];

    sqlite3(db, "INSERT INTO t VALUES (2, 'two');");
    const r = cli(dir, '--db', db, 'commit', '-m', 'two');
    expect(r.status, r.stderr).toBe(0);

    expect(gone.filter((path) => existsSync(path))).toEqual([]);
    expect(kept.filter((path) => !existsSync(path))).toEqual([]);
    const verified = cli(dir, '--db', db, 'verify');
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
  });

  it('a killed clone\'s download beside the database is removed by the next clone of that name only', () => {
    const dir = tempDir();
    const db = join(dir, 'a.db');
    sqlite3(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'one\');');
    Replica.init(db);
    const hub = join(dir, 'hub');
    for (const args of [['init', '--bare', hub], ['--db', db, 'remote', 'add', 'origin', hub], ['--db', db, 'push']]) {
      const step = cli(dir, ...args);
      expect(step.status, step.stderr).toBe(0);
    }
    const dead = deadPid();
    const download = plant(dir, `.c.db.${dead}.0f3d5a7d.tmp`);
    const other = plant(dir, `.other.db.${dead}.0f3d5a7d.tmp`);

    const r = cli(dir, 'clone', hub, join(dir, 'c.db'));
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(download)).toBe(false);
    expect(existsSync(other)).toBe(true);
  });
});
