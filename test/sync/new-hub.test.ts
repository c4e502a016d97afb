// A replica and a second hub: the hub moved (remote set-url, then it keeps syncing), and an
// empty new hub, whose refusal says how to start it — a hint that never points back at clone.
import { describe, it, expect } from 'vitest';
import { renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cli } from '../repo/helpers.ts';
import { rows, sql, tempDir } from './helpers.ts';

function ok(r: { status: number; stdout: string; stderr: string }): string {
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function replicaWithHub(dir: string): void {
  sql(join(dir, 'app.db'), "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO item VALUES (1, 'one');");
  ok(cli(dir, 'init', 'app.db'));
  ok(cli(dir, 'init', '--bare', 'hub'));
  ok(cli(dir, 'remote', 'add', 'origin', './hub'));
  sql(join(dir, 'app.db'), "INSERT INTO item VALUES (2, 'two')");
  ok(cli(dir, 'sync'));
}

describe('a replica and another hub', () => {
  it('follows a hub that moved: remote set-url, then sync goes on', () => {
    const dir = tempDir();
    replicaWithHub(dir);
    renameSync(join(dir, 'hub'), join(dir, 'moved-hub'));
    expect(cli(dir, 'sync').status).not.toBe(0);
    expect(ok(cli(dir, 'remote', 'set-url', 'origin', './moved-hub'))).toBe(`Remote origin is now ${join(dir, 'moved-hub')}\n`);
    sql(join(dir, 'app.db'), "INSERT INTO item VALUES (3, 'three')");
    expect(ok(cli(dir, 'sync'))).toContain('pushed 1; hub at 2');
    expect(cli(dir, 'remote', 'set-url', 'nope', './moved-hub')).toMatchObject({ status: 2, stderr: expect.stringContaining('there is no remote named nope') });
  });

  it('refuses to push to an empty hub with a hint that starts it, and the hint works as printed', () => {
    const dir = tempDir();
    replicaWithHub(dir);
    ok(cli(dir, 'init', '--bare', 'new-hub'));
    ok(cli(dir, 'remote', 'add', 'new', './new-hub'));
    const refused = cli(dir, 'push', 'new');
    expect(refused.status).toBe(4);
    expect(refused.stderr).toMatch(/^error: the hub at .*new-hub is empty, and this replica's history belongs to another hub\nhint: to start that hub/);
    expect(refused.stderr).not.toMatch(/clone/);
    const hint = /hint: .*?: (sqlferry .*)\n/.exec(refused.stderr)![1]!;
    const bin = join(process.cwd(), 'bin', 'sqlferry.js');
    const followed = spawnSync('sh', ['-c', hint.replaceAll('sqlferry ', `${process.execPath} ${bin} `)], { cwd: dir, encoding: 'utf8' });
    expect(followed.status, followed.stderr).toBe(0);
    ok(cli(dir, 'clone', './new-hub', 'copy.db'));
    expect(rows(join(dir, 'copy.db'), 'item')).toEqual(rows(join(dir, 'app.db'), 'item'));
  });
});
