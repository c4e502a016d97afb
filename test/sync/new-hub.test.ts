// A replica and a second hub: the hub moved (remote set-url, then it keeps syncing), and an
// empty new hub, which a push from the replica starts with its current content.
import { describe, it, expect } from 'vitest';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readState } from '../../src/repo/config.ts';
import { prepareRestart } from '../../src/repo/log/restart-history.ts';
import { sidecarPaths } from '../../src/repo/sidecar.ts';
import { join } from 'node:path';
import { cli } from '../repo/helpers.ts';
import { Replica } from '../../src/repo/replica.ts';
import { addRemote } from '../../src/sync/remotes.ts';
import { newHub, rows, sql, syncEach, tempDir } from './helpers.ts';

function ok(r: { status: number; stdout: string; stderr: string }): string {
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** app.db, a replica with origin ./hub and one commit synced there: made in-process, the commands after it are the CLI's to test. */
async function replicaWithHub(dir: string): Promise<void> {
  sql(join(dir, 'app.db'), "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO item VALUES (1, 'one');");
  addRemote(Replica.init(join(dir, 'app.db')), 'origin', await newHub(dir));
  sql(join(dir, 'app.db'), "INSERT INTO item VALUES (2, 'two')");
  await syncEach(join(dir, 'hub'), [join(dir, 'app.db')]);
}

describe('a replica and another hub', () => {
  it('follows a hub that moved: remote set-url, then sync goes on', async () => {
    const dir = tempDir();
    await replicaWithHub(dir);
    renameSync(join(dir, 'hub'), join(dir, 'moved-hub'));
    expect(cli(dir, 'sync').status).not.toBe(0);
    expect(ok(cli(dir, 'remote', 'set-url', 'origin', './moved-hub'))).toBe(`Remote origin is now ${join(dir, 'moved-hub')}\n`);
    sql(join(dir, 'app.db'), "INSERT INTO item VALUES (3, 'three')");
    expect(ok(cli(dir, 'sync'))).toContain('pushed 1; hub at 2');
    expect(cli(dir, 'remote', 'set-url', 'nope', './moved-hub')).toMatchObject({ status: 2, stderr: expect.stringContaining('there is no remote named nope') });
  });

  it('starts an empty hub from a replica of another hub: its content as of its last commit, and both replicas then sync with it', async () => {
    const dir = tempDir();
    const app = join(dir, 'app.db');
    await replicaWithHub(dir);
    const oldHubId = JSON.parse(readFileSync(join(dir, 'hub', 'sqlferry-hub.json'), 'utf8')).hubId as string;
    sql(app, "INSERT INTO item VALUES (3, 'three')");
    ok(cli(dir, 'commit', '-m', 'not on the old hub'));
    sql(app, "UPDATE item SET name = 'TWO' WHERE id = 2"); // not committed
    ok(cli(dir, 'init', '--bare', 'new-hub'));
    ok(cli(dir, 'remote', 'add', 'new', './new-hub'));

    const pushed = ok(cli(dir, 'push', 'new'));
    expect(pushed).toMatch(/^Started the empty hub from this replica's content as of commit 2 \(a starting snapshot of .+\); hub at 0\.\n/);
    expect(pushed).toContain(`history with the previous hub is kept in app.db.sqlferry/archive/${oldHubId}.`);
    expect(existsSync(join(dir, 'app.db.sqlferry', 'archive', oldHubId, 'log', '0000000002.json'))).toBe(true);
    expect(ok(cli(dir, 'log', '--json'))).toBe('[]\n');
    expect(ok(cli(dir, 'status'))).toContain('item');

    const other = join(dir, 'other');
    mkdirSync(other);
    ok(cli(other, 'clone', '../new-hub', 'copy.db'));
    const copy = join(other, 'copy.db');
    expect(rows(copy, 'item')).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }, { id: 3, name: 'three' }]);

    // The hint, run as printed, makes the new hub the one `sync` uses.
    const setUrl = /To sync with it without naming it: (sqlferry remote set-url .*)\n/.exec(pushed)![1]!;
    expect(setUrl).toBe(`sqlferry remote set-url origin ${join(dir, 'new-hub')}`);
    ok(cli(dir, ...setUrl.split(' ').slice(1)));
    expect(ok(cli(dir, 'sync'))).toContain('pushed 1; hub at 1');
    ok(cli(other, 'sync'));
    sql(copy, "INSERT INTO item VALUES (4, 'four')");
    ok(cli(other, 'sync'));
    ok(cli(dir, 'sync'));
    expect(rows(app, 'item')).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'TWO' }, { id: 3, name: 'three' }, { id: 4, name: 'four' }]);
    expect(rows(copy, 'item')).toEqual(rows(app, 'item'));
    for (const db of [app, copy]) expect(ok(cli(dir, '--db', db, 'verify'))).toMatch(/OK/);
  });

  it('hints never point in a circle: pull says push, push starts the hub, and the old hub then says clone', async () => {
    const dir = tempDir();
    await replicaWithHub(dir);
    ok(cli(dir, 'init', '--bare', 'new-hub'));
    ok(cli(dir, 'remote', 'add', 'new', './new-hub'));
    const pulled = cli(dir, 'pull', 'new');
    expect(pulled.status).toBe(4);
    expect(pulled.stderr).toMatch(/^error: the hub at .*new-hub is empty, and this replica's history belongs to another hub\nhint: to start that hub from this replica's content, push to it \(sqlferry push REMOTE\); this replica then follows it\n/);
    ok(cli(dir, 'push', 'new'));
    const old = cli(dir, 'push', 'origin');
    expect(old.status).toBe(4);
    expect(old.stderr).toContain(`hint: clone the hub instead: sqlferry clone ${join(dir, 'hub')} NEW.db`);
    ok(cli(dir, 'clone', join(dir, 'hub'), 'old-copy.db'));
    expect(rows(join(dir, 'old-copy.db'), 'item')).toEqual(rows(join(dir, 'app.db'), 'item'));
  });

  it('a history restart cut short by a crash is finished by the next command', async () => {
    const dir = tempDir();
    await replicaWithHub(dir);
    const paths = sidecarPaths(join(dir, 'app.db'));
    prepareRestart(paths);
    const before = readState(paths.state);
    writeFileSync(paths.restart, JSON.stringify({ archive: 'old', previous: before, state: { hubId: null, hubSeq: 0 } }));
    mkdirSync(join(paths.archive, 'old'), { recursive: true });
    renameSync(paths.log, join(paths.archive, 'old', 'log')); // the crash: log moved, nothing else
    expect(ok(cli(dir, 'status'))).toContain('Nothing to commit');
    expect(existsSync(paths.restart) || existsSync(paths.nextGenesis)).toBe(false);
    expect(readState(paths.state)).toEqual({ hubId: null, hubSeq: 0 });
    expect(JSON.parse(readFileSync(join(paths.archive, 'old', 'state.json'), 'utf8'))).toEqual(before);
    expect(ok(cli(dir, 'verify'))).toMatch(/OK/);
    ok(cli(dir, 'init', '--bare', 'new-hub'));
    ok(cli(dir, 'remote', 'add', 'new', './new-hub'));
    ok(cli(dir, 'push', 'new'));
    ok(cli(dir, 'clone', './new-hub', 'copy.db'));
    expect(rows(join(dir, 'copy.db'), 'item')).toEqual(rows(join(dir, 'app.db'), 'item'));
  });
});
