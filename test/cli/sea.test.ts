// The single executable (npm run build:sea): built once, then run where no Node is on PATH.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../package.json' with { type: 'json' };
import { startSshd } from '../remote/sshd.ts';
import { readmeCronCommands } from './readme-cron.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const exe = join(root, 'dist', 'sqlferry');
let dir = '';

function run(...args: string[]) {
  const r = spawnSync(exe, args, {
    cwd: dir,
    // PATH names an empty folder: no node (nor anything else) to fall back on.
    env: { PATH: join(dir, 'empty-bin'), HOME: dir, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const built = spawnSync(process.execPath, [join(root, 'bin', 'build-sea.ts')], { cwd: root, encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'sqlferry-sea-'));
  mkdirSync(join(dir, 'empty-bin'));
  copyFileSync(join(root, 'fixtures', 'Chinook_Sqlite.sqlite'), join(dir, 'chinook.db'));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the single executable', () => {
  it('prints its version and help, with no Node on PATH', () => {
    const version = run('--version');
    expect(version).toMatchObject({ status: 0, stderr: '' });
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = run('--help');
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: sqlferry');
    expect(help.stdout).toMatch(/^\s+clone /m);
    expect(run('pusj')).toMatchObject({ status: 2, stderr: expect.stringContaining("error: unknown command 'pusj'") });
  });

  it('commits, pushes, clones and verifies a real database', () => {
    const ok = (...args: string[]) => {
      const r = run(...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(ok('init', 'chinook.db')).toContain('Initialized replica');
    expect(ok('exec', "UPDATE Artist SET Name = 'AC-DC' WHERE ArtistId = 1", '--db', 'chinook.db')).toMatch(/^Committed 1 /);
    const log = JSON.parse(ok('log', '--json', '--db', 'chinook.db')) as Array<{ seq: number; message: string }>;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ seq: 1, message: expect.stringContaining("SET Name = 'AC-DC'") });
    expect(ok('init', '--bare', 'hub')).toContain('hub');
    ok('remote', 'add', 'origin', './hub', '--db', 'chinook.db');
    expect(ok('push', '--db', 'chinook.db')).toContain('hub at 1');
    expect(ok('clone', './hub', 'copy.db')).toContain('hub at 1');
    expect(ok('verify', '--db', 'copy.db')).toMatch(/^OK: 1 log entries/);
    // The clone's log holds the edit, as SQL.
    expect(ok('show', '1', '--sql', '--db', 'copy.db')).toContain('AC-DC');
  });

  it('pushes to and clones from a hub on a real sshd, with ssh2 in its JavaScript fallbacks', async () => {
    const sshd = await startSshd();
    try {
      const hub = join(sshd.dir, 'ssh-hub');
      const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${hub}`;
      const env = { PATH: join(dir, 'empty-bin'), HOME: sshd.home, NO_COLOR: '1' };
      const viaSsh = (...args: string[]) => spawnSync(exe, args, { cwd: dir, env, encoding: 'utf8' });
      copyFileSync(join(root, 'fixtures', 'Chinook_Sqlite.sqlite'), join(dir, 'far.db'));
      expect(viaSsh('init', 'far.db')).toMatchObject({ status: 0 });
      expect(viaSsh('exec', "UPDATE Artist SET Name = 'AC-DC' WHERE ArtistId = 1", '--db', 'far.db')).toMatchObject({ status: 0 });
      expect(viaSsh('init', '--bare', url)).toMatchObject({ status: 0 });
      expect(viaSsh('remote', 'add', 'far', url, '--db', 'far.db')).toMatchObject({ status: 0 });
      expect(viaSsh('push', 'far', '--db', 'far.db')).toMatchObject({ status: 0, stderr: '' });
      const cloned = viaSsh('clone', url, 'far-copy.db');
      expect(cloned.stderr).toBe('');
      expect(viaSsh('show', '1', '--sql', '--db', 'far-copy.db').stdout).toContain('AC-DC');
    } finally {
      await sshd.stop();
    }
  });

  it("runs the README's cron line verbatim under cron's empty environment", () => {
    const line = readmeCronCommands().find((c) => c.includes('/usr/local/bin/sqlferry sync -q'));
    expect(line, 'README.md has a cron line for the single executable').toBeDefined();
    // A folder of its own: cd finds the one replica in it.
    const app = join(dir, 'cron-app');
    mkdirSync(app);
    copyFileSync(join(root, 'fixtures', 'Chinook_Sqlite.sqlite'), join(app, 'app.db'));
    for (const args of [['init', 'app.db'], ['init', '--bare', 'hub'], ['remote', 'add', 'origin', './hub'], ['exec', "UPDATE Artist SET Name = 'Queen II' WHERE ArtistId = 51"]]) {
      expect(spawnSync(exe, args, { cwd: app, env: { PATH: '/usr/bin:/bin' } }).status, args.join(' ')).toBe(0);
    }
    // The folder the executable was copied to stands in for /usr/local/bin.
    mkdirSync(join(dir, 'installed'));
    copyFileSync(exe, join(dir, 'installed', 'sqlferry'));
    const command = line!.replaceAll('/srv/app', app).replaceAll('/usr/local/bin', join(dir, 'installed'));
    const r = spawnSync('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', 'sh', '-c', command], { encoding: 'utf8' });
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(run('status', '--db', join(app, 'app.db')).stdout).toContain('Every commit is on the hub (the hub had 1 entry at');
  });

  it('imports a user module at run time (a custom conflict handler)', () => {
    writeFileSync(join(dir, 'not-a-handler.mjs'), 'export default 42;\n');
    const r = run('pull', 'origin', '--conflict-handler', './not-a-handler.mjs', '--db', 'chinook.db');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('exports no function'); // loaded and inspected, not "cannot import"
  });
});
