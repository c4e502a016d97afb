// The npm package's scripts for the commands run over and over (bin/build-dist.ts): NAME.cjs runs
// what a no-op sync needs, NAME-rest.cjs what the source imports with import() (a pull's fetch
// and rebase, a push, a commit, the other transports), run when first asked for. Which scripts
// a run ran shows in the code caches bin/sqlferry.js writes after it, one file per script.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../cli-bin.ts';
import { serveStore } from '../server/serve-store.ts';

const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) c.kill();
});

describe("the npm package's command scripts", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlferry-scripts-'));
  const env = { ...process.env, SQLFERRY_TOKEN: 'scripts-token-0123456789abcdef' };
  /** Runs sqlferry with a compile cache folder of its own; returns its output and the scripts it ran. */
  const run = (cache: string, ...args: string[]) => {
    const cacheRoot = join(dir, cache);
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: { ...env, NODE_COMPILE_CACHE: cacheRoot }, encoding: 'utf8' });
    const ran = readdirSync(cacheRoot, { recursive: true, encoding: 'utf8' }).flatMap((f) => /([\w-]+\.cjs)-[0-9a-f]+\.v8$/.exec(f)?.[1] ?? []);
    return { ...r, ran: ran.sort() };
  };

  it('a no-op sync over HTTP runs sync.cjs alone; a sync that commits, pushes or pulls runs the rest too, with one SqlferryError class', async () => {
    const url = `${await serveStore(dir, children, env)}/app`;
    const db = join(dir, 'app.db');
    const copy = join(dir, 'copy.db');
    spawnSync('sqlite3', [db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x');"]);
    for (const args of [['init', db], ['init', '--bare', url], ['--db', db, 'remote', 'add', 'origin', url], ['--db', db, 'sync'], ['clone', url, copy]]) {
      const r = run('setup', ...args);
      expect(r.status, r.stderr).toBe(0);
    }

    const noop = run('noop', '--db', db, 'sync');
    expect(noop).toMatchObject({ status: 0, stdout: 'Pulled 0, pushed 0; hub at 0.\n', stderr: '' });
    expect(noop.ran).toEqual(['sync.cjs']);

    // The commit and the push are the rest script's; an error it throws is the first's class,
    // reported as sqlferry's own (not as a bug), with its exit code.
    spawnSync('sqlite3', [db, "INSERT INTO t VALUES (2, 'y')"]);
    const refused = run('refused', '--db', db, 'sync', '--no-commit');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`error: ${db} has uncommitted changes\nhint: commit them first (sqlferry commit), or leave out --no-commit to let sync commit them\n`);
    expect(refused.ran).toEqual(['sync-rest.cjs', 'sync.cjs']);
    const pushed = run('push', '--db', db, 'sync');
    expect(pushed).toMatchObject({ status: 0, stdout: 'Pulled 0, pushed 1; hub at 1.\n' });
    expect(pushed.ran).toEqual(['sync-rest.cjs', 'sync.cjs']);

    const pulled = run('pull', '--db', copy, 'sync');
    expect(pulled).toMatchObject({ status: 0, stdout: 'Pulled 1, pushed 0; hub at 1.\n' });
    expect(pulled.ran).toEqual(['sync-rest.cjs', 'sync.cjs']);
    expect(spawnSync('sqlite3', [copy, 'SELECT v FROM t ORDER BY id'], { encoding: 'utf8' }).stdout).toBe('x\ny\n');

    // The caches kept (V8 took them): the next runs, no-op again, read them and still answer.
    for (const replica of [db, copy]) expect(run('pull', '--db', replica, 'sync')).toMatchObject({ status: 0, stdout: 'Pulled 0, pushed 0; hub at 1.\n', stderr: '' });
  });
});
