// The sync commands as a user runs them: exit codes, one line per conflict, one-sentence errors.
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rows, sql, tempDir } from './helpers.ts';
import { BIN as bin } from '../cli-bin.ts';

const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('sqlferry init --bare, remote, push, sync, clone, conflicts', () => {
  it('syncs two replicas through a hub, with exit codes 4 (pull first) and 3 (conflicts)', () => {
    const dir = tempDir();
    sql(join(dir, 'a.db'), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one');");
    expect(run(dir, 'init', '--bare', 'hub').status).toBe(0);
    expect(run(dir, 'init', 'a.db').status).toBe(0);
    expect(run(dir, '--db', 'a.db', 'remote', 'add', 'origin', 'hub').status).toBe(0);
    expect(JSON.parse(run(dir, '--db', 'a.db', 'remote', 'list', '--json').stdout)).toEqual({ origin: join(dir, 'hub') });
    expect(run(dir, '--db', 'a.db', 'push').status).toBe(0);
    expect(run(dir, 'clone', 'hub', 'b.db').status).toBe(0);

    sql(join(dir, 'a.db'), "UPDATE t SET v = 'from a' WHERE id = 1");
    sql(join(dir, 'b.db'), "UPDATE t SET v = 'from b' WHERE id = 1");
    expect(run(dir, '--db', 'a.db', 'sync', '-q')).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(run(dir, '--db', 'b.db', 'commit').status).toBe(0);
    expect(run(dir, '--db', 'b.db', 'status').stdout).toContain('\n1 commit not pushed yet (the hub had 0 entries at the last pull or push); sqlferry sync sends it.\n');
    expect(JSON.parse(run(dir, '--db', 'b.db', 'status', '--json').stdout).hub).toEqual({ seq: 0, unpushed: 1 });
    expect(JSON.parse(run(dir, '--db', 'a.db', 'status', '--json').stdout).hub).toEqual({ seq: 1, unpushed: 0 });
    expect(run(dir, '--db', 'a.db', 'status').stdout).toContain('\nEvery commit is on the hub (the hub had 1 entry at the last pull or push).\n');
    const rejected = run(dir, '--db', 'b.db', 'push');
    expect(rejected.status).toBe(4);
    expect(rejected.stderr).toMatch(/^error: .*pull first/);

    const synced = run(dir, '--db', 'b.db', 'sync', '-q');
    expect(synced.status).toBe(3);
    expect(synced.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^conflict #1: data on t \{"id":1\}: the hub's version was kept/)]);
    const listed = JSON.parse(run(dir, '--db', 'b.db', 'conflicts', 'list', '--json').stdout);
    expect(listed[0]).toMatchObject({ id: 1, kind: 'data', table: 't', local: { id: 1, v: 'from b' }, remote: { id: 1, v: 'from a' }, discarded: 'local' });

    const shown = run(dir, '--db', 'b.db', 'conflicts', 'show', '1').stdout.split('\n');
    expect(shown.slice(0, 4)).toEqual([
      'conflict #1: data on t {"id":1}: the hub\'s version was kept (remote: take-remote)',
      '  local  {"id":1,"v":"from b"}',
      '  remote {"id":1,"v":"from a"}',
      '  result {"id":1,"v":"from a"}',
    ]);

    // Restoring the losing version makes it an ordinary change that the next sync shares.
    expect(run(dir, '--db', 'b.db', 'conflicts', 'restore', '1').stdout).toBe('Restored conflict #1 into t; commit or sync to share it.\n');
    // Twice: said, and nothing written over what the row became since.
    sql(join(dir, 'b.db'), "UPDATE t SET v = 'edited since' WHERE id = 1");
    const again = run(dir, '--db', 'b.db', 'conflicts', 'restore', '1');
    expect(again).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Conflict #1 was already restored \(at \d{4}-.*\); nothing changed\. /) });
    expect(JSON.parse(run(dir, '--db', 'b.db', 'conflicts', 'restore', '1', '--json').stdout)).toMatchObject({ id: 1, alreadyRestored: true });
    expect(rows(join(dir, 'b.db'), 't')).toEqual([{ id: 1, v: 'edited since' }]);
    sql(join(dir, 'b.db'), "UPDATE t SET v = 'from b' WHERE id = 1");
    expect(run(dir, '--db', 'b.db', 'sync').status).toBe(0);
    expect(run(dir, '--db', 'a.db', 'sync').status).toBe(0);
    expect(run(dir, 'verify', '--db', 'a.db').status).toBe(0);
    expect(rows(join(dir, 'a.db'), 't')).toEqual([{ id: 1, v: 'from b' }]);
    expect(run(dir, '--db', 'a.db', 'conflicts', 'list').stdout).toBe('');
  });

  it('answers a URL it cannot use with one sentence and exit code 2', () => {
    const dir = tempDir();
    const r = run(dir, 'clone', 'ftp://example.com/hub', 'x.db');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot use "ftp:\/\/example.com\/hub" as a remote: the scheme ftp:\/\/ is not one sqlferry knows\n/);
  });
});

/** a.db, a replica with remote origin (an empty hub) and one uncommitted row in t. */
function replicaWithUncommittedRow(): string {
  const dir = tempDir();
  sql(join(dir, 'a.db'), 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);');
  run(dir, 'init', '--bare', 'hub');
  run(dir, 'init', 'a.db');
  run(dir, '--db', 'a.db', 'remote', 'add', 'origin', 'hub');
  sql(join(dir, 'a.db'), "INSERT INTO t VALUES (1, 'one')");
  return dir;
}

describe('sqlferry sync from cron, overlapping itself', () => {
  it('skips quietly while another sync runs, and asks for a human when one has held the replica for long', async () => {
    const dir = replicaWithUncommittedRow();
    // A live process holds the sync lock, as a slow sync started by the previous cron tick would.
    const holder = spawn('sleep', ['30']);
    try {
      const lock = join(dir, 'a.db.sqlferry', 'sync.lock');
      writeFileSync(lock, `${holder.pid}\n`);
      expect(run(dir, '--db', 'a.db', 'sync', '-q')).toMatchObject({ status: 0, stdout: '', stderr: '' });
      expect(run(dir, '--db', 'a.db', 'sync').stdout).toBe('Another sync is running on this replica; nothing done.\n');
      expect(run(dir, '--db', 'a.db', 'log', '--json').stdout.trim()).toBe('[]');

      const anHourAgo = new Date(Date.now() - 60 * 60_000);
      utimesSync(lock, anHourAgo, anHourAgo);
      const stuck = run(dir, '--db', 'a.db', 'sync', '-q');
      expect(stuck.status).toBe(5);
      expect(stuck.stderr).toMatch(new RegExp(`^error: another sync \\(pid ${holder.pid}\\) has held this replica for 60 minutes\\n`));
    } finally {
      const gone = new Promise((resolve) => holder.on('exit', resolve));
      holder.kill();
      await gone;
    }
    // Once the holder is gone, its lock is stale and the next run syncs.
    expect(run(dir, '--db', 'a.db', 'sync', '-q').status).toBe(0);
    expect(rows(join(dir, 'a.db'), 't')).toHaveLength(1);
  });
});

describe('conflict handler rules on the command line', () => {
  it('refuses a rule naming a table or a conflict kind the database does not have, before doing anything', () => {
    const dir = replicaWithUncommittedRow();
    const typoKind = run(dir, '--db', 'a.db', 'sync', '--conflict-handler', 't.dta=local');
    expect(typoKind.status).toBe(2);
    expect(typoKind.stderr).toMatch(/^error: the conflict handler rule "t\.dta=local" is not valid: "dta" is not a conflict kind/);
    const typoTable = run(dir, '--db', 'a.db', 'sync', '--conflict-handler', 'T=local');
    expect(typoTable.status).toBe(2);
    expect(typoTable.stderr).toMatch(/^error: the conflict handler rule "T=local" is not valid: the database has no table "T"/);
    expect(run(dir, '--db', 'a.db', 'log', '--json').stdout.trim()).toBe('[]'); // nothing was committed or pushed
    expect(run(dir, '--db', 'a.db', 'sync', '--conflict-handler', 't.data=local', '--conflict-handler', '*.primary-key=remote').status).toBe(0);
  });
});
